// store/format/compressed_block.h — a data block packing up to 14 compressed fragments
// (docs/format.md §8).
//
// Promise: encode_compressed_block() lays fragments out back to back after a 40-byte header
// with their sizes and a header CRC-32C, zero-filling the rest; parse_compressed_block()
// accepts only a block whose header checks (magic, version, algorithm code, count, sizes that
// fit, unused sizes zero, checksum) and then hands out each fragment as a view into the
// caller's block — no copy, valid as long as that buffer.
//
// Thread-safety: pure functions on caller-owned buffers.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "accz/types.h"
#include "store/backing/store_status.h"
#include "store/format/layout.h"

namespace accz::store {

struct CompressedBlockView {
  uint8_t algorithm = 0;  // the superblock's on-disk code
  uint8_t fragment_count = 0;
  std::array<ByteSpan, kMaxFragments> fragments{};  // [0, fragment_count)
};

// REQUIRES: block.size() == 4096; 1 ≤ fragments.size() ≤ 14; the fragments' sizes sum to
// at most 4056; no fragment is empty.
void encode_compressed_block(uint8_t algorithm, std::span<const ByteSpan> fragments,
                             MutableByteSpan block);

// `algorithm`: the volume's code; a block written with another is rejected as corrupt.
StoreResult<CompressedBlockView> parse_compressed_block(ByteSpan block, uint8_t algorithm);

}  // namespace accz::store
