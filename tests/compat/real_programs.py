#!/usr/bin/env python3
"""Real programs doing their own work on the libz.so.1 drop-in, each result checked byte for byte
with stock tools, and LD_DEBUG=bindings proof that their zlib calls reached the drop-in.

  git    a repository of a few hundred commits of generated files; `git clone --no-local` (which
         packs and unpacks every object through zlib) and `git fsck --full` of the clone, all on
         the drop-in; the clone's files must equal the originals.
  pigz   compresses a generated file on the drop-in (several threads) and decompresses stock
         gzip's output; checked with stock gzip both ways.
  curl   `curl --compressed` (libcurl's streaming inflate) against a python http.server on
         127.0.0.1 that serves gzip Content-Encoding in small chunks.
  rsync  `rsync -z` (a deflate stream with Z_SYNC_FLUSH per token) through an rsync daemon on
         127.0.0.1, both ends on the drop-in.

A missing program prints "SKIP: ..." (ctest's SKIP_REGULAR_EXPRESSION) and exits 0.

usage: real_programs.py --dropin DIR --abi DEF --work DIR {git,pigz,curl,rsync} [--mode MODE]
"""
import argparse
import gzip
import hashlib
import http.server
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time

from dropin_env import MODES, Dropin


def generated(seed, size):
    """Text-like and binary-like bytes, reproducible."""
    rng = random.Random(seed)
    words = [b"zlib", b"deflate", b"stream", b"accz", b"window", b"block", b"the", b"of",
             b"and", b"data\n", b"%d" % seed]
    out = bytearray()
    while len(out) < size:
        if rng.random() < 0.8:
            out += b" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) + b"\n"
        else:
            out += rng.randbytes(rng.randint(1, 300))
    return bytes(out[:size])


def run(cmd, env, cwd=None, timeout=600, input_bytes=None):
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, timeout=timeout,
                          input=input_bytes)
    if proc.returncode != 0:
        sys.stderr.write(f"$ {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}\n")
        raise SystemExit(f"FAIL: {cmd[0]} exited with {proc.returncode}")
    return proc.stdout


def clean_env():
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "LD_LIBRARY_PATH", "LD_DEBUG", "LD_DEBUG_OUTPUT"):
        env.pop(k, None)
    return env


def git_env(env):
    env = dict(env)
    env.update({"GIT_AUTHOR_NAME": "accz", "GIT_AUTHOR_EMAIL": "accz@example.invalid",
                "GIT_COMMITTER_NAME": "accz", "GIT_COMMITTER_EMAIL": "accz@example.invalid",
                "GIT_CONFIG_NOSYSTEM": "1", "HOME": env.get("ACCZ_GIT_HOME", "/nonexistent"),
                "GIT_CONFIG_GLOBAL": "/dev/null"})
    return env


def tree_digest(root):
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        paths += [os.path.join(dirpath, name) for name in filenames]
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(os.path.relpath(path, root).encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def make_history(src, env, rng, commits, dirs, files, max_size, gc_at=None):
    """git init SRC, then COMMITS commits of 1-3 generated files each, chosen by RNG among
    dir0..dirDIRS/file0..fileFILES.txt of up to MAX_SIZE bytes; `git gc` after commit GC_AT."""
    run(["git", "init", "-q", "-b", "main", src], env)
    for i in range(commits):
        for _ in range(rng.randint(1, 3)):
            folder = f"dir{rng.randint(0, dirs)}"
            name = os.path.join(src, folder, f"file{rng.randint(0, files)}.txt")
            os.makedirs(os.path.dirname(name), exist_ok=True)
            with open(name, "wb") as f:
                f.write(generated(rng.randint(0, 1 << 30), rng.randint(0, max_size)))
        run(["git", "add", "-A"], env, cwd=src)
        run(["git", "commit", "-q", "-m", f"commit {i}"], env, cwd=src)
        if i == gc_at:
            run(["git", "gc", "-q"], env, cwd=src)


def test_git(dropin, mode, work):
    if shutil.which("git") is None:
        return "SKIP: git not installed"
    src = os.path.join(work, "src")
    os.makedirs(src)
    env = git_env(dropin.env(mode, os.path.join(work, "ld-debug")))
    # Commits made on the drop-in too: every object git writes is deflated by it.
    commits = 300
    # A pack midway; loose objects after.
    make_history(src, env, random.Random(3), commits, dirs=9, files=40, max_size=40000,
                 gc_at=commits // 2)
    clone = os.path.join(work, "clone")
    run(["git", "clone", "-q", "--no-local", src, clone], env)
    run(["git", "fsck", "--full", "--strict"], env, cwd=clone)
    count = run(["git", "rev-list", "--count", "HEAD"], env, cwd=clone).strip()
    bound = dropin.check_bindings(os.path.join(work, "ld-debug"))
    # Stock git must agree: the repository the drop-in wrote, and the clone, are sound.
    stock = git_env(clean_env())
    run(["git", "fsck", "--full", "--strict"], stock, cwd=src)
    run(["git", "fsck", "--full", "--strict"], stock, cwd=clone)
    if int(count) != commits:
        raise SystemExit(f"FAIL: the clone has {count} commits, not {commits}")
    if tree_digest(src) != tree_digest(clone):
        raise SystemExit("FAIL: the clone's files differ from the original's")
    return (f"git ({mode}): {commits} commits, clone --no-local and fsck --full on the drop-in, "
            f"{bound} zlib bindings to it; stock git fsck of both repositories clean")


def test_pigz(dropin, mode, work):
    for tool in ("pigz", "gzip"):
        if shutil.which(tool) is None:
            return f"SKIP: {tool} not installed"
    data = generated(7, 12 << 20)
    path = os.path.join(work, "data")
    with open(path, "wb") as f:
        f.write(data)
    env = dropin.env(mode, os.path.join(work, "ld-debug"))
    stock = clean_env()
    outputs = {}
    for level in ("-1", "-6", "-9"):
        packed = run(["pigz", level, "-p", "2", "-c", path], env)
        if gzip.decompress(packed) != data:
            raise SystemExit(f"FAIL: python cannot read back pigz {level}'s output")
        if run(["gzip", "-dc"], stock, input_bytes=packed) != data:
            raise SystemExit(f"FAIL: stock gzip cannot read back pigz {level}'s output")
        outputs[level] = len(packed)
    by_gzip = run(["gzip", "-6", "-c", path], stock)
    if run(["pigz", "-dc"], env, input_bytes=by_gzip) != data:
        raise SystemExit("FAIL: pigz -d on the drop-in misread stock gzip's output")
    if run(["pigz", "-t"], env, input_bytes=by_gzip) != b"":
        raise SystemExit("FAIL: pigz -t printed something")
    bound = dropin.check_bindings(os.path.join(work, "ld-debug"))
    sizes = ", ".join(f"{k}: {v}" for k, v in outputs.items())
    return (f"pigz ({mode}): 12 MiB compressed ({sizes} bytes) and decompressed on the drop-in, "
            f"checked with stock gzip; {bound} zlib bindings to it")


class GzipHandler(http.server.BaseHTTPRequestHandler):
    """Serves /data gzip-encoded, written in small pieces so the client inflates a stream."""
    payload = b""
    packed = b""

    def do_GET(self):
        if self.path != "/data" or "gzip" not in self.headers.get("Accept-Encoding", ""):
            self.send_error(406 if self.path == "/data" else 404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(self.packed)))
        self.end_headers()
        step = 1
        pos = 0
        while pos < len(self.packed):
            self.wfile.write(self.packed[pos:pos + step])
            self.wfile.flush()
            pos += step
            step = min(step * 2 + 1, 16384)

    def log_message(self, *args):
        pass


def test_curl(dropin, mode, work):
    if shutil.which("curl") is None:
        return "SKIP: curl not installed"
    if dropin.runtimes:
        # Seen on Debian's curl 7.88 with libasan.so.8: any transfer (even file://) hangs with
        # the sanitizer runtime preloaded and no drop-in at all, so there is nothing to test.
        probe = dict(clean_env(), LD_PRELOAD=":".join(dropin.runtimes),
                     ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0")
        try:
            subprocess.run(["curl", "-sS", "-o", os.devnull, "file://" + os.devnull], env=probe,
                           capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            return "SKIP: curl hangs with the sanitizer runtime preloaded, even without the drop-in"
    data = generated(11, 3 << 20)
    GzipHandler.payload = data
    GzipHandler.packed = gzip.compress(data, 6)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GzipHandler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        out = os.path.join(work, "fetched")
        env = dropin.env(mode, os.path.join(work, "ld-debug"))
        run(["curl", "-sS", "--fail", "--compressed", "--noproxy", "*", "-o", out,
             f"http://127.0.0.1:{port}/data"], env)
    finally:
        server.shutdown()
        server.server_close()
    with open(out, "rb") as f:
        got = f.read()
    if got != data:
        raise SystemExit(f"FAIL: curl --compressed gave {len(got)} bytes, not the {len(data)} "
                         "served")
    bound = dropin.check_bindings(os.path.join(work, "ld-debug"))
    return (f"curl ({mode}): --compressed fetch of {len(data)} bytes served gzip-encoded in "
            f"growing pieces, byte-exact; {bound} zlib bindings to the drop-in")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rsync(dropin, mode, work):
    if shutil.which("rsync") is None:
        return "SKIP: rsync not installed"
    module = os.path.join(work, "module")
    src = os.path.join(work, "rsync-src")
    os.makedirs(module)
    os.makedirs(src)
    rng = random.Random(5)
    for i in range(40):
        with open(os.path.join(src, f"f{i}"), "wb") as f:
            f.write(generated(rng.randint(0, 1 << 30), rng.randint(0, 600000)))
    conf = os.path.join(work, "rsyncd.conf")
    with open(conf, "w") as f:
        f.write(f"use chroot = no\npid file = {work}/rsyncd.pid\nlog file = {work}/rsyncd.log\n"
                f"[m]\n  path = {module}\n  read only = no\n  uid = {os.getuid()}\n"
                f"  gid = {os.getgid()}\n")
    env = dropin.env(mode, os.path.join(work, "ld-debug"))
    port = free_port()
    daemon = subprocess.Popen(["rsync", "--daemon", "--no-detach", f"--port={port}",
                               f"--config={conf}", "--address=127.0.0.1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        # Old zlib-compatible compression (-zz would be the newer "zlibx"); both directions.
        for choice in ("zlib", "zlibx"):
            shutil.rmtree(module)
            os.makedirs(module)
            run(["rsync", "-a", "-z", f"--compress-choice={choice}", src + "/",
                 f"rsync://127.0.0.1:{port}/m/"], env)
            back = os.path.join(work, f"back-{choice}")
            run(["rsync", "-a", "-z", f"--compress-choice={choice}",
                 f"rsync://127.0.0.1:{port}/m/", back + "/"], env)
            if tree_digest(src) != tree_digest(module) or tree_digest(src) != tree_digest(back):
                raise SystemExit(f"FAIL: rsync -z ({choice}) copies differ from the source")
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    bound = dropin.check_bindings(os.path.join(work, "ld-debug"))
    return (f"rsync ({mode}): 40 files pushed to and pulled from an rsync daemon with -z "
            f"(zlib and zlibx), both ends on the drop-in, byte-exact; {bound} zlib bindings")


TESTS = {"git": test_git, "pigz": test_pigz, "curl": test_curl, "rsync": test_rsync}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dropin", required=True)
    parser.add_argument("--abi", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("program", choices=sorted(TESTS))
    parser.add_argument("--mode", choices=MODES, default="ldpath")
    args = parser.parse_args()
    dropin = Dropin(args.dropin, args.abi)
    work = os.path.join(args.work, f"real-{args.program}-{args.mode}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    message = TESTS[args.program](dropin, args.mode, work)
    print(message)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
