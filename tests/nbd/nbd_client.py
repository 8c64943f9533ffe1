"""A small NBD client for the tests (fixed newstyle handshake, NBD_OPT_GO, simple replies).

Written for tests/nbd: it lets a test see exactly which requests the server acknowledged
(the crash test's bookkeeping), send requests the real clients never send (the malformed-
request table), and do trim and write-zeroes where no installed tool can (nbdsh is not in
Debian's libnbd-bin). Requests may be pipelined: submit() returns at once and a reader thread
calls the callback with the reply's errno (0 ok) and, for reads, the data. The protocol is
doc/proto.md of the NetworkBlockDevice/nbd project.
"""
import socket
import struct
import threading

NBDMAGIC = b"NBDMAGIC"
IHAVEOPT = 0x49484156454F5054
OPT_REPLY_MAGIC = 0x3E889045565A9
REQUEST_MAGIC = 0x25609513
SIMPLE_REPLY_MAGIC = 0x67446698

FLAG_FIXED_NEWSTYLE = 1
FLAG_NO_ZEROES = 2

OPT_ABORT = 2
OPT_LIST = 3
OPT_INFO = 6
OPT_GO = 7
REP_ACK = 1
REP_SERVER = 2
REP_INFO = 3
REP_FLAG_ERROR = 1 << 31
INFO_EXPORT = 0
INFO_BLOCK_SIZE = 3

# Transmission flags.
TF_HAS_FLAGS = 1 << 0
TF_READ_ONLY = 1 << 1
TF_SEND_FLUSH = 1 << 2
TF_SEND_FUA = 1 << 3
TF_SEND_TRIM = 1 << 5
TF_SEND_WRITE_ZEROES = 1 << 6
TF_CAN_MULTI_CONN = 1 << 8

CMD_READ = 0
CMD_WRITE = 1
CMD_DISC = 2
CMD_FLUSH = 3
CMD_TRIM = 4
CMD_WRITE_ZEROES = 6
CMD_FLAG_FUA = 1 << 0
CMD_FLAG_NO_HOLE = 1 << 1

DISCONNECTED = -1  # the errno a callback gets when the connection ended without a reply


class NbdError(Exception):
    def __init__(self, errno_value, what):
        super().__init__(f"{what}: NBD error {errno_value}")
        self.errno = errno_value


def recv_exact(sock, n):
    chunks = []
    while n > 0:
        c = sock.recv(min(n, 1 << 20))
        if not c:
            raise ConnectionError("server closed the connection")
        chunks.append(c)
        n -= len(c)
    return b"".join(chunks)


def send_option(sock, opt, payload=b""):
    sock.sendall(struct.pack(">QII", IHAVEOPT, opt, len(payload)) + payload)


def recv_option_reply(sock):
    """(option, reply type, data) of one option reply."""
    magic, opt, rtype, length = struct.unpack(">QIII", recv_exact(sock, 20))
    if magic != OPT_REPLY_MAGIC:
        raise ConnectionError(f"bad option reply magic {magic:#x}")
    return opt, rtype, recv_exact(sock, length)


def greet(sock):
    """Reads the server's greeting and sends the client flags: ready for options."""
    if recv_exact(sock, 8) != NBDMAGIC:
        raise ConnectionError("bad server magic")
    (opt_magic,) = struct.unpack(">Q", recv_exact(sock, 8))
    if opt_magic != IHAVEOPT:
        raise ConnectionError("server is not newstyle")
    (hs_flags,) = struct.unpack(">H", recv_exact(sock, 2))
    if not hs_flags & FLAG_FIXED_NEWSTYLE:
        raise ConnectionError("server is not fixed newstyle")
    sock.sendall(struct.pack(">I", hs_flags & (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)))


def go(sock, name=b""):
    """NBD_OPT_GO asking for block sizes: returns (size, transmission flags, block sizes)."""
    send_option(sock, OPT_GO, struct.pack(">I", len(name)) + name +
                struct.pack(">HH", 1, INFO_BLOCK_SIZE))
    size = flags = 0
    block_sizes = None
    while True:
        opt, rtype, data = recv_option_reply(sock)
        if opt != OPT_GO:
            raise ConnectionError("reply to another option")
        if rtype & REP_FLAG_ERROR:
            raise NbdError(rtype, f"NBD_OPT_GO refused ({data!r})")
        if rtype == REP_ACK:
            return size, flags, block_sizes
        if rtype == REP_INFO:
            (info,) = struct.unpack(">H", data[:2])
            if info == INFO_EXPORT:
                size, flags = struct.unpack(">QH", data[2:12])
            elif info == INFO_BLOCK_SIZE:
                block_sizes = struct.unpack(">III", data[2:14])


def handshake(sock, name=b""):
    greet(sock)
    return go(sock, name)


class Client:
    """One connection. Use as a context manager; close() sends NBD_CMD_DISC."""

    def __init__(self, unix_path, export_name=b"", timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(unix_path)
        self.size, self.flags, self.block_sizes = handshake(self.sock, export_name)
        # Two locks: a send blocked by the server's backpressure must never stop the reader
        # from taking replies off the pending table.
        self._lock = threading.Lock()  # the pending table
        self._send_lock = threading.Lock()  # whole requests on the socket
        self._pending = {}
        self._next_cookie = 1
        self._closed = False
        self._reader = threading.Thread(target=self._read_replies, daemon=True)
        self._reader.start()

    # -- transmission ----------------------------------------------------------------------
    def _read_replies(self):
        try:
            while True:
                magic, error, cookie = struct.unpack(">IIQ", recv_exact(self.sock, 16))
                if magic != SIMPLE_REPLY_MAGIC:
                    raise ConnectionError(f"bad reply magic {magic:#x}")
                with self._lock:
                    cmd, length, cb = self._pending.pop(cookie)
                data = None
                if cmd == CMD_READ and error == 0:
                    data = recv_exact(self.sock, length)
                cb(error, data)
        except (ConnectionError, OSError, struct.error, KeyError):
            pass
        with self._lock:
            pending, self._pending = self._pending, {}
            self._closed = True
        for _, _, cb in pending.values():
            cb(DISCONNECTED, None)

    def submit(self, cmd, offset, length, data=b"", flags=0, callback=None):
        """Sends one request; callback(errno, data) runs on the reader thread."""
        with self._lock:
            if self._closed:
                raise ConnectionError("connection closed")
            cookie = self._next_cookie
            self._next_cookie += 1
            self._pending[cookie] = (cmd, length, callback or (lambda e, d: None))
        with self._send_lock:
            self.sock.sendall(
                struct.pack(">IHHQQI", REQUEST_MAGIC, flags, cmd, cookie, offset, length) + data)
        return cookie

    def in_flight(self):
        with self._lock:
            return len(self._pending)

    def _call(self, cmd, offset, length, data=b"", flags=0, what="request"):
        done = threading.Event()
        result = {}

        def cb(err, d):
            result["err"], result["data"] = err, d
            done.set()

        self.submit(cmd, offset, length, data, flags, cb)
        done.wait()
        if result["err"] != 0:
            raise NbdError(result["err"], f"{what} at {offset}+{length}")
        return result["data"]

    def read(self, offset, length):
        return self._call(CMD_READ, offset, length, what="read")

    def write(self, offset, data, fua=False):
        self._call(CMD_WRITE, offset, len(data), data, CMD_FLAG_FUA if fua else 0, "write")

    def flush(self):
        self._call(CMD_FLUSH, 0, 0, what="flush")

    def trim(self, offset, length):
        self._call(CMD_TRIM, offset, length, what="trim")

    def write_zeroes(self, offset, length, no_hole=False):
        self._call(CMD_WRITE_ZEROES, offset, length, flags=CMD_FLAG_NO_HOLE if no_hole else 0,
                   what="write_zeroes")

    def close(self):
        try:
            with self._send_lock:
                if not self._closed:
                    self.sock.sendall(struct.pack(">IHHQQI", REQUEST_MAGIC, 0, CMD_DISC, 0, 0, 0))
        except OSError:
            pass
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self._reader.join(timeout=10)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
