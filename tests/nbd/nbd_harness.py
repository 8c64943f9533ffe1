"""What every tests/nbd script shares: a scratch directory, `accz vol create`, a server
started with `accz vol serve` on a Unix socket (waiting for its ready line), clean and kill -9
stops, `accz vol check` and `accz vol stats`, and skipping when a client tool is missing.

A test prints "SKIP: why" and exits 0 when it cannot run here; CMake registers that line as
SKIP_REGULAR_EXPRESSION so CTest reports it as skipped, not passed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(0)


def need_tools(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        skip("missing " + ", ".join(missing))


def log(msg):
    print(msg, flush=True)


def run(cmd, check=True, **kw):
    """Runs cmd, echoing it; returns the CompletedProcess (text output)."""
    log("$ " + " ".join(str(c) for c in cmd))
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if r.stdout.strip():
        log(r.stdout.rstrip())
    if r.stderr.strip():
        log(r.stderr.rstrip())
    if check and r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}: {' '.join(str(c) for c in cmd)}")
    return r


def expect(cond, what):
    if not cond:
        raise AssertionError(what)
    log(f"ok: {what}")


class Server:
    """`accz vol serve IMAGE --socket SOCK` as a child process."""

    def __init__(self, accz, image, sock, extra=()):
        """sock None: the listening options are all in `extra` (e.g. --port 0)."""
        self.accz, self.image, self.sock = accz, image, sock
        cmd = [accz, "vol", "serve", image, *(["--socket", sock] if sock else []), *extra]
        log("$ " + " ".join(cmd) + " &")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.stderr_lines = []
        self._err_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._err_thread.start()
        line = self._wait_ready(timeout=60)
        log(line.rstrip())
        # "accz vol serve: ready URI size=BYTES"
        self.uri = line.split()[4]
        if sock:
            assert self.uri == f"nbd+unix:///?socket={sock}", self.uri

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)
            sys.stdout.write("[serve] " + line)
            sys.stdout.flush()

    def _wait_ready(self, timeout):
        result = {}

        def reader():
            result["line"] = self.proc.stdout.readline()

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(timeout)
        line = result.get("line", "")
        if not line.startswith("accz vol serve: ready"):
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"server not ready (got {line!r}, exit {self.proc.returncode})")
        return line

    def stats(self):
        r = run([self.accz, "vol", "stats", "--socket", self.sock, "--json"])
        return json.loads(r.stdout)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """A clean stop: returns the exit status, which must be 0."""
        log(f"$ kill -{sig.name} {self.proc.pid}")
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"server did not stop within {timeout}s of {sig.name}")
        self._err_thread.join(5)
        expect(rc == 0, f"server exited 0 after {sig.name} (got {rc})")
        if self.sock:
            expect(not os.path.exists(self.sock), "socket file removed")
        return rc

    def kill9(self):
        log(f"$ kill -9 {self.proc.pid}")
        self.proc.kill()
        self.proc.wait()
        self._err_thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Scratch:
    """A temporary directory removed at exit (kept when ACCZ_KEEP_SCRATCH is set)."""

    def __init__(self, accz):
        self.accz = accz
        # Unix socket paths are limited to 107 bytes: keep the directory short.
        self.dir = tempfile.mkdtemp(prefix="accz-nbd-", dir="/tmp")

    def path(self, name):
        return os.path.join(self.dir, name)

    def create(self, name="vol.img", size="256M", extra=()):
        image = self.path(name)
        run([self.accz, "vol", "create", image, "--size", size, *extra])
        return image

    def serve(self, image, sock_name="nbd.sock", extra=()):
        return Server(self.accz, image, self.path(sock_name), extra)

    def check(self, image, extra=()):
        r = run([self.accz, "vol", "check", image, "--json", *extra], check=False)
        return r.returncode, json.loads(r.stdout) if r.stdout.strip() else {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if os.environ.get("ACCZ_KEEP_SCRATCH"):
            log(f"scratch kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def main(cases):
    """Runs the case named by argv (or all): `script.py --accz PATH [CASE...]`."""
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--accz", required=True)
    p.add_argument("cases", nargs="*")
    a = p.parse_args()
    names = a.cases or list(cases)
    for n in names:
        log(f"=== {n}")
        cases[n](os.path.abspath(a.accz))
    log("PASS")
