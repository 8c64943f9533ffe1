// store/volume/checker.h — verifies a volume's metadata against itself (docs/format.md §10),
// like `vdo`'s offline check: the block map, the reference counts and the compressed blocks
// the map's fragments point into.
//
// Promise: check_volume() reads (never writes) every map page, every refcount block and the
// header of every compressed extent some fragment names, and reports each inconsistency it
// finds: map entries no writer produces or pointing outside the data region, a block mapped
// both whole and as fragments, a fragment whose extent has no valid compressed header, another
// length than its header's, too few fragments, or bytes in other blocks than its entry says,
// any count that differs from the number of map entries referencing its block (or exceeds
// 254; a fragment's entry references its extent's first block and the blocks its bytes are
// in), and a clean superblock's mapped-block count that differs from the map's. Copies that are
// torn or corrupt are counted, not reported as problems: a crash may tear one copy and §4 says
// recovery ignores it. The result is meaningful when every journal entry is applied to the map and
// counts: after a clean close, or right after open_volume() (whose replay writes everything back).
// Memory: 3 bytes per data block.
//
// Thread-safety: a function; nobody may write the volume while it runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/backing/backing_store.h"
#include "store/format/superblock.h"

namespace accz::store {

struct CheckReport {
  std::vector<std::string> problems;  // empty: consistent
  uint64_t lbns_mapped = 0;           // whole or fragment
  uint64_t lbns_zero = 0;             // written zeros (no block)
  uint64_t blocks_in_use = 0;         // data blocks with a nonzero count
  uint64_t compressed_blocks = 0;     // blocks of compressed extents that fragments use
  uint64_t compressed_extents = 0;    // compressed extents some map entry references
  uint64_t fragments_mapped = 0;
  uint64_t torn_copies = 0;  // map/refcount copies that are neither valid, unwritten nor stale

  bool consistent() const { return problems.empty(); }
};

// Fails only when the device cannot be read; inconsistencies go into the report. At most
// `max_problems` are listed (the rest are counted in the last message).
StoreResult<CheckReport> check_volume(BackingStore& dev, const Superblock& sb,
                                      size_t max_problems = 100);

}  // namespace accz::store
