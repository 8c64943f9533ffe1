// store/engine/volume.h — an open, deduplicating, compressing volume: the block store's engine
// (docs/format.md is its on-disk contract). The NBD server and `accz vol` use only this API.
//
// Promise:
//   - I/O is asynchronous: read(), write(), trim(), write_zeroes() and flush() return at once
//     (or block the caller while too much is already in flight: that is the backpressure) and
//     call `done` exactly once, with ok or the reason (kIoError → EIO, kNoSpace → ENOSPC,
//     kInvalidArgument → EINVAL, kReadOnly → EROFS).
//   - Ranges: offset and length are multiples of kVolumeBlockSize and lie inside
//     [0, logical_bytes()); a zero length is ok and does nothing. Anything else completes
//     with kInvalidArgument and changes nothing. (Byte-granular clients are the front end's
//     business: the NBD server advertises 4 KiB blocks and does read-modify-write.)
//   - A read returns the data of every write that completed before the read was issued,
//     including writes still in the packer or being compressed. Concurrent overlapping
//     requests complete in an unspecified order, as on a disk.
//   - Durability: a write completed before flush() was called is durable when that flush
//     completes ok; a write with `fua` is durable when it completes ok. After a crash,
//     open() replays the journal; what was not durable may read as old or new data, never as
//     anything else.
//   - Writes: all-zero blocks take no space; a block whose contents match one already stored
//     (by hash, then byte comparison) shares it; otherwise it is compressed asynchronously on
//     the core's devices and packed with others, or stored whole when it does not compress
//     or when its bin is written out holding it alone (a lone fragment saves nothing).
//     trim() unmaps (reads then return zeros), write_zeroes() maps to zero; both free space.
//   - A full volume completes writes with kNoSpace and changes nothing they cover; a failed
//     backing I/O completes with kIoError and leaves the volume consistent (after a failed
//     metadata write the volume turns read-only: every later write gets kReadOnly).
//   - Memory is set by VolumeOptions (map cache, dedup index, packer, in-flight limit), not by
//     the volume's logical size.
//   - close() waits for everything in flight, flushes, saves the dedup index and writes the
//     clean superblock. The destructor closes if close() was not called (ignoring errors).
//
// Thread-safety: every member function may be called from any thread concurrently. `done`
// runs on an engine or device thread, or inline before the call returns; it must not block
// and must not call back into the Volume except stats(). The BackingStore must outlive the
// Volume.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "accz/accel.h"
#include "accz/types.h"
#include "store/backing/backing_store.h"
#include "store/backing/store_status.h"
#include "store/format/superblock.h"

namespace accz::store {

inline constexpr uint64_t kVolumeBlockSize = 4096;

struct VolumeOptions {
  // Block-map pages cached (about 4 KiB each). Default 256 (1 MiB).
  size_t map_cache_pages = 256;
  // Dedup index budget in bytes (DedupIndex::kBytesPerEntry each). Default 64 MiB.
  size_t dedup_index_bytes = size_t{64} << 20;
  // Open packer bins (4 KiB each). Default 16.
  size_t packer_bins = 16;
  // A fragment waits in a bin at most this long before its bin is written anyway.
  uint32_t packer_timeout_ms = 5;
  // Requests in flight before write()/read() block the caller. Default 256.
  size_t max_in_flight = 256;
  // Validate and serve reads only; writes get kReadOnly. A dirty volume is refused
  // (kReadOnly) rather than replayed.
  bool read_only = false;
  // Where compression and decompression run. nullptr: the volume opens its own Accel on the
  // default devices (the CPU provider).
  Accel* accel = nullptr;
};

// Like vdostats: what the volume holds and what it saved.
struct VolumeStats {
  uint64_t logical_blocks = 0;       // the volume's size in 4 KiB blocks
  uint64_t logical_blocks_used = 0;  // mapped to data (whole or fragment), not zero/unmapped
  uint64_t physical_blocks = 0;      // data blocks of the backing store
  uint64_t data_blocks_used = 0;     // data blocks with a nonzero reference count
  uint64_t overhead_blocks = 0;      // superblocks, journal, block map, refcounts, index
  // 100 × (1 − data_blocks_used / logical_blocks_used); 0 when nothing is used.
  double saving_percent = 0;

  uint64_t dedupe_advice_valid = 0;  // index hits whose bytes matched: block shared
  uint64_t dedupe_advice_stale = 0;  // index hits whose bytes differed (verification mismatch)
  uint64_t dedupe_advice_timeouts = 0;
  uint64_t zero_blocks_written = 0;  // writes of all-zero blocks (no space used)
  uint64_t compressed_fragments_written = 0;
  uint64_t compressed_extents_written = 0;  // compressed extents (1 … 14 blocks each)
  uint64_t compressed_blocks_written = 0;   // the blocks of those extents
  // Stored whole: incompressible, alone in its bin, in a bin whose extent would have saved
  // nothing, or in one no run of free blocks was left for (also counted below).
  uint64_t incompressible_blocks = 0;
  uint64_t extents_unplaced = 0;  // bins written whole for want of consecutive free blocks
  uint64_t packer_fragments_waiting = 0;
  uint64_t packer_bins_in_use = 0;
  uint64_t reference_limit_copies = 0;  // new copies made because a block hit the limit

  uint64_t reads = 0, writes = 0, flushes = 0, trims = 0, write_zeroes = 0, fua_writes = 0;
  uint64_t bytes_read = 0, bytes_written = 0;
  uint64_t read_errors = 0, write_errors = 0, no_space_errors = 0;
  uint64_t in_flight = 0;

  uint64_t journal_entries = 0, journal_blocks_written = 0, journal_commits = 0;
  uint64_t map_cache_hits = 0, map_cache_misses = 0, map_pages_written = 0;
  uint64_t dedup_index_entries = 0, dedup_index_capacity = 0;
  bool read_only = false;
};

// One run of blocks with the same allocation state, for NBD_CMD_BLOCK_STATUS base:allocation.
struct VolumeExtent {
  uint64_t length = 0;  // bytes, a multiple of kVolumeBlockSize
  bool hole = false;    // unmapped: never written or trimmed (reads zeros)
  bool zero = false;    // reads as zeros (unmapped or written zeros)
};

using VolumeCallback = std::function<void(StoreStatus)>;

class Volume {
 public:
  // Opens the volume on `dev` (created earlier with create_volume()), replaying its journal
  // if the last session did not close cleanly, and loading the saved dedup index.
  static StoreResult<std::unique_ptr<Volume>> open(BackingStore& dev,
                                                   const VolumeOptions& options = {});

  virtual ~Volume() = default;

  // REQUIRES for all: the buffers stay valid until `done` runs.
  virtual void read(uint64_t offset, MutableByteSpan out, VolumeCallback done) = 0;
  virtual void write(uint64_t offset, ByteSpan data, bool fua, VolumeCallback done) = 0;
  virtual void trim(uint64_t offset, uint64_t length, bool fua, VolumeCallback done) = 0;
  virtual void write_zeroes(uint64_t offset, uint64_t length, bool fua, VolumeCallback done) = 0;
  virtual void flush(VolumeCallback done) = 0;

  // The allocation state of [offset, offset + length), as consecutive extents covering it
  // (merged where equal). Same range rules as read().
  virtual StoreResult<std::vector<VolumeExtent>> extents(uint64_t offset, uint64_t length) = 0;

  virtual VolumeStats stats() const = 0;
  virtual const Superblock& superblock() const = 0;
  uint64_t logical_bytes() const { return superblock().geometry.logical_blocks * kVolumeBlockSize; }

  virtual StoreStatus close() = 0;

  // Synchronous forms (wait for `done`), for tools and tests.
  StoreStatus read_sync(uint64_t offset, MutableByteSpan out);
  StoreStatus write_sync(uint64_t offset, ByteSpan data, bool fua = false);
  StoreStatus trim_sync(uint64_t offset, uint64_t length, bool fua = false);
  StoreStatus write_zeroes_sync(uint64_t offset, uint64_t length, bool fua = false);
  StoreStatus flush_sync();
};

}  // namespace accz::store
