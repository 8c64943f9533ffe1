#!/usr/bin/env python3
"""python3's zlib, gzip and zipfile on the drop-in: runs python_roundtrip.py in a child python
(the same interpreter as this one) through LD_PRELOAD or LD_LIBRARY_PATH, checks that the
child's zlib module bound to the drop-in, then verifies its artifacts here, on stock zlib.

usage: python_compat.py --dropin DIR --abi DEF --work DIR MODE
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import zipfile
import zlib

from dropin_env import MODES, Dropin


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dropin", required=True)
    parser.add_argument("--abi", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("mode", choices=MODES)
    args = parser.parse_args()
    dropin = Dropin(args.dropin, args.abi)

    # CPython must take zlib from libz.so.1 for this test to mean anything: either its zlib
    # extension module links it, or (zlib built in) the interpreter does. check_bindings()
    # below proves the calls reached the drop-in either way.
    module = getattr(zlib, "__file__", None)
    if module is not None:
        needed = subprocess.run(["readelf", "-d", module], capture_output=True,
                                text=True).stdout
        if "[libz.so.1]" not in needed:
            print(f"SKIP: {module} does not link libz.so.1")
            return 0

    workdir = os.path.join(args.work, f"python-{args.mode}")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    prefix = os.path.join(workdir, "ld-debug")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_roundtrip.py")
    proc = subprocess.run([sys.executable, script, workdir, dropin.library],
                          env=dropin.env(args.mode, prefix), capture_output=True, text=True,
                          timeout=600)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return 1
    bound = dropin.check_bindings(prefix)

    with open(os.path.join(workdir, "py.json")) as f:
        sums = json.load(f)
    with open(os.path.join(workdir, "py.zlib"), "rb") as f:
        data = zlib.decompress(f.read())
    assert len(data) == sums["size"]
    assert zlib.crc32(data) == sums["crc32"] == sums["binascii_crc32"]
    assert zlib.adler32(data) == sums["adler32"]
    assert gzip.decompress(open(os.path.join(workdir, "py.gz"), "rb").read()) == data
    with zipfile.ZipFile(os.path.join(workdir, "py.zip")) as z:
        assert z.testzip() is None
        assert z.read("member0.txt") == data
    print(f"python ({args.mode}): {bound} zlib bindings to the drop-in; artifacts verified "
          "with stock zlib")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
