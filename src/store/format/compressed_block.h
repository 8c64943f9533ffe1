// store/format/compressed_block.h — a compressed extent: 1 … 14 consecutive data blocks
// packing up to 14 compressed fragments behind one header (docs/format.md §8).
//
// Promise: encode_compressed_block() lays fragments out back to back after a 40-byte header
// with their sizes, the extent's length and a header CRC-32C, zero-filling the rest of the
// extent; a fragment may cross block boundaries. parse_compressed_header() accepts only a
// header that checks (magic, version, algorithm code, count, extent length, sizes that fit the
// extent, unused sizes zero, checksum), reading nothing past the first block, so a reader can
// learn which blocks a fragment needs before it reads them. parse_compressed_block() does the
// same for a whole extent in memory and hands out each fragment as a view into the caller's
// buffer — no copy, valid as long as that buffer.
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

struct CompressedHeader {
  uint8_t algorithm = 0;  // the superblock's on-disk code
  uint8_t fragment_count = 0;
  uint8_t extent = 0;  // blocks after the first (0 … 13)
  std::array<uint16_t, kMaxFragments> sizes{};
  std::array<uint32_t, kMaxFragments> offsets{};  // from the extent's first byte

  uint64_t blocks() const { return uint64_t{extent} + 1; }
  // The blocks, relative to the first, that hold fragment `slot`'s bytes: [first, last].
  uint64_t first_block(uint8_t slot) const { return offsets[slot] / kBlockSize; }
  uint64_t last_block(uint8_t slot) const { return (offsets[slot] + sizes[slot] - 1) / kBlockSize; }
};

struct CompressedBlockView {
  uint8_t algorithm = 0;
  uint8_t fragment_count = 0;
  uint8_t extent = 0;
  std::array<ByteSpan, kMaxFragments> fragments{};  // [0, fragment_count)
};

// The blocks an extent holding fragments of these sizes needs: ⌈(40 + Σ sizes) / 4096⌉.
uint64_t extent_blocks_for(uint64_t fragment_bytes);

// REQUIRES: 1 ≤ fragments.size() ≤ 14; no fragment is empty; out.size() is a multiple of 4096,
// at most 14 blocks, and at least extent_blocks_for(the fragments' total size).
void encode_compressed_block(uint8_t algorithm, std::span<const ByteSpan> fragments,
                             MutableByteSpan out);

// `head`: at least the header, the extent's first 40 bytes (nothing past them is read).
// `algorithm`: the volume's code; a block written with another is rejected as corrupt.
StoreResult<CompressedHeader> parse_compressed_header(ByteSpan head, uint8_t algorithm);

// `extent`: the whole extent, exactly header.blocks() × 4096 bytes.
StoreResult<CompressedBlockView> parse_compressed_block(ByteSpan extent, uint8_t algorithm);

}  // namespace accz::store
