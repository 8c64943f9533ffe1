#!/usr/bin/env python3
"""Malformed and hostile NBD input against `accz vol serve`, as a table: each row sends
something a correct client never sends and names the answers the protocol allows (an error
reply with a given errno, an option error, or a hard disconnect of that connection only).
After every row the server must still serve a fresh connection, and at the end the data
written before the table is intact, the server stops cleanly and `accz vol check` passes.

Usage: test_protocol.py --accz PATH [table]
"""
import socket
import struct

import nbd_client as n
from nbd_harness import Scratch, expect, log, main

EINVAL, ENOSPC, EPERM, EOVERFLOW = 22, 28, 1, 75
REP_ERR_UNSUP = (1 << 31) | 1
REP_ERR_INVALID = (1 << 31) | 3
REP_ERR_UNKNOWN = (1 << 31) | 6
PATTERN = bytes(range(256)) * 16 * 64  # 256 KiB at offset 0, checked at the end


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s


def request(cmd, offset, length, flags=0, cookie=7, magic=n.REQUEST_MAGIC):
    return struct.pack(">IHHQQI", magic, flags, cmd, cookie, offset, length)


def reply_or_eof(sock):
    """The errno of the next simple reply, or 'eof' when the server closed the connection."""
    try:
        magic, err, cookie = struct.unpack(">IIQ", n.recv_exact(sock, 16))
    except (ConnectionError, OSError):
        return "eof"
    if magic != n.SIMPLE_REPLY_MAGIC:
        raise AssertionError(f"reply magic {magic:#x}")
    return err


def option_reply_or_eof(sock):
    try:
        return n.recv_option_reply(sock)[1]
    except (ConnectionError, OSError):
        return "eof"


def transmission(path):
    s = connect(path)
    size, _, _ = n.handshake(s)
    return s, size


# Transmission-phase rows: (name, bytes to send given the size, the answers allowed).
def tx_rows(size):
    return [
        ("unknown command 99", request(99, 0, 4096), {EINVAL, "eof"}),
        ("read past the end", request(n.CMD_READ, size - 4096, 8192), {EINVAL}),
        ("read with offset+length overflowing", request(n.CMD_READ, 2**64 - 4096, 8192),
         {EINVAL, EOVERFLOW}),
        ("read of 64 MiB (over the maximum)", request(n.CMD_READ, 0, 64 << 20),
         {EINVAL, EOVERFLOW, "eof"}),
        ("write past the end (payload sent)",
         request(n.CMD_WRITE, size - 4096, 8192) + bytes(8192), {ENOSPC, EINVAL, "eof"}),
        ("trim past the end", request(n.CMD_TRIM, size, 4096), {EINVAL, ENOSPC}),
        ("write-zeroes overflowing", request(n.CMD_WRITE_ZEROES, 2**64 - 512, 4096),
         {EINVAL, ENOSPC, EOVERFLOW}),
        ("unknown command flag", request(n.CMD_READ, 0, 4096, flags=1 << 12), {EINVAL, "eof"}),
        ("zero-length read", request(n.CMD_READ, 0, 0), {0, EINVAL}),
        ("bad request magic", request(n.CMD_READ, 0, 4096, magic=0x12345678), {"eof"}),
        ("write of 64 MiB (over the maximum), no payload", request(n.CMD_WRITE, 0, 64 << 20),
         {"eof", EINVAL, EOVERFLOW}),
    ]


def check_alive(path, what):
    with n.Client(path) as c:
        c.read(0, 4096)
    log(f"ok: server still serves after: {what}")


def case_table(accz):
    with Scratch(accz) as scratch:
        image = scratch.create(size="64M")
        with scratch.serve(image) as srv:
            path = srv.sock
            with n.Client(path) as c:
                c.write(0, PATTERN)
                c.flush()

            for name, data, allowed in tx_rows(64 << 20):
                s, _ = transmission(path)
                s.sendall(data)
                got = reply_or_eof(s)
                if got not in allowed:
                    raise AssertionError(f"{name}: got {got}, allowed {allowed}")
                if got != "eof" and got != 0:
                    # The connection must still be in step: a good read right after works.
                    s.sendall(request(n.CMD_READ, 0, 4096, cookie=8))
                    after = reply_or_eof(s)
                    if after == 0:
                        n.recv_exact(s, 4096)
                    expect(after in (0, "eof"), f"{name}: connection usable or closed after")
                s.close()
                log(f"ok: {name}: {got}")
                check_alive(path, name)

            # Handshake-phase rows.
            s = connect(path)
            n.greet(s)
            n.send_option(s, 99, b"")
            got = option_reply_or_eof(s)
            expect(got == REP_ERR_UNSUP, f"unknown option: NBD_REP_ERR_UNSUP ({got})")
            size, _, _ = n.go(s)  # the handshake goes on after an unsupported option
            expect(size == 64 << 20, "NBD_OPT_GO after an unknown option")
            s.close()

            s = connect(path)
            n.greet(s)
            n.send_option(s, n.OPT_GO, struct.pack(">I", 7) + b"nothere" + struct.pack(">H", 0))
            got = option_reply_or_eof(s)
            expect(got in (REP_ERR_UNKNOWN, REP_ERR_UNSUP, "eof"),
                   f"NBD_OPT_GO for an unknown export refused ({got})")
            s.close()

            s = connect(path)
            n.greet(s)
            n.send_option(s, n.OPT_GO, struct.pack(">I", 1000) + b"x")  # name longer than data
            got = option_reply_or_eof(s)
            expect(got in (REP_ERR_INVALID, "eof"), f"NBD_OPT_GO with a bad length ({got})")
            s.close()

            s = connect(path)
            n.greet(s)
            s.sendall(struct.pack(">QII", 0x1122334455667788, n.OPT_GO, 0))  # bad option magic
            expect(option_reply_or_eof(s) == "eof", "bad option magic: disconnected")
            s.close()

            s = connect(path)
            n.recv_exact(s, 18)
            s.sendall(struct.pack(">I", 0xFFFFFFFF))  # unknown client flags
            expect(option_reply_or_eof(s) == "eof", "unknown client flags: disconnected")
            s.close()

            s = connect(path)
            n.greet(s)
            n.send_option(s, n.OPT_GO, struct.pack(">I", 0))  # cut mid-option
            s.close()
            s, _ = transmission(path)
            s.sendall(request(n.CMD_WRITE, 1 << 20, 1 << 20) + bytes(100 * 1024))
            s.close()  # a client gone mid-request
            s, _ = transmission(path)
            for i in range(32):  # pipelined reads, then gone before the replies
                s.sendall(request(n.CMD_READ, i * 65536, 65536, cookie=i))
            s.close()
            check_alive(path, "clients gone mid-option, mid-write and mid-reads")

            s = connect(path)
            n.greet(s)
            n.send_option(s, n.OPT_ABORT)
            got = option_reply_or_eof(s)
            expect(got in (n.REP_ACK, "eof"), f"NBD_OPT_ABORT acknowledged or closed ({got})")
            s.close()

            with n.Client(path) as c:
                expect(c.read(0, len(PATTERN)) == PATTERN, "data written first is intact")
                expect(c.read(1 << 20, 4096) == bytes(4096), "the cut write left no data")
            srv.stop()
        rc, report = scratch.check(image)
        expect(rc == 0 and report.get("consistent"), "accz vol check after the table")


if __name__ == "__main__":
    main({"table": case_table})
