#include "store/format/index_page.h"

#include <cstring>
#include <string>

#include "store/format/block_header.h"
#include "store/format/endian.h"
#include "store/format/layout.h"

namespace accz::store {

void encode_index_page(uint64_t page, uint64_t generation, uint64_t nonce,
                       std::span<const IndexRecord> records, MutableByteSpan block) {
  std::memset(block.data(), 0, kBlockSize);
  uint8_t* p = block.data() + kBlockHeaderSize;
  for (const IndexRecord& r : records) {
    le::store64(p, r.hash_low);
    le::store64(p + 8, r.hash_high);
    le::store64(p + 16, encode_map_entry(r.target));
    p += kIndexRecordSize;
  }
  seal_block({kMagicIndex, kMetadataBlockVersion, static_cast<uint16_t>(records.size()), nonce,
              page, generation},
             block);
}

StoreResult<std::vector<IndexRecord>> decode_index_page(ByteSpan block, uint64_t page,
                                                        uint64_t nonce, uint64_t generation) {
  auto bad = [&](const std::string& why) -> StoreResult<std::vector<IndexRecord>> {
    return {StoreStatus::Corruption("index page " + std::to_string(page) + ": " + why), {}};
  };
  BlockHeader h;
  switch (inspect_block(block, kMagicIndex, nonce, page, &h)) {
    case BlockState::kValid:
      break;
    case BlockState::kUnwritten:
      return bad("never written");
    case BlockState::kStale:
      return bad("belongs to an earlier volume");
    case BlockState::kInvalid:
      return bad("torn, corrupt, or at the wrong position");
  }
  // A page of an older save survives next to newer ones when the newer save was shorter or
  // interrupted; the generation is what tells them apart.
  if (generation == 0 || h.point != generation) return bad("from another index generation");
  if (h.count > kIndexRecordsPerPage) return bad("record count");
  std::vector<IndexRecord> records;
  records.reserve(h.count);
  const uint8_t* p = block.data() + kBlockHeaderSize;
  for (uint16_t i = 0; i < h.count; ++i, p += kIndexRecordSize) {
    auto target = decode_map_entry(le::load64(p + 16));
    if (!target || !target->references_block()) {
      return bad("record " + std::to_string(i) + " points at no data block");
    }
    records.push_back({le::load64(p), le::load64(p + 8), *target});
  }
  return {StoreStatus::Ok(), std::move(records)};
}

}  // namespace accz::store
