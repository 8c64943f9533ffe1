#include "store/format/compressed_block.h"

#include <cstring>
#include <string>

#include "store/format/crc32c.h"
#include "store/format/endian.h"

namespace accz::store {
namespace {

constexpr size_t kSizesOffset = 8;
constexpr size_t kHeaderCrcOffset = 36;

}  // namespace

void encode_compressed_block(uint8_t algorithm, std::span<const ByteSpan> fragments,
                             MutableByteSpan block) {
  std::memset(block.data(), 0, kBlockSize);
  uint8_t* p = block.data();
  le::store32(p, kMagicCompressed);
  le::store16(p + 4, kCompressedBlockVersion);
  p[6] = algorithm;
  p[7] = static_cast<uint8_t>(fragments.size());
  size_t at = kCompressedHeaderSize;
  for (size_t i = 0; i < fragments.size(); ++i) {
    le::store16(p + kSizesOffset + 2 * i, static_cast<uint16_t>(fragments[i].size()));
    std::memcpy(p + at, fragments[i].data(), fragments[i].size());
    at += fragments[i].size();
  }
  le::store32(p + kHeaderCrcOffset, crc32c(block.first(kHeaderCrcOffset)));
}

StoreResult<CompressedBlockView> parse_compressed_block(ByteSpan block, uint8_t algorithm) {
  auto bad = [](const std::string& why) -> StoreResult<CompressedBlockView> {
    return {StoreStatus::Corruption("compressed block: " + why), {}};
  };
  if (block.size() != kBlockSize) return bad("not a 4 KiB block");
  const uint8_t* p = block.data();
  if (le::load32(p) != kMagicCompressed) return bad("bad magic");
  if (le::load32(p + kHeaderCrcOffset) != crc32c(block.first(kHeaderCrcOffset))) {
    return bad("header checksum mismatch");
  }
  if (le::load16(p + 4) != kCompressedBlockVersion) {
    return {
        StoreStatus::NotSupported("compressed block: version " + std::to_string(le::load16(p + 4))),
        {}};
  }
  if (p[6] != algorithm) return bad("written with another algorithm than the volume's");
  CompressedBlockView v;
  v.algorithm = p[6];
  v.fragment_count = p[7];
  if (v.fragment_count == 0 || v.fragment_count > kMaxFragments) return bad("fragment count");
  size_t at = kCompressedHeaderSize;
  for (size_t i = 0; i < kMaxFragments; ++i) {
    const uint16_t size = le::load16(p + kSizesOffset + 2 * i);
    if (i >= v.fragment_count) {
      if (size != 0) return bad("size recorded for an unused slot");
      continue;
    }
    if (size == 0) return bad("empty fragment");
    if (size > kBlockSize - at) return bad("fragments overrun the block");
    v.fragments[i] = block.subspan(at, size);
    at += size;
  }
  return {StoreStatus::Ok(), v};
}

}  // namespace accz::store
