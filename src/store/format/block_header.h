// store/format/block_header.h — the 32-byte header and trailing CRC-32C shared by block-map
// pages, refcount blocks, journal blocks and index pages (docs/format.md §4).
//
// Promise: seal_block() writes the header and the checksum into a 4 KiB block whose body the
// caller filled; inspect_block() classifies a block read back as valid (magic, version,
// nonce, position and checksum all check), unwritten (all zeros), stale (an intact block of
// an earlier volume on the same device: another nonce), or invalid (torn or corrupt), and
// only a valid block yields a header. Recovery treats all but kValid as "never written";
// the checker reports kInvalid, which is expected only for a copy torn by a crash.
//
// Thread-safety: pure functions on caller-owned buffers.
#pragma once

#include <cstdint>

#include "accz/types.h"

namespace accz::store {

struct BlockHeader {
  uint32_t magic = 0;
  uint16_t version = 0;
  uint16_t count = 0;  // journal: entries used; index: records used; otherwise 0
  uint64_t nonce = 0;
  uint64_t number = 0;  // the block's position: page index, refcount block, journal sequence
  uint64_t point = 0;   // map/refcount: applied journal point; journal: head; index: generation
};

enum class BlockState : uint8_t { kValid, kUnwritten, kStale, kInvalid };

// REQUIRES: block.size() == kBlockSize. Writes bytes [0, 32) and [4092, 4096); the body
// [32, 4092) must already hold the structure's contents.
void seal_block(const BlockHeader& header, MutableByteSpan block);

// Checks `block` against what the caller expects at this position. On kValid, *out (if not
// null) receives the header.
BlockState inspect_block(ByteSpan block, uint32_t magic, uint64_t nonce, uint64_t number,
                         BlockHeader* out);

// True if every byte is zero.
bool is_zero_block(ByteSpan block);

}  // namespace accz::store
