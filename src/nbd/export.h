// nbd/export.h — what the NBD server serves: a byte range with asynchronous I/O.
//
// Promise (for implementers, which the server relies on):
//   - Every I/O call returns at once (or blocks its caller while the export is saturated: that
//     is backpressure) and calls `done` exactly once, with 0 or a POSIX errno (EIO, ENOSPC,
//     EINVAL, EPERM/EROFS, ...). `done` may run inline, before the call returns, or on any
//     other thread; it must not block for long.
//   - The server checks every request before calling the export: offset + length lies inside
//     [0, size()), lengths respect block_sizes().maximum for read and write, read-only
//     exports get no writes and a feature that is off is never asked for. An export may
//     still refuse (EINVAL) what it cannot do, and must never corrupt data when it does.
//   - Offsets and lengths need not be multiples of anything: an export with a coarser
//     physical block does read-modify-write itself (VolumeExport does).
//   - Durability: flush() makes every write that completed before flush() was called durable
//     before its `done` runs, on whatever connection the write came from (the server
//     advertises NBD_FLAG_CAN_MULTI_CONN only when features().multi_conn says this holds);
//     a write, trim or write_zeroes with `fua` is durable when its `done` runs.
//
// Thread-safety: every member function may be called from any thread concurrently; the
// buffers passed to read() and write() stay valid, untouched by the caller, until `done`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "accz/types.h"

namespace accz::nbd {

// 0 on success, else a POSIX errno.
using ExportCallback = std::function<void(int error)>;

// One run of bytes with the same base:allocation state (NBD_STATE_HOLE / NBD_STATE_ZERO).
struct ExportExtent {
  uint64_t length = 0;
  bool hole = false;  // not allocated: writes there may need space
  bool zero = false;  // reads as zeros
  bool operator==(const ExportExtent&) const = default;
};
// Either an error or extents covering a prefix (at least one byte) of the asked range.
using ExtentsCallback = std::function<void(int error, std::vector<ExportExtent> extents)>;

struct ExportFeatures {
  bool read_only = false;    // writes, trims and write-zeroes fail with EPERM
  bool flush = true;         // flush() does something (NBD_FLAG_SEND_FLUSH)
  bool fua = true;           // honours `fua` (NBD_FLAG_SEND_FUA)
  bool trim = true;          // trim() may discard (NBD_FLAG_SEND_TRIM)
  bool write_zeroes = true;  // write_zeroes() (NBD_FLAG_SEND_WRITE_ZEROES)
  bool multi_conn = true;    // flush covers writes from every connection (CAN_MULTI_CONN)
  bool block_status = true;  // block_status() knows more than "all data"
  // write_zeroes() is never slower than writing the zeros would be (NBD_FLAG_SEND_FAST_ZERO):
  // a WRITE_ZEROES with NBD_CMD_FLAG_FAST_ZERO is served as any other, not refused.
  bool fast_zero = false;
  bool cache = false;  // cache() prefetches something worth it (NBD_FLAG_SEND_CACHE)
};

// NBD_INFO_BLOCK_SIZE. minimum and preferred are powers of two (minimum ≤ 64 KiB);
// maximum is a multiple of minimum. The server refuses (EINVAL) reads and writes above
// maximum and requests not aligned to minimum.
struct BlockSizes {
  uint32_t minimum = 1;
  uint32_t preferred = 4096;
  uint32_t maximum = uint32_t{32} << 20;
};

class Export {
 public:
  virtual ~Export() = default;

  virtual uint64_t size() const = 0;
  virtual ExportFeatures features() const = 0;
  virtual BlockSizes block_sizes() const { return {}; }

  virtual void read(uint64_t offset, MutableByteSpan out, ExportCallback done) = 0;
  virtual void write(uint64_t offset, ByteSpan data, bool fua, ExportCallback done) = 0;
  virtual void flush(ExportCallback done) = 0;
  // May discard less than asked (rounding inward to the export's blocks); after it, the range
  // reads as zeros or as old data, never as anything else.
  virtual void trim(uint64_t offset, uint64_t length, bool fua, ExportCallback done) = 0;
  // The range reads as zeros afterwards. `may_trim` false (NBD_CMD_FLAG_NO_HOLE): the range
  // must not be reported as a hole afterwards.
  virtual void write_zeroes(uint64_t offset, uint64_t length, bool fua, bool may_trim,
                            ExportCallback done) = 0;
  // A hint that [offset, offset + length) will be read soon (NBD_CMD_CACHE); it changes no
  // data and may do nothing. The default does nothing.
  virtual void cache(uint64_t offset, uint64_t length, ExportCallback done) { done(0); }
  // The base:allocation state from `offset`. The default reports everything as data.
  virtual void block_status(uint64_t offset, uint64_t length, ExtentsCallback done) {
    done(0, {ExportExtent{length, false, false}});
  }
};

}  // namespace accz::nbd
