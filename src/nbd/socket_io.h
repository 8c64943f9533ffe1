// nbd/socket_io.h — blocking whole-message I/O on a connected socket.
//
// Promise: each call either moves every byte or reports failure (EOF, error, timeout);
// interrupted system calls are retried; sending never raises SIGPIPE.
//
// Thread-safety: as the underlying socket: one reader and one writer at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "accz/types.h"

namespace accz::nbd {

bool read_full(int fd, void* buf, size_t n);
// Reads and drops n bytes (a payload the server refuses).
bool discard(int fd, uint64_t n);
// Sends the parts back to back, as one gathered write where the kernel allows.
bool send_all(int fd, std::initializer_list<ByteSpan> parts);
bool send_all(int fd, std::span<const ByteSpan> parts);

}  // namespace accz::nbd
