// store/format/metadata_page.h — block-map pages and refcount blocks (docs/format.md §4, §5),
// and the rule that picks between each one's two on-disk copies.
//
// Promise: encode_*() write the documented layout and seal it with the page's applied
// journal point; decode_*() fill the caller's array only from a valid block. pick_copy()
// implements §4's choice: the valid copy with the higher point; no valid copy means a fresh
// structure (all unmapped / all free) at point 0, whose contents the journal still holds
// (write-ordering rules W3 and W4).
//
// Thread-safety: pure functions on caller-owned buffers.
#pragma once

#include <array>
#include <cstdint>

#include "accz/types.h"
#include "store/backing/store_status.h"
#include "store/format/block_header.h"
#include "store/format/layout.h"

namespace accz::store {

using MapPageEntries = std::array<uint64_t, kMapEntriesPerPage>;  // raw map entries (§4)
using RefcountArray = std::array<uint8_t, kRefcountsPerBlock>;

// REQUIRES: block.size() == 4096.
void encode_map_page(uint64_t page, uint64_t point, uint64_t nonce, const MapPageEntries& entries,
                     MutableByteSpan block);
void encode_refcount_block(uint64_t index, uint64_t point, uint64_t nonce,
                           const RefcountArray& counts, MutableByteSpan block);

// On a valid block: fills the array and returns its point. Otherwise returns the state
// (kUnwritten, kStale, kInvalid) and leaves the array alone.
struct CopyInfo {
  BlockState state = BlockState::kUnwritten;
  uint64_t point = 0;
};
CopyInfo decode_map_page(ByteSpan block, uint64_t page, uint64_t nonce, MapPageEntries* out);
// A valid block with a count of 255 (never written to disk, §5) is reported as kInvalid.
CopyInfo decode_refcount_block(ByteSpan block, uint64_t index, uint64_t nonce, RefcountArray* out);

// Which copy (0 or 1) to load, or -1 if neither is valid; and which copy the next write goes
// to: the one not holding the newest valid version.
struct CopyChoice {
  int load = -1;
  int next_write = 0;
  uint64_t point = 0;  // of the loaded copy; 0 if none
};
CopyChoice pick_copy(const CopyInfo& copy0, const CopyInfo& copy1);

}  // namespace accz::store
