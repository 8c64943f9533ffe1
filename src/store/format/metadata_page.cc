#include "store/format/metadata_page.h"

#include <algorithm>
#include <cstring>

#include "store/format/endian.h"

namespace accz::store {

void encode_map_page(uint64_t page, uint64_t point, uint64_t nonce, const MapPageEntries& entries,
                     MutableByteSpan block) {
  std::memset(block.data(), 0, kBlockSize);
  uint8_t* p = block.data() + kBlockHeaderSize;
  for (uint64_t e : entries) {
    le::store64(p, e);
    p += 8;
  }
  seal_block({kMagicBlockMap, kMetadataBlockVersion, 0, nonce, page, point}, block);
}

void encode_refcount_block(uint64_t index, uint64_t point, uint64_t nonce,
                           const RefcountArray& counts, MutableByteSpan block) {
  std::memset(block.data(), 0, kBlockSize);
  std::memcpy(block.data() + kBlockHeaderSize, counts.data(), counts.size());
  seal_block({kMagicRefcount, kMetadataBlockVersion, 0, nonce, index, point}, block);
}

CopyInfo decode_map_page(ByteSpan block, uint64_t page, uint64_t nonce, MapPageEntries* out) {
  BlockHeader h;
  const BlockState state = inspect_block(block, kMagicBlockMap, nonce, page, &h);
  if (state != BlockState::kValid) return {state, 0};
  const uint8_t* p = block.data() + kBlockHeaderSize;
  for (uint64_t& e : *out) {
    e = le::load64(p);
    p += 8;
  }
  return {state, h.point};
}

CopyInfo decode_refcount_block(ByteSpan block, uint64_t index, uint64_t nonce, RefcountArray* out) {
  BlockHeader h;
  const BlockState state = inspect_block(block, kMagicRefcount, nonce, index, &h);
  if (state != BlockState::kValid) return {state, 0};
  const uint8_t* counts = block.data() + kBlockHeaderSize;
  if (std::find(counts, counts + kRefcountsPerBlock, uint8_t{255}) != counts + kRefcountsPerBlock) {
    return {BlockState::kInvalid, 0};
  }
  std::memcpy(out->data(), counts, kRefcountsPerBlock);
  return {state, h.point};
}

CopyChoice pick_copy(const CopyInfo& copy0, const CopyInfo& copy1) {
  const bool v0 = copy0.state == BlockState::kValid;
  const bool v1 = copy1.state == BlockState::kValid;
  if (v0 && (!v1 || copy0.point >= copy1.point)) return {0, 1, copy0.point};
  if (v1) return {1, 0, copy1.point};
  return {-1, 0, 0};
}

}  // namespace accz::store
