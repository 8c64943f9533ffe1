#!/usr/bin/env python3
"""`accz vol serve` with the real NBD clients of Debian's packages: nbdinfo, nbdcopy,
qemu-img, qemu-io, and this folder's small client for what none of them can send.

Each case makes its own volume in a scratch directory, serves it on a Unix socket, drives it,
stops the server with SIGTERM (exit 0) and ends with `accz vol check` passing.
Usage: test_clients.py --accz PATH [nbdinfo|tcp|nbdcopy|qemu|trim_zeroes|savings]
"""
import json
import os
import random
import shutil

import nbd_client
from nbd_harness import Scratch, expect, log, main, need_tools, run

MIB = 1 << 20
BLOCK = 4096


def sample_data(nblocks, seed=1):
    """Blocks in four kinds, round robin: compressible text, random bytes, zeros, and a copy
    of the text block three back (a duplicate)."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(24)]
    out = []
    for i in range(nblocks):
        kind = i % 4
        if kind == 0:
            b = bytearray()
            while len(b) < BLOCK:
                b += rng.choice(words) + b" "
            out.append(bytes(b[:BLOCK]))
        elif kind == 1:
            out.append(rng.randbytes(BLOCK))
        elif kind == 2:
            out.append(bytes(BLOCK))
        else:
            out.append(out[i - 3])
    return b"".join(out)


def check_clean(s, image):
    rc, report = s.check(image)
    expect(rc == 0 and report.get("consistent"), f"accz vol check {image}: consistent")
    return report


def same_prefix_rest_zero(path, data):
    with open(path, "rb") as f:
        got = f.read(len(data))
        expect(got == data, f"{path}: the data written reads back identical")
        zero = bytes(MIB)
        while True:
            chunk = f.read(MIB)
            if not chunk:
                break
            if chunk != zero[: len(chunk)]:
                raise AssertionError(f"{path}: nonzero bytes past the data")


def case_nbdinfo(accz):
    need_tools("nbdinfo")
    with Scratch(accz) as s:
        image = s.create(size="96M")
        with s.serve(image) as srv:
            r = run(["nbdinfo", "--json", "--no-content", srv.uri])
            e = json.loads(r.stdout)["exports"][0]
            expect(e["export-size"] == 96 * MIB, "nbdinfo: size 96 MiB")
            for flag in ("can_flush", "can_fua", "can_trim", "can_zero", "can_multi_conn"):
                expect(e.get(flag) is True, f"nbdinfo: {flag}")
            expect(e.get("is_read_only") is False, "nbdinfo: writable")
            expect("base:allocation" in e.get("contexts", []), "nbdinfo: base:allocation")
            expect(e.get("block_size_minimum") == 1, "nbdinfo: minimum block size 1")
            expect(e.get("block_size_preferred") == 4096, "nbdinfo: preferred block size 4096")
            expect(e.get("block_size_maximum", 0) >= 1 * MIB, "nbdinfo: maximum block size")
            r = run(["nbdinfo", "--list", "--json", srv.uri])
            names = [x["export-name"] for x in json.loads(r.stdout)["exports"]]
            expect(names == [""], "nbdinfo --list: the default export")
            with nbd_client.Client(srv.sock) as c:
                expect(c.size == 96 * MIB, "own client: size")
                want = (nbd_client.TF_SEND_FLUSH | nbd_client.TF_SEND_FUA |
                        nbd_client.TF_SEND_TRIM | nbd_client.TF_SEND_WRITE_ZEROES |
                        nbd_client.TF_CAN_MULTI_CONN)
                expect(c.flags & want == want, "own client: transmission flags")
                expect(c.block_sizes is not None and c.block_sizes[1] == 4096,
                       "own client: block sizes")
                c.write(0, b"x" * MIB)
                c.write_zeroes(2 * MIB, MIB, no_hole=True)
                c.flush()
            r = run(["nbdinfo", "--map", "--json", srv.uri])
            extents = [(e["offset"], e["length"], e["type"]) for e in json.loads(r.stdout)]
            expect(extents == [(0, MIB, 0), (MIB, MIB, 3), (2 * MIB, MIB, 2),
                               (3 * MIB, 93 * MIB, 3)],
                   "nbdinfo --map: data, hole, zero (NO_HOLE), hole (base:allocation)")
            srv.stop()
        with s.serve(image, extra=["--read-only"]) as srv:
            r = run(["nbdinfo", "--json", "--no-content", srv.uri])
            e = json.loads(r.stdout)["exports"][0]
            expect(e.get("is_read_only") is True, "nbdinfo: --read-only is read-only")
            with nbd_client.Client(srv.sock) as c:
                try:
                    c.write(0, bytes(4096))
                    raise AssertionError("a write to a read-only export succeeded")
                except nbd_client.NbdError as err:
                    expect(err.errno in (1, 30), f"write refused with EPERM/EROFS ({err.errno})")
            srv.stop()
        check_clean(s, image)


def case_tcp(accz):
    """TCP on loopback with a port the kernel picks, a named control socket, SIGINT."""
    need_tools("nbdinfo")
    import signal

    from nbd_harness import Server

    with Scratch(accz) as s:
        image = s.create(size="32M")
        ctl = s.path("tcp.ctl")
        with Server(accz, image, None, ["--port", "0", "--control", ctl]) as srv:
            expect(srv.uri.startswith("nbd://127.0.0.1:"), f"listening on loopback: {srv.uri}")
            r = run(["nbdinfo", "--json", "--no-content", srv.uri])
            e = json.loads(r.stdout)["exports"][0]
            expect(e["export-size"] == 32 * MIB, "nbdinfo over TCP: size")
            r = run([accz, "vol", "stats", "--control", ctl, "--json"])
            expect(json.loads(r.stdout)["source"] == "server", "stats through --control")
            srv.stop(signal.SIGINT)
            expect(not os.path.exists(ctl), "control socket removed")
        check_clean(s, image)


def case_nbdcopy(accz):
    need_tools("nbdcopy")
    with Scratch(accz) as s:
        image = s.create(size="64M")
        data = sample_data(6 * MIB // BLOCK) + os.urandom(12345)  # ends mid-block
        src = s.path("in.raw")
        with open(src, "wb") as f:
            f.write(data)
        out = s.path("out.raw")
        with s.serve(image) as srv:
            run(["nbdcopy", src, srv.uri])
            run(["nbdcopy", srv.uri, out])
            expect(os.path.getsize(out) == 64 * MIB, "nbdcopy: read the whole volume")
            same_prefix_rest_zero(out, data)
            srv.stop()
        check_clean(s, image)
        os.unlink(out)
        with s.serve(image) as srv:  # and again after a clean restart
            run(["nbdcopy", "--connections=4", srv.uri, out])
            same_prefix_rest_zero(out, data)
            srv.stop()


def case_qemu(accz):
    need_tools("qemu-img")
    with Scratch(accz) as s:
        image = s.create(size="64M")
        data = sample_data(8 * MIB // BLOCK, seed=2)
        src = s.path("in.raw")
        with open(src, "wb") as f:
            f.write(data)
            f.truncate(64 * MIB)
        out = s.path("out.raw")
        with s.serve(image) as srv:
            r = run(["qemu-img", "info", "--output=json", srv.uri])
            expect(json.loads(r.stdout)["virtual-size"] == 64 * MIB, "qemu-img info: size")
            run(["qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src, srv.uri])
            run(["qemu-img", "convert", "-f", "raw", "-O", "raw", srv.uri, out])
            with open(out, "rb") as f:
                expect(f.read() == data + bytes(56 * MIB), "qemu-img convert: round trip identical")
            run(["qemu-img", "compare", "-f", "raw", "-F", "raw", src, srv.uri])
            srv.stop()
        check_clean(s, image)


def case_trim_zeroes(accz):
    with Scratch(accz) as s:
        image = s.create(size="32M")
        with s.serve(image) as srv:
            pattern = bytes([0xAB]) * MIB
            with nbd_client.Client(srv.sock) as c:
                c.write(0, pattern)
                c.write(MIB, sample_data(MIB // BLOCK, seed=3))
                c.flush()
                used_before = srv.stats()["data_blocks_used"]
                c.trim(0, 256 * 1024)  # aligned: whole blocks
                c.write_zeroes(256 * 1024, 128 * 1024)  # may become a hole
                c.write_zeroes(384 * 1024, 128 * 1024, no_hole=True)
                c.write_zeroes(600 * 1024 + 100, 5000)  # unaligned: read-modify-write
                c.trim(MIB, MIB)
                c.flush()
                got = c.read(0, 2 * MIB)
                want = bytearray(pattern)
                want[0:512 * 1024] = bytes(512 * 1024)
                want[600 * 1024 + 100:600 * 1024 + 5100] = bytes(5000)
                expect(got[:MIB] == bytes(want), "own client: trim and write-zeroes read back")
                expect(got[MIB:] == bytes(MIB), "own client: trimmed MiB reads zeros")
                st = srv.stats()
                expect(st["trims"] >= 1 and st["write_zeroes"] >= 1, "stats count trims, zeroes")
                expect(st["data_blocks_used"] < used_before,
                       f"trim freed space ({used_before} -> {st['data_blocks_used']} blocks)")
            if shutil.which("qemu-io"):
                r = run(["qemu-io", "-f", "raw",
                         "-c", "write -P 0x5a 4M 1M",
                         "-c", "discard 4M 64k",
                         "-c", "write -z 4160k 64k",
                         "-c", "write -z -u 4224k 64k",
                         "-c", "read -P 0 4M 192k",
                         "-c", "read -P 0x5a 4288k 832k",
                         srv.uri])
                expect("fail" not in (r.stdout + r.stderr).lower(),
                       "qemu-io: discard and write -z read back as zeros, the rest intact")
            else:
                log("qemu-io missing: its part skipped")
            srv.stop()
        check_clean(s, image)


def case_savings(accz):
    """Data that is 1/4 zeros and 1/4 compressible text, then the same data again (already
    stored: every nonzero block a duplicate), saves space, and both the live and the on-disk
    statistics say so."""
    need_tools("nbdcopy")
    with Scratch(accz) as s:
        image = s.create(size="64M")
        src = s.path("in.raw")
        data = sample_data(8 * MIB // BLOCK, seed=4)
        with open(src, "wb") as f:
            f.write(data)
        with s.serve(image) as srv:
            run(["nbdcopy", src, srv.uri])
            with nbd_client.Client(srv.sock) as c:
                c.flush()
                for off in range(0, len(data), 256 * 1024):
                    c.write(8 * MIB + off, data[off:off + 256 * 1024])
                c.flush()
            live = srv.stats()
            expect(live["dedupe_advice_valid"] >= 1536,
                   f"live stats: {live['dedupe_advice_valid']} dedupe hits >= 1536")
            expect(live["compressed_fragments_written"] > 0, "live stats: compressed fragments")
            table = run([accz, "vol", "stats", "--socket", srv.sock]).stdout
            expect("Space saving%" in table, "stats table printed")
            srv.stop()
        r = run([accz, "vol", "stats", image, "--json"])
        disk = json.loads(r.stdout)
        # Per copy of 2048 blocks: 512 zero (unmapped or zero-mapped, no space), 512 random
        # (a block each), 512 text (fragments, several per block), 512 duplicates of the
        # text. Mapped: 2 x 1536 = 3072; stored: 512 + what 512 text fragments pack into
        # (2 or more a block): saving >= 75%. The first copy's duplicates may be in flight
        # together with their originals, which the engine does not share (it shares with
        # what is already stored): then 1024 fragments, saving >= 66.6%.
        expect(disk["logical_blocks_used"] == 3072, "on-disk stats: 3072 blocks mapped")
        expect(disk["saving_percent"] > 66.0, f"on-disk saving {disk['saving_percent']:.1f}% > 66%")
        check_clean(s, image)


if __name__ == "__main__":
    main({"nbdinfo": case_nbdinfo, "tcp": case_tcp, "nbdcopy": case_nbdcopy, "qemu": case_qemu,
          "trim_zeroes": case_trim_zeroes, "savings": case_savings})
