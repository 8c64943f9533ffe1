// nbd/socket_io.h — whole-message I/O on a connected socket.
//
// Promise: read_full, discard and send_all block until every byte moved or report failure
// (EOF, error, timeout); send_now never blocks. Interrupted system calls are retried; sending
// never raises SIGPIPE.
//
// Thread-safety: as the underlying socket: one reader and one writer at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "accz/types.h"

namespace accz::nbd {

bool read_full(int fd, void* buf, size_t n);
// Reads and drops n bytes (a payload the server refuses).
bool discard(int fd, uint64_t n);
// Sends the parts back to back, as one gathered write where the kernel allows.
bool send_all(int fd, std::initializer_list<ByteSpan> parts);
bool send_all(int fd, std::span<const ByteSpan> parts);
// Sends as much of the parts as the socket takes without waiting: the bytes sent (possibly
// fewer than all, possibly 0), or -1 on an error other than "would block".
ptrdiff_t send_now(int fd, std::span<const ByteSpan> parts);
// Drops the first n bytes from the front of a list of parts (what send_now already sent).
void drop_front(std::vector<ByteSpan>& parts, size_t n);

}  // namespace accz::nbd
