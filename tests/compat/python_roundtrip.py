"""Runs inside python3 on the drop-in (started by python_compat.py): zlib, gzip, zipfile and
binascii round trips through CPython's zlib module, which links libz.so.1 dynamically. Leaves its
compressed artifacts and checksums in WORKDIR for the parent, on stock zlib, to verify.

usage: python3 python_roundtrip.py WORKDIR DROPIN_LIBRARY
"""
import binascii
import gzip
import io
import json
import os
import random
import sys
import zipfile
import zlib

workdir, dropin = sys.argv[1], os.path.realpath(sys.argv[2])

with open("/proc/self/maps") as f:
    assert dropin in f.read(), "the drop-in is not mapped into this python"
assert zlib.ZLIB_RUNTIME_VERSION == "1.2.13", zlib.ZLIB_RUNTIME_VERSION

rng = random.Random(7)
words = [bytes(rng.choice(b"etaoinshrdlu ") for _ in range(rng.randint(1, 8))) for _ in range(300)]
data = b"".join(rng.choice(words) for _ in range(120_000)) + rng.randbytes(20_000)

# One-shot, every level.
for level in range(-1, 10):
    assert zlib.decompress(zlib.compress(data, level)) == data, level

# Streams: raw, zlib, gzip and auto-detect windows; memLevel; every strategy; flush modes.
strategies = [zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE,
              zlib.Z_FIXED]
for wbits, inflate_wbits in ((-15, -15), (15, 15), (31, 31), (9, 47), (-9, -9), (25, 47)):
    for strategy in strategies:
        c = zlib.compressobj(6, zlib.DEFLATED, wbits, rng.randint(1, 9), strategy)
        out = []
        for i in range(0, len(data), 70_001):
            out.append(c.compress(data[i:i + 70_001]))
            out.append(c.flush(rng.choice([zlib.Z_SYNC_FLUSH, zlib.Z_FULL_FLUSH,
                                           zlib.Z_NO_FLUSH])))
        out.append(c.flush())
        stream = b"".join(out)
        d = zlib.decompressobj(inflate_wbits)
        back = b"".join(d.decompress(stream[i:i + 997]) for i in range(0, len(stream), 997))
        assert back + d.flush() == data and d.eof, (wbits, strategy)

# Preset dictionary, inflate's max_length / unconsumed_tail, data after the end, copies.
zdict = data[:32768]
c = zlib.compressobj(9, zdict=zdict)
stream = c.compress(data) + c.flush()
d = zlib.decompressobj(zdict=zdict)
pieces, rest = [], stream + b"TRAILER"
while not d.eof:
    pieces.append(d.decompress(rest, 4096))
    rest = d.unconsumed_tail
assert b"".join(pieces) == data and d.unused_data == b"TRAILER"
c = zlib.compressobj(5)
head = c.compress(data[:50_000])
fork = c.copy()
assert zlib.decompress(head + c.compress(data[50_000:]) + c.flush()) == data
assert zlib.decompress(head + fork.flush()) == data[:50_000]

# gzip: one-shot, multi-member, file objects.
members = gzip.compress(data[:1000], mtime=0) + gzip.compress(data, 1, mtime=0)
assert gzip.decompress(members) == data[:1000] + data
with gzip.open(os.path.join(workdir, "py.gz"), "wb", compresslevel=9) as g:
    for i in range(0, len(data), 12_345):
        g.write(data[i:i + 12_345])
with gzip.open(os.path.join(workdir, "py.gz"), "rb") as g:
    assert g.read() == data

# zipfile, deflated members, tested and read back.
zpath = os.path.join(workdir, "py.zip")
with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(5):
        z.writestr(f"member{i}.txt", data[i * 1000:], compress_type=zipfile.ZIP_DEFLATED,
                   compresslevel=i + 1)
with zipfile.ZipFile(zpath) as z:
    assert z.testzip() is None
    for i in range(5):
        assert z.read(f"member{i}.txt") == data[i * 1000:]

with open(os.path.join(workdir, "py.zlib"), "wb") as f:
    f.write(zlib.compress(data, 6))
with open(os.path.join(workdir, "py.json"), "w") as f:
    json.dump({"crc32": zlib.crc32(data), "adler32": zlib.adler32(data),
               "binascii_crc32": binascii.crc32(data), "size": len(data)}, f)
print(f"python {sys.version.split()[0]}: zlib {zlib.ZLIB_RUNTIME_VERSION}, round trips passed")
