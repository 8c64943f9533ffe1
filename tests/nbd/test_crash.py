#!/usr/bin/env python3
"""kill -9 of `accz vol serve` in the middle of a write load, several times, and proof that
every write acknowledged before a completed flush (and every acknowledged FUA write) reads
back exactly, that nothing reads back as data no write put there, and that the volume checks.

The load comes from nbd_client.Client, which knows exactly what was acknowledged and when:
two connections, 16 requests in flight between them, flushes on either covering the writes
acknowledged on both (multi-conn), writes of 1-4 blocks (compressible, random, duplicate and all-zero
contents), FUA writes, trims and write-zeroes, and a flush every 24 requests, in flight
together with the writes as a file system's would be. No two requests touch one block at the
same time, so each block's writes are ordered and its possible contents after a crash are
known: the last durable one, or any written after it (acknowledged or still in flight).

Rounds: serve, verify what the previous crash left, load for 0.3-1.2 s, kill -9 while
requests are in flight. After one of the crashes `accz vol check` must report the need for
replay and `accz vol check --repair` must replay; the others are replayed by serve itself.
The last round stops the server with SIGTERM and `accz vol check` must pass.

Usage: test_crash.py --accz PATH [kill9|stop_kill9|fio_kill9]
"""
import random
import threading
import time

import nbd_client
from nbd_harness import Scratch, expect, log, main, run

BLOCK = 4096
NBLOCKS = 2048  # the region under load: 8 MiB, so blocks are rewritten often
QUEUE_DEPTH = 16
FLUSH_EVERY = 24
ROUNDS = 5
REPAIR_ROUND = 2  # after this crash, replay with `accz vol check --repair`


class Op:
    __slots__ = ("first", "contents", "fua", "acked", "pos")

    def __init__(self, first, contents, fua):
        self.first, self.contents, self.fua = first, contents, fua
        self.acked = False
        self.pos = []  # index of this op in each of its blocks' histories


class Model:
    """What each block may hold after a crash."""

    def __init__(self, baseline):
        self.base = baseline  # durable content of each block when the round began
        self.hist = [[] for _ in range(NBLOCKS)]  # ops on the block, in order
        self.durable = [-1] * NBLOCKS  # index into hist of the last durable op; -1: base
        self.acks = []  # ops in the order they were acknowledged
        self.lock = threading.Lock()
        self.busy = set()
        self.errors = []
        self.flushes_done = 0
        self.fua_done = 0

    def candidates(self, b):
        d = self.durable[b]
        c = [self.base[b]] if d < 0 else []
        c += [op.contents[b - op.first] for op in self.hist[b][max(d, 0):]]
        return c

    def make_durable(self, op):
        for i, p in enumerate(op.pos):
            b = op.first + i
            self.durable[b] = max(self.durable[b], p)


class Load:
    """Requests spread over several connections; a flush goes to any one of them and covers
    the writes acknowledged on all of them (the server advertises multi-conn)."""

    def __init__(self, clients, model, rng):
        self.clients, self.m, self.rng = clients, model, rng
        self.slots = threading.Semaphore(QUEUE_DEPTH)
        self.pool = []  # recent contents, for duplicates
        self.vocab = [bytes(rng.choice(b"etaoinshrdlu") for _ in range(rng.randint(2, 7)))
                      for _ in range(16)]

    def content(self, op_id, b):
        r = self.rng.random()
        if r < 0.15:
            return bytes(BLOCK)
        if r < 0.3 and self.pool:
            return self.rng.choice(self.pool)
        head = b"accz-crash op=%d block=%d " % (op_id, b)
        if r < 0.7:
            body = bytearray(head)
            while len(body) < BLOCK:
                body += self.rng.choice(self.vocab) + b" "
            data = bytes(body[:BLOCK])
        else:
            data = head + self.rng.randbytes(BLOCK - len(head))
        self.pool.append(data)
        if len(self.pool) > 256:
            self.pool.pop(0)
        return data

    def pick_range(self):
        for _ in range(100):
            n = self.rng.randint(1, 4)
            first = self.rng.randrange(0, NBLOCKS - n + 1)
            if not any(b in self.m.busy for b in range(first, first + n)):
                return first, n
        return None

    def issue_write(self, op_id):
        m = self.m
        with m.lock:
            picked = self.pick_range()
            if picked is None:
                return False
            first, n = picked
            kind = self.rng.random()
            fua = kind < 0.08
            if kind > 0.92:
                cmd = nbd_client.CMD_TRIM if kind > 0.96 else nbd_client.CMD_WRITE_ZEROES
                contents = [bytes(BLOCK)] * n
            else:
                cmd = nbd_client.CMD_WRITE
                contents = [self.content(op_id, first + i) for i in range(n)]
            op = Op(first, contents, fua)
            for i in range(n):
                b = first + i
                m.busy.add(b)
                op.pos.append(len(m.hist[b]))
                m.hist[b].append(op)

        def done(err, _):
            with m.lock:
                if err == 0:
                    op.acked = True
                    m.acks.append(op)
                    if op.fua:
                        m.make_durable(op)
                        m.fua_done += 1
                    for i in range(n):
                        m.busy.discard(first + i)
                elif err != nbd_client.DISCONNECTED:
                    m.errors.append(f"op on blocks {first}+{n}: errno {err}")
            self.slots.release()

        data = b"".join(contents) if cmd == nbd_client.CMD_WRITE else b""
        flags = nbd_client.CMD_FLAG_FUA if fua else 0
        self.rng.choice(self.clients).submit(cmd, first * BLOCK, n * BLOCK, data, flags, done)
        return True

    def issue_flush(self):
        m = self.m
        with m.lock:
            covered = list(m.acks)

        def done(err, _):
            with m.lock:
                if err == 0:
                    for op in covered:
                        m.make_durable(op)
                    m.flushes_done += 1
                elif err != nbd_client.DISCONNECTED:
                    m.errors.append(f"flush: errno {err}")
            self.slots.release()

        self.rng.choice(self.clients).submit(nbd_client.CMD_FLUSH, 0, 0, b"", 0, done)

    def run_until(self, stop):
        """Issues requests until `stop` is set (by the thread that kills the server)."""
        op_id = 0
        try:
            while not stop.is_set():
                if not self.slots.acquire(timeout=0.05):
                    continue
                op_id += 1
                if op_id % FLUSH_EVERY == 0:
                    self.issue_flush()
                elif not self.issue_write(op_id):
                    self.slots.release()
                    time.sleep(0.001)
        except OSError as e:
            stop.wait(5)  # the kill races with a send: fine once it has happened
            if not stop.is_set():
                raise AssertionError(f"connection lost during the load: {e}")
        return op_id


def read_all(client):
    out = []
    step = 64
    for first in range(0, NBLOCKS, step):
        data = client.read(first * BLOCK, step * BLOCK)
        out += [data[i * BLOCK:(i + 1) * BLOCK] for i in range(step)]
    return out


def verify(model, got):
    durable_hits = newer_hits = 0
    for b in range(NBLOCKS):
        cands = model.candidates(b)
        if got[b] not in cands:
            d = model.durable[b]
            raise AssertionError(
                f"block {b}: read data that is neither its durable content nor a later write "
                f"({len(model.hist[b])} ops on it, durable index {d}, first bytes "
                f"{got[b][:40]!r})")
        if got[b] == cands[0]:
            durable_hits += 1
        else:
            newer_hits += 1
    return durable_hits, newer_hits


def case_kill9(accz):
    crash_rounds(accz, random.Random(20261122), ROUNDS, stop_first=False)


def case_stop_kill9(accz):
    """SIGTERM, then kill -9 0-40 ms later: cut somewhere in the drain, the final flush or the
    clean close (or after it). The same promises hold."""
    crash_rounds(accz, random.Random(7), 4, stop_first=True)


def crash_rounds(accz, rng, rounds, stop_first):
    with Scratch(accz) as s:
        image = s.create(size="64M")
        model = Model([bytes(BLOCK)] * NBLOCKS)
        cut_mid_request = 0  # rounds killed with requests in flight
        flushed_rounds = 0  # rounds in which some flush completed before the cut
        for rnd in range(rounds + 1):
            with s.serve(image) as srv:
                with nbd_client.Client(srv.sock) as c:
                    got = read_all(c)
                    dur, newer = verify(model, got)
                    expect(True, f"round {rnd}: every block holds its durable content or a later "
                                 f"write ({dur} durable, {newer} newer)")
                    c.flush()
                    model = Model(got)
                    if rnd == rounds:
                        c.close()
                        srv.stop()
                        break
                    c2 = nbd_client.Client(srv.sock)
                    load = Load([c, c2], model, rng)
                    killed = threading.Event()
                    seen = {}

                    def kill_now(srv=srv, c2=c2, model=model, killed=killed, seen=seen):
                        # Under the model's lock no acknowledgement is recorded meanwhile, so
                        # the counts are exactly those at the kill.
                        with model.lock:
                            seen["in_flight"] = c.in_flight() + c2.in_flight()
                            seen["flushes"], seen["fua"] = model.flushes_done, model.fua_done
                            seen["acked"] = len(model.acks)
                            if stop_first:
                                # Acknowledgements arriving meanwhile wait for the lock and are
                                # not counted: the model stays on the safe side.
                                srv.proc.terminate()
                                time.sleep(rng.uniform(0, 0.04))
                            srv.proc.kill()
                        killed.set()

                    timer = threading.Timer(rng.uniform(0.3, 1.2), kill_now)
                    timer.start()
                    ops = load.run_until(killed)
                    timer.join()
                    srv.kill9()
                    in_flight, flushes = seen["in_flight"], seen["flushes"]
                    fua, acked = seen["fua"], seen["acked"]
                    cut_mid_request += in_flight > 0
                    c2.close()
                    expect(not model.errors, f"round {rnd}: no request failed ({model.errors[:3]})")
                    flushed_rounds += flushes > 0
                    log(f"round {rnd}: {ops} requests, {acked} acknowledged, "
                                        f"{flushes} flushes and {fua} FUA writes completed, "
                                        f"{in_flight} in flight at the cut")
            if rnd == REPAIR_ROUND and not stop_first:
                rc, report = s.check(image)
                expect(rc == 1 and report.get("needs_replay"),
                       "accz vol check on the crashed volume: needs replay (exit 1)")
                rc, report = s.check(image, ["--repair"])
                expect(rc == 0 and report.get("replayed"), "accz vol check --repair: replayed, consistent")
        rc, report = s.check(image)
        expect(rc == 0 and report.get("consistent"), "accz vol check after the last clean stop")
        expect(cut_mid_request >= 2, f"{cut_mid_request} of {rounds} kills hit requests in flight")
        expect(flushed_rounds >= 2, f"{flushed_rounds} of {rounds} rounds completed flushes")
        log(f"final: {report.get('lbns_mapped')} blocks mapped, saving "
            f"{report.get('saving_percent', 0):.1f}%")


def case_fio_kill9(accz):
    """The same with fio as the load: fio writes and verifies region A and ends with a flush
    (end_fsync); then, three times, a random-write load with fio's fsync=16 (NBD_CMD_FLUSH
    every 16 writes) on region B is cut by kill -9 at a different moment; after each restart
    fio --verify_only proves region A intact, and at the end the volume checks."""
    from test_fio import need_fio_nbd

    need_fio_nbd()
    import subprocess

    def fio_args(uri, name, offset, extra):
        return ["fio", f"--name={name}", "--ioengine=nbd", f"--uri={uri}", "--iodepth=16",
                "--bs=4k", f"--offset={offset}", "--size=16M", "--randrepeat=1",
                "--randseed=99", "--buffer_compress_percentage=50", "--refill_buffers",
                "--dedupe_percentage=30", *extra]

    with Scratch(accz) as s:
        image = s.create(size="64M")
        region_a = ["--rw=randwrite", "--verify=crc32c", "--verify_fatal=1"]
        with s.serve(image) as srv:
            run(fio_args(srv.uri, "regionA", "0", region_a + ["--do_verify=1", "--end_fsync=1"]))
            srv.stop()
        for moment in (0.3, 0.7, 1.2):
            with s.serve(image) as srv:
                cmd = fio_args(srv.uri, "regionB", "32M",
                               ["--rw=randwrite", "--fsync=16", "--time_based", "--runtime=30"])
                log("$ " + " ".join(cmd) + " &")
                load = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(moment)
                expect(load.poll() is None, f"fio still writing at {moment}s")
                srv.kill9()
                load.wait(30)
            with s.serve(image) as srv:
                run(fio_args(srv.uri, "regionA", "0", region_a + ["--verify_only"]))
                srv.stop()
            rc, report = s.check(image)
            expect(rc == 0 and report.get("consistent"),
                   f"accz vol check after the crash at {moment}s and a replaying serve")


if __name__ == "__main__":
    main({"kill9": case_kill9, "stop_kill9": case_stop_kill9, "fio_kill9": case_fio_kill9})
