// store/format/index_page.h — one page of the saved dedup index (docs/format.md §7): up to 169
// records mapping a block's XXH3-128 hash to the map entry that held those contents, under the
// shared metadata header whose `point` is the index generation.
//
// Promise: encode_index_page() writes the §7 layout and seals it; decode_index_page() returns
// records only from a valid page of this volume, at its position, of the generation the
// superblock names, whose records all point at a data block (whole or a fragment). Anything
// else is reported as kCorruption, which a loader treats as "no saved index": the index is
// advisory, so refusing a doubtful page loses savings, never data.
//
// Thread-safety: pure functions on caller-owned buffers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "accz/types.h"
#include "store/backing/store_status.h"
#include "store/format/map_entry.h"

namespace accz::store {

struct IndexRecord {
  uint64_t hash_low = 0;   // XXH3-128 low 64 bits
  uint64_t hash_high = 0;  // XXH3-128 high 64 bits
  MapEntry target;         // kWhole or kFragment

  bool operator==(const IndexRecord&) const = default;
};

// REQUIRES: block.size() == 4096; records.size() ≤ 169; every target references a block.
void encode_index_page(uint64_t page, uint64_t generation, uint64_t nonce,
                       std::span<const IndexRecord> records, MutableByteSpan block);

// `generation`: the superblock's index_generation (nonzero).
StoreResult<std::vector<IndexRecord>> decode_index_page(ByteSpan block, uint64_t page,
                                                        uint64_t nonce, uint64_t generation);

}  // namespace accz::store
