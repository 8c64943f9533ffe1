#!/usr/bin/env python3
"""zlib1g-dev's example programs, built at test time from the installed package and run on the
drop-in, unattended. Results are checked with the harness's own (stock) zlib, gzip and Python,
which never load the drop-in.

usage:
  zlib_examples.py --dropin DIR --abi DEF --work DIR build --cc CC --examples DIR
  zlib_examples.py --dropin DIR --abi DEF --work DIR run PROGRAM MODE

Programs: example, minigzip, minigzip64 (minigzip built with -D_FILE_OFFSET_BITS=64, so it calls
gzopen64 and the other *64 names), zpipe, gun, gzappend, gzjoin, zran, fitblk, gznorm.
Not run: enough.c (computes inflate table sizes; it calls no zlib function), infcover.c (needs
zlib's private inftrees.h and inflate.h, which the package does not install), gzlog.c (a
library without a main).
"""
import argparse
import gzip
import os
import random
import shutil
import subprocess
import sys
import zlib

from dropin_env import MODES, Dropin

# name -> (sources, extra compiler flags)
PROGRAMS = {
    "example": (["example.c"], []),
    "minigzip": (["minigzip.c"], []),
    "minigzip64": (["minigzip.c"], ["-D_FILE_OFFSET_BITS=64", "-D_LARGEFILE64_SOURCE"]),
    "zpipe": (["zpipe.c"], []),
    "gun": (["gun.c"], []),
    "gzappend": (["gzappend.c"], []),
    "gzjoin": (["gzjoin.c"], []),
    "zran": (["zran.c"], ["-DTEST"]),
    "fitblk": (["fitblk.c"], []),
    "gznorm": (["gznorm.c"], []),
}


def make_data(size, seed):
    """Deterministic, compressible-but-not-trivial bytes: words, numbers, runs of noise."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(400)]
    parts, total = [], 0
    while total < size:
        roll = rng.random()
        if roll < 0.02:
            chunk = rng.randbytes(rng.randint(1, 600))
        elif roll < 0.04:
            chunk = bytes([rng.randrange(256)]) * rng.randint(1, 3000)
        else:
            chunk = b" ".join(rng.choice(words) for _ in range(rng.randint(3, 15))) + b"\n"
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)[:size]


class Runner:
    def __init__(self, dropin, bindir, workdir, mode):
        self.dropin, self.bindir, self.workdir, self.mode = dropin, bindir, workdir, mode
        self.runs = 0

    def write(self, name, data):
        path = os.path.join(self.workdir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def read(self, name):
        with open(os.path.join(self.workdir, name), "rb") as f:
            return f.read()

    def run(self, program, *args, stdin=b"", expect_rc=0, expect_stderr=None):
        """Runs a built example on the drop-in; returns its stdout. expect_rc=None accepts any
        exit status (for programs that report some errors only on stderr)."""
        self.runs += 1
        prefix = os.path.join(self.workdir, "ld-debug", f"{program}-{self.runs}")
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
        proc = subprocess.run([os.path.join(self.bindir, program), *args], input=stdin,
                              capture_output=True, cwd=self.workdir,
                              env=self.dropin.env(self.mode, prefix), timeout=300)
        if expect_rc is not None and (proc.returncode == 0) != (expect_rc == 0):
            raise AssertionError(f"{program} {' '.join(args)}: exit {proc.returncode}\n"
                                 f"stderr: {proc.stderr.decode(errors='replace')[-2000:]}")
        if expect_stderr is not None and expect_stderr.encode() not in proc.stderr:
            raise AssertionError(f"{program} {' '.join(args)}: stderr lacks {expect_stderr!r}: "
                                 f"{proc.stderr.decode(errors='replace')[-2000:]}")
        if proc.returncode == 0:
            self.dropin.check_bindings(prefix)
        return proc.stdout


def expect_equal(what, got, want):
    if got != want:
        at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got),
                                                                                 len(want)))
        raise AssertionError(f"{what}: {len(got)} bytes, want {len(want)}; first difference "
                             f"at {at}")


def gzip_members(*datas, level=6):
    return b"".join(gzip.compress(d, compresslevel=level, mtime=0) for d in datas)


def check_example(r):
    out = r.run("example").decode(errors="replace")
    if "zlib version 1.2.13" not in out or "inflateSync(): hello, hello!" not in out:
        raise AssertionError("example: unexpected output:\n" + out)


def check_minigzip(r, program):
    data = make_data(700_000, 1)
    for flags in ([], ["-1"], ["-9"], ["-h"], ["-r"], ["-f"]):
        packed = r.run(program, *flags, stdin=data)
        expect_equal(f"{program} {flags} -> stock gunzip", gzip.decompress(packed), data)
        expect_equal(f"{program} {flags} -d", r.run(program, "-d", stdin=packed), data)
    # Two members from stock gzip: read back as one stream, the zlib way.
    more = make_data(50_000, 2)
    expect_equal(f"{program} -d of two members", r.run(program, "-d",
                                                       stdin=gzip_members(data, more)),
                 data + more)
    # File mode: gzopen/gzopen64 by name, then the .gz replaces the file and back.
    r.write("file.txt", data)
    r.run(program, "-9", "file.txt")
    if os.path.exists(os.path.join(r.workdir, "file.txt")):
        raise AssertionError(f"{program}: file.txt was not replaced by file.txt.gz")
    expect_equal(f"{program} file.txt.gz -> stock", gzip.decompress(r.read("file.txt.gz")), data)
    r.run(program, "-d", "file.txt.gz")
    expect_equal(f"{program} -d file.txt.gz", r.read("file.txt"), data)


def check_zpipe(r):
    data = make_data(1_000_000, 3)
    packed = r.run("zpipe", stdin=data)
    expect_equal("zpipe -> stock inflate", zlib.decompress(packed), data)
    expect_equal("zpipe -d", r.run("zpipe", "-d", stdin=packed), data)
    expect_equal("zpipe -d of stock level 1", r.run("zpipe", "-d", stdin=zlib.compress(data, 1)),
                 data)
    corrupt = bytearray(packed)
    corrupt[len(corrupt) // 2] ^= 0x55
    r.run("zpipe", "-d", stdin=bytes(corrupt), expect_rc=1)
    r.run("zpipe", "-d", stdin=packed[: len(packed) // 2], expect_rc=1)


def check_gun(r):
    a, b = make_data(400_000, 4), make_data(90_000, 5)
    r.write("two.gz", gzip_members(a, b, level=9))
    r.run("gun", "-t", "two.gz")
    r.run("gun", "two.gz")
    expect_equal("gun two.gz", r.read("two"), a + b)
    if os.path.exists(os.path.join(r.workdir, "two.gz")):
        raise AssertionError("gun: two.gz was not removed after success")
    expect_equal("gun stdin", r.run("gun", stdin=gzip_members(b, a, level=1)), b + a)
    corrupt = bytearray(gzip_members(a))
    corrupt[-6] ^= 1  # the CRC-32 in the trailer
    r.write("bad.gz", bytes(corrupt))
    # gun reports a bad check value on stderr but, as with stock zlib, may still exit 0.
    r.run("gun", "-t", "bad.gz", expect_rc=None, expect_stderr="incorrect data check")


def check_gzappend(r):
    parts = [make_data(300_000, 6), make_data(120_000, 7), make_data(5_000, 8)]
    r.write("log.gz", gzip_members(parts[0]))
    r.write("p1", parts[1])
    r.write("p2", parts[2])
    r.run("gzappend", "-7", "log.gz", "p1", "p2")
    expect_equal("gzappend", gzip.decompress(r.read("log.gz")), b"".join(parts))
    r.run("gzappend", "log.gz", "p2")  # append to what gzappend itself wrote
    expect_equal("gzappend twice", gzip.decompress(r.read("log.gz")), b"".join(parts) + parts[2])


def check_gzjoin(r):
    parts = [make_data(200_000, 9), make_data(1, 10), make_data(333_333, 11)]
    names = []
    for i, (part, level) in enumerate(zip(parts, (9, 1, 6))):
        names.append(f"j{i}.gz")
        r.write(names[-1], gzip_members(part, level=level))
    joined = r.run("gzjoin", *names)
    d = zlib.decompressobj(31)
    expect_equal("gzjoin", d.decompress(joined), b"".join(parts))
    if not d.eof or d.unused_data:
        raise AssertionError("gzjoin: output is not exactly one gzip member")


def check_zran(r):
    data = make_data(3_500_000, 12)
    r.write("big.gz", gzip_members(data))
    for offset in (0, 1_234_567, len(data) - 100):
        got = r.run("zran", "big.gz", str(offset))
        expect_equal(f"zran at {offset}", got, data[offset:offset + 16384])


def check_fitblk(r):
    data = make_data(200_000, 13)
    for size in (4096, 1000):
        block = r.run("fitblk", str(size), stdin=data)
        if not 0 < len(block) <= size:
            raise AssertionError(f"fitblk {size}: {len(block)} bytes")
        inflated = zlib.decompress(block)
        if len(inflated) <= size or not data.startswith(inflated):
            raise AssertionError(f"fitblk {size}: {len(inflated)} bytes, not a long prefix")


def check_gznorm(r):
    parts = [make_data(150_000, 14), make_data(20_000, 15), make_data(250_000, 16)]
    normal = r.run("gznorm", stdin=gzip_members(*parts))
    d = zlib.decompressobj(31)
    expect_equal("gznorm", d.decompress(normal), b"".join(parts))
    if not d.eof or d.unused_data:
        raise AssertionError("gznorm: output is not exactly one gzip member")


CHECKS = {
    "example": check_example,
    "minigzip": lambda r: check_minigzip(r, "minigzip"),
    "minigzip64": lambda r: check_minigzip(r, "minigzip64"),
    "zpipe": check_zpipe,
    "gun": check_gun,
    "gzappend": check_gzappend,
    "gzjoin": check_gzjoin,
    "zran": check_zran,
    "fitblk": check_fitblk,
    "gznorm": check_gznorm,
}


def build(args):
    bindir = os.path.join(args.work, "bin")
    os.makedirs(bindir, exist_ok=True)
    for name, (sources, flags) in PROGRAMS.items():
        paths = [os.path.join(args.examples, s) for s in sources]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            raise SystemExit(f"{name}: {missing[0]} not installed (apt-get install zlib1g-dev)")
        # Built against the installed <zlib.h> and -lz, exactly as a user's program would be.
        cmd = [args.cc, "-O2", "-w", *flags, "-I", args.examples, *paths, "-o",
               os.path.join(bindir, name), "-lz"]
        subprocess.run(cmd, check=True)
    print(f"built {len(PROGRAMS)} programs in {bindir}")


def run(args, dropin):
    bindir = os.path.join(args.work, "bin")
    workdir = os.path.join(args.work, f"{args.program}-{args.mode}")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    r = Runner(dropin, bindir, workdir, args.mode)
    CHECKS[args.program](r)
    print(f"{args.program} ({args.mode}): {r.runs} runs passed, every zlib call bound to "
          f"{dropin.library}")
    shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dropin", required=True)
    parser.add_argument("--abi", required=True)
    parser.add_argument("--work", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--cc", required=True)
    b.add_argument("--examples", required=True)
    r = sub.add_parser("run")
    r.add_argument("program", choices=sorted(CHECKS))
    r.add_argument("mode", choices=MODES)
    args = parser.parse_args()
    if args.command == "build":
        build(args)
    else:
        run(args, Dropin(args.dropin, args.abi))


if __name__ == "__main__":
    sys.exit(main())
