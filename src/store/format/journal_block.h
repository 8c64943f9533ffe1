// store/format/journal_block.h — one block of the recovery journal (docs/format.md §6): up to
// 126 remap entries under the shared metadata header, whose `number` is the block's sequence
// and whose `point` is the journal head when it was written.
//
// Promise: encode_journal_block() writes the §6 layout and seals it; decode_journal_block()
// returns the entries only from a valid block of this volume at its expected sequence
// (unwritten, stale and torn blocks all end replay, which is where §6 says to stop), and
// rejects entries a version-1 writer cannot produce.
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

struct JournalEntry {
  uint64_t lbn = 0;
  MapEntry new_entry;
  MapEntry old_entry;

  bool operator==(const JournalEntry&) const = default;
};

struct JournalBlock {
  uint64_t sequence = 0;              // ≥ 1; lives at journal_start + sequence % journal_blocks
  uint64_t head = 0;                  // oldest sequence replay may need, as of this write
  std::vector<JournalEntry> entries;  // 1 … 126
};

// REQUIRES: block.size() == 4096; 1 ≤ entries ≤ 126.
void encode_journal_block(const JournalBlock& jb, uint64_t nonce, MutableByteSpan block);

// kCorruption with a reason unless the block is a valid journal block of `nonce` holding
// `sequence` whose entries all decode.
StoreResult<JournalBlock> decode_journal_block(ByteSpan block, uint64_t nonce, uint64_t sequence);

}  // namespace accz::store
