// store/format/geometry.h — where each region of a volume lies (docs/format.md §2), computed
// once at creation and then only validated.
//
// Promise: make_geometry() lays out the regions in the documented order and gives the data
// region every block that is left after the metadata that describes it; validate_geometry()
// accepts exactly the layouts make_geometry() can produce for some inputs (order, no overlap,
// the §2 formulas, inside the backing store), so a decoded superblock that passes can be used
// without further range checks.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "store/backing/store_status.h"

namespace accz::store {

struct Geometry {
  uint64_t logical_blocks = 0;
  uint64_t physical_blocks = 0;
  uint64_t journal_start = 0;
  uint64_t journal_blocks = 0;
  uint64_t blockmap_start = 0;
  uint64_t blockmap_pages = 0;  // each page takes 2 blocks
  uint64_t refcount_start = 0;
  uint64_t refcount_blocks = 0;  // each takes 2 blocks
  uint64_t index_start = 0;
  uint64_t index_blocks = 0;
  uint64_t data_start = 0;
  uint64_t data_blocks = 0;

  bool operator==(const Geometry&) const = default;
};

struct GeometryOptions {
  uint64_t physical_blocks = 0;  // blocks of the backing store to use
  uint64_t logical_blocks = 0;   // the volume's size (thin: may exceed the data region)
  // Journal length: longer means fewer forced metadata write-backs, longer replay.
  // Default: 2048 blocks (8 MiB).
  uint64_t journal_blocks = 2048;
  // Blocks for the saved dedup index; 0 disables saving it. Default: 0.
  uint64_t index_blocks = 0;
};

// kNoSpace if the metadata leaves no data block; kInvalidArgument for a zero logical size or
// a journal shorter than kMinJournalBlocks.
StoreResult<Geometry> make_geometry(const GeometryOptions& options);

// `backing_blocks`: the backing store's size in blocks. kCorruption if anything is off.
StoreStatus validate_geometry(const Geometry& g, uint64_t backing_blocks);

}  // namespace accz::store
