// store/volume/open_volume.h — opening and closing a volume's session (docs/format.md §3, §6,
// rule W6).
//
// Promise: open_volume() reads and validates the superblock (failing with a clear status for
// a device without a volume, a newer major version, corrupt or mismatched copies, or a volume
// larger than its backing store, and writing nothing then); if the volume was not closed
// cleanly it replays the journal; then, unless read-only, it writes and flushes a dirty
// superblock naming the session's first journal sequence and invalidating the saved index,
// before anyone can write a journal block. close_volume() writes the clean superblock; the
// caller must first have written back all metadata and committed the journal (W6).
//
// Thread-safety: functions; the caller has the device to itself while they run.
#pragma once

#include <cstdint>
#include <optional>

#include "store/backing/backing_store.h"
#include "store/format/superblock.h"
#include "store/volume/replay.h"

namespace accz::store {

struct OpenOptions {
  // Validate and report, write nothing (no replay, no dirty mark). Default: false.
  bool read_only = false;
};

struct OpenedVolume {
  Superblock sb;  // as now on disk (dirty unless read-only)
  // What the last clean close counted of LBNs mapped to data; nullopt after a crash or from
  // a writer before minor 1.
  std::optional<uint64_t> mapped_at_close;
  uint64_t first_sequence = 1;          // the session's first journal sequence
  bool was_dirty = false;               // the last session did not close cleanly
  uint64_t saved_index_generation = 0;  // the index saved by the last clean close, if any
  ReplayResult replay;
};

StoreResult<OpenedVolume> open_volume(BackingStore& dev, const OpenOptions& options = {});

// Marks `sb` clean with the journal continuing at `next_sequence`, the saved index's
// generation (0: none) and the number of LBNs mapped to data (nullopt: not counted; the
// next open counts them), and writes it.
StoreStatus close_volume(BackingStore& dev, Superblock* sb, uint64_t next_sequence,
                         uint64_t index_generation = 0,
                         std::optional<uint64_t> mapped = std::nullopt);

}  // namespace accz::store
