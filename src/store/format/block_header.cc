#include "store/format/block_header.h"

#include <algorithm>

#include "store/format/crc32c.h"
#include "store/format/endian.h"
#include "store/format/layout.h"

namespace accz::store {

void seal_block(const BlockHeader& h, MutableByteSpan block) {
  uint8_t* p = block.data();
  le::store32(p + 0, h.magic);
  le::store16(p + 4, h.version);
  le::store16(p + 6, h.count);
  le::store64(p + 8, h.nonce);
  le::store64(p + 16, h.number);
  le::store64(p + 24, h.point);
  le::store32(p + kChecksumOffset, crc32c(block.first(kChecksumOffset)));
}

bool is_zero_block(ByteSpan block) {
  return std::all_of(block.begin(), block.end(), [](uint8_t b) { return b == 0; });
}

BlockState inspect_block(ByteSpan block, uint32_t magic, uint64_t nonce, uint64_t number,
                         BlockHeader* out) {
  if (block.size() != kBlockSize) return BlockState::kInvalid;
  const uint8_t* p = block.data();
  if (le::load32(p + kChecksumOffset) != crc32c(block.first(kChecksumOffset))) {
    return is_zero_block(block) ? BlockState::kUnwritten : BlockState::kInvalid;
  }
  BlockHeader h;
  h.magic = le::load32(p + 0);
  h.version = le::load16(p + 4);
  h.count = le::load16(p + 6);
  h.nonce = le::load64(p + 8);
  h.number = le::load64(p + 16);
  h.point = le::load64(p + 24);
  if (h.nonce != nonce) return BlockState::kStale;
  // An intact block of this volume with the wrong type, version or position was written to
  // the wrong place or by an unknown version: never trust it.
  if (h.magic != magic || h.version != kMetadataBlockVersion || h.number != number) {
    return BlockState::kInvalid;
  }
  if (out != nullptr) *out = h;
  return BlockState::kValid;
}

}  // namespace accz::store
