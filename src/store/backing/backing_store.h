// store/backing/backing_store.h — where a volume's bytes live: a file, a block device, memory,
// or a fault-injecting wrapper for tests. The block store does all its I/O through this one
// interface (as leveldb does through Env), so every test can swap the device.
//
// Contract for every implementation:
//   - Offsets and lengths are multiples of kSectorSize (512); the whole range lies inside
//     [0, size()). Anything else returns kInvalidArgument and does nothing. Sector
//     granularity is what makes "a crash tears a write at 512-byte boundaries" well defined.
//   - read() sees every completed write(), flushed or not.
//   - A completed write() may sit in a volatile cache: after a crash it may be lost, kept, or
//     torn (some 512-byte sectors new, the others old). Once flush() returns ok, every write
//     that completed before flush() was called is durable.
//   - A failed I/O returns a non-ok StoreStatus (kIoError for device errors, kNoSpace when the
//     file system is full). A failed read leaves `out` unspecified.
//
// Thread-safety: all implementations in this folder are thread-safe: read, write, flush and
// size may be called concurrently from any threads. Concurrent writes to overlapping ranges
// land in an unspecified order, as on a real disk.
#pragma once

#include <cstdint>

#include "accz/types.h"
#include "store/backing/store_status.h"

namespace accz::store {

inline constexpr uint64_t kSectorSize = 512;

class BackingStore {
 public:
  virtual ~BackingStore() = default;

  virtual StoreStatus read(uint64_t offset, MutableByteSpan out) = 0;
  virtual StoreStatus write(uint64_t offset, ByteSpan data) = 0;
  virtual StoreStatus flush() = 0;
  // Bytes addressable; a multiple of kSectorSize; fixed for the object's life.
  virtual uint64_t size() const = 0;
};

// The shared argument check of the contract above: ok, or kInvalidArgument naming `op`.
StoreStatus check_io_range(const char* op, uint64_t offset, uint64_t length, uint64_t size);

}  // namespace accz::store
