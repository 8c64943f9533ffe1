#!/usr/bin/env python3
"""`accz run` and the drop-in's environment configuration, end to end.

A child python3 is run through `accz run` (so on the drop-in via LD_LIBRARY_PATH); it calls
zlib's checksums through the zlib module and compress2/uncompress through ctypes on the
libz.so.1 it was given, and prints the results. This (stock-zlib) python checks the values,
the child's exit statuses as a shell would report them, and the statistics text: which engine
served each family and why calls fell back to zlib, under ACCZ_ZLIB_ENGINES defaults and
"none", and ACCZ_ZLIB_LOG=2's fallback lines.

usage: run_compat.py --accz PATH --dropin DIR
"""
import argparse
import json
import os
import re
import subprocess
import sys
import zlib

from dropin_env import sanitizer_runtimes

CHILD = r"""
import ctypes, json, os, sys, zlib
lib = ctypes.CDLL("libz.so.1")
data = bytes((i * 7 + i // 1000) % 251 for i in range(1 << 20))
text = b"".join(b"line %d of the quick brown fox\n" % i for i in range(4000))
def compress2(src, level):
    cap = ctypes.c_ulong(lib.compressBound(ctypes.c_ulong(len(src))))
    buf = ctypes.create_string_buffer(cap.value)
    rc = lib.compress2(buf, ctypes.byref(cap), src, ctypes.c_ulong(len(src)), level)
    return rc, buf.raw[:cap.value]
def uncompress(src, size):
    cap = ctypes.c_ulong(size)
    buf = ctypes.create_string_buffer(max(size, 1))
    rc = lib.uncompress(buf, ctypes.byref(cap), src, ctypes.c_ulong(len(src)))
    return rc, buf.raw[:cap.value]
rc1, c1 = compress2(text, 1)
rc0, c0 = compress2(text, 0)
rcu, back = uncompress(c1, len(text))
rcs, _ = uncompress(c1, len(text) - 1)
print(json.dumps({
    "crc32": zlib.crc32(data), "adler32": zlib.adler32(data),
    "rc1": rc1, "c1": c1.hex(), "rc0": rc0, "c0": c0.hex(),
    "rcu": rcu, "back_ok": back == text, "rcs": rcs,
    "ld_library_path": os.environ.get("LD_LIBRARY_PATH", ""),
}))
"""


# A sanitizer build's drop-in needs its runtime loaded first in every program it enters.
PRELOAD = []


def run(accz, args, env_extra=None):
    env = dict(os.environ)
    for k in ("ACCZ_ZLIB_ENGINES", "ACCZ_ZLIB_STATS", "ACCZ_ZLIB_LOG", "LD_PRELOAD"):
        env.pop(k, None)
    if PRELOAD:
        env["LD_PRELOAD"] = ":".join(PRELOAD)
        # python3 is not ours: its leaks at exit are not the drop-in's findings.
        env["ASAN_OPTIONS"] = "detect_leaks=0:verify_asan_link_order=0"
    env.update(env_extra or {})
    return subprocess.run([accz, "run"] + args, env=env, capture_output=True, text=True,
                          timeout=300)


def check(cond, what, proc=None):
    if not cond:
        if proc is not None:
            sys.stderr.write(f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}\n")
        raise SystemExit(f"FAIL: {what}")
    print(f"ok: {what}")


def stats_rows(stderr):
    rows = {}
    for m in re.finditer(r"^  (\w+)\s+(zlib|isal|libdeflate)\s+(\d+)\s+(\d+)\s+(\d+)$", stderr,
                         re.M):
        rows[(m.group(1), m.group(2))] = tuple(int(m.group(i)) for i in (3, 4, 5))
    return rows


def check_child_results(out, dropin, proc):
    text = b"".join(b"line %d of the quick brown fox\n" % i for i in range(4000))
    data = bytes((i * 7 + i // 1000) % 251 for i in range(1 << 20))
    check(out["ld_library_path"].split(":")[0] == dropin, "LD_LIBRARY_PATH starts with the drop-in",
          proc)
    check(out["crc32"] == zlib.crc32(data) and out["adler32"] == zlib.adler32(data),
          "checksums equal stock zlib's", proc)
    check(out["rc1"] == 0 and zlib.decompress(bytes.fromhex(out["c1"])) == text,
          "compress2 level 1 inflates with stock zlib", proc)
    check(len(out["c1"]) // 2 <= len(zlib.compress(text, 1)), "no larger than zlib at level 1")
    stock = {}
    exec(CHILD.split("rc1, c1 =")[0], stock)  # the child's helpers, here on stock zlib
    check(bytes.fromhex(out["c0"]) == stock["compress2"](text, 0)[1],
          "level 0 is stock compress2's stored output", proc)
    check(out["rcu"] == 0 and out["back_ok"], "uncompress restores the input", proc)
    check(out["rcs"] == -5, "uncompress into a buffer one byte short: Z_BUF_ERROR")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accz", required=True)
    parser.add_argument("--dropin", required=True)
    args = parser.parse_args()
    dropin = os.path.realpath(args.dropin)
    py = sys.executable
    PRELOAD.extend(sanitizer_runtimes(os.path.join(dropin, "libz.so.1")))

    # Default engines, statistics collected by accz run.
    proc = run(args.accz, ["--stats", "--", py, "-c", CHILD])
    check(proc.returncode == 0, "accz run --stats exits with the child's status 0", proc)
    check_child_results(json.loads(proc.stdout), dropin, proc)
    rows = stats_rows(proc.stderr)
    check("accz libz.so.1 stats: pid" in proc.stderr, "stats report printed", proc)
    check(rows.get(("crc32", "isal"), (0, 0, 0))[1] >= 1 << 20, "crc32 served by isal", proc)
    check(rows.get(("adler32", "isal"), (0, 0, 0))[1] >= 1 << 20, "adler32 served by isal", proc)
    check(rows.get(("compress", "isal"), (0,))[0] == 1, "level 1 compress2 of text on isal",
          proc)
    check(rows.get(("compress", "zlib"), (0,))[0] == 1, "level 0 compress2 on zlib", proc)
    check(re.search(r"compress\s+1\s+level 0: stored blocks", proc.stderr) is not None,
          "level 0 fallback reason reported", proc)
    check(rows.get(("uncompress", "isal"), (0,))[0] == 1, "uncompress on isal", proc)
    check(re.search(r"uncompress\s+1\s+engine output did not fit", proc.stderr) is not None,
          "short-buffer uncompress fell back to zlib with its reason", proc)

    # Everything passed through.
    proc = run(args.accz, ["--stats", "--", py, "-c", CHILD], {"ACCZ_ZLIB_ENGINES": "none"})
    check(proc.returncode == 0, "ACCZ_ZLIB_ENGINES=none runs", proc)
    check_child_results(json.loads(proc.stdout), dropin, proc)
    rows = stats_rows(proc.stderr)
    check(not any(e != "zlib" for (_, e) in rows), "ACCZ_ZLIB_ENGINES=none: only zlib served",
          proc)
    check("engine disabled by ACCZ_ZLIB_ENGINES" in proc.stderr, "disabled-engine reason", proc)

    # Only one engine; an unknown name is reported, not fatal.
    proc = run(args.accz, ["--stats", "--", py, "-c", CHILD],
               {"ACCZ_ZLIB_ENGINES": "isal,bogus", "ACCZ_ZLIB_LOG": "2"})
    check(proc.returncode == 0, "ACCZ_ZLIB_ENGINES=isal,bogus runs", proc)
    rows = stats_rows(proc.stderr)
    check(("crc32", "isal") in rows and ("compress", "libdeflate") not in rows,
          "ACCZ_ZLIB_ENGINES=isal: checksums on isal, compress on zlib", proc)
    check("unknown engine 'bogus'" in proc.stderr, "unknown engine reported", proc)
    check("compress: to zlib: engine disabled" in proc.stderr, "ACCZ_ZLIB_LOG=2 logs fallbacks",
          proc)

    # ACCZ_ZLIB_STATS=1 without accz run --stats: the report goes to stderr.
    proc = run(args.accz, ["--", py, "-c", "import zlib; zlib.crc32(b'x')"],
               {"ACCZ_ZLIB_STATS": "1"})
    check(proc.returncode == 0 and re.search(r"crc32\s+isal\s+1\s+1\s", proc.stderr) is not None,
          "ACCZ_ZLIB_STATS=1 prints on stderr", proc)
    proc = run(args.accz, ["--", py, "-c", "import zlib; zlib.crc32(b'x')"])
    check(proc.returncode == 0 and proc.stderr == "", "no configuration: nothing on stderr", proc)

    # Exit statuses as a shell reports them.
    proc = run(args.accz, ["--", py, "-c", "import sys; sys.exit(7)"])
    check(proc.returncode == 7, "exit status 7 passed through", proc)
    proc = run(args.accz, [py, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"])
    check(proc.returncode == 128 + 15, "killed by SIGTERM: 143", proc)
    proc = run(args.accz, ["--", "/nonexistent/program"])
    check(proc.returncode == 127, "missing program: 127", proc)
    proc = run(args.accz, ["--stats"])
    check(proc.returncode == 1 and "no command" in proc.stderr, "no command: usage error", proc)
    proc = run(args.accz, ["--stats", "--", "true"])
    check(proc.returncode == 0 and "no zlib calls reported" in proc.stderr,
          "a program without zlib: said so", proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
