#!/usr/bin/env python3
"""`accz vol` as a user meets it without a client: create's sizes and errors, check's exit
codes (0 consistent, 1 problems, 2 error), stats from an image, and usage errors.

Usage: test_cli.py --accz PATH [create|check_stats|usage]
"""
import json
import os

from nbd_harness import Scratch, expect, main, run

GIB = 1 << 30


def case_create(accz):
    with Scratch(accz) as s:
        img = s.path("a.img")
        r = run([accz, "vol", "create", img, "--size", "1G", "--compression", "zstd",
                 "--dedupe", "off"])
        expect("1.0G logical" in r.stdout, "create reports the logical size")
        st = os.stat(img)
        expect(st.st_size > GIB and st.st_blocks * 512 < 64 << 20,
               f"the image is sparse ({st.st_size} bytes, {st.st_blocks * 512} allocated)")
        rep = json.loads(run([accz, "vol", "stats", img, "--json"]).stdout)
        expect(rep["algorithm"] == "zstd" and rep["dedupe"] is False, "settings recorded")
        expect(rep["logical_bytes"] == GIB, "logical size recorded")
        expect(rep["physical_blocks"] >= GIB // 4096,
               "default physical size holds every logical block")

        r = run([accz, "vol", "create", img, "--size", "1G"], check=False)
        expect(r.returncode == 1 and "already exists" in r.stderr, "refuses an existing image")
        r = run([accz, "vol", "create", img, "--size", "256M", "--physical-size", "300M",
                 "--force"])
        expect(os.stat(img).st_size == 300 << 20, "--force overwrites, --physical-size sizes")
        rep = json.loads(run([accz, "vol", "stats", img, "--json"]).stdout)
        expect(rep["logical_bytes"] == 256 << 20 and rep["algorithm"] == "lz4",
               "the new volume replaced the old")

        bad = s.path("b.img")
        for args, why in [(["--size", "1000"], "multiple of 4 KiB"),
                          (["--size", "12Q"], "unknown suffix"),
                          (["--size", "1G", "--physical-size", "1M"], "too small"),
                          (["--size", "0"], "positive"),
                          (["--size", "1G", "--compression", "brotli"], "brotli")]:
            r = run([accz, "vol", "create", bad, *args], check=False)
            expect(r.returncode == 1 and why in r.stderr, f"create {' '.join(args)}: {why}")
            expect(not os.path.exists(bad), "a failed create leaves no file")

        big = s.path("t.img")
        r = run([accz, "vol", "create", big, "--size", "1T", "--physical-size", "8G"])
        expect("1.0T logical" in r.stdout, "a 1 TiB thin volume on an 8 GiB image")


def case_check_stats(accz):
    with Scratch(accz) as s:
        img = s.create(size="64M")
        rc, rep = s.check(img)
        expect(rc == 0 and rep["consistent"] and not rep["needs_replay"], "fresh volume checks")
        r = run([accz, "vol", "check", img])
        expect("consistent" in r.stdout, "plain output says consistent")
        table = run([accz, "vol", "stats", img]).stdout
        for col in ("Device", "Size", "Used", "Available", "Use%", "Space saving%"):
            expect(col in table, f"stats table has {col}")

        junk = s.path("junk.img")
        with open(junk, "wb") as f:
            f.truncate(8 << 20)
        rc, rep = s.check(junk)
        expect(rc == 2 and "error" in rep, "check of a non-volume: exit 2")
        rc, _ = s.check(s.path("missing.img"))
        expect(rc == 2, "check of a missing file: exit 2")
        r = run([accz, "vol", "stats", junk], check=False)
        expect(r.returncode == 1, "stats of a non-volume: exit 1")
        r = run([accz, "vol", "stats", "--socket", s.path("none.sock")], check=False)
        expect(r.returncode == 1 and "none.sock.ctl" in r.stderr, "stats without a server")


def case_usage(accz):
    for args, why in [(["vol"], "required"),
                      (["vol", "serve", "x.img"], "--socket or --port"),
                      (["vol", "serve", "x.img", "--socket", "a", "--port", "1"], "excludes"),
                      (["vol", "stats"], "exactly one"),
                      (["vol", "bogus"], "subcommand")]:
        r = run([accz, *args], check=False)
        expect(r.returncode == 1 and why in (r.stdout + r.stderr),
               f"accz {' '.join(args)}: exit 1, says '{why}'")
    for sub in ("create", "serve", "stats", "check"):
        r = run([accz, "vol", sub, "--help"])
        expect("Exit status" in r.stdout, f"vol {sub} --help documents the exit status")
    r = run([accz, "vol", "serve", "--help"])
    expect('{"command":"stats"}' in r.stdout, "serve --help documents the control socket")


if __name__ == "__main__":
    main({"create": case_create, "check_stats": case_check_stats, "usage": case_usage})
