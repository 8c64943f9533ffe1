#include "store/format/compressed_block.h"

#include <cstring>
#include <string>

#include "store/format/crc32c.h"
#include "store/format/endian.h"

namespace accz::store {
namespace {

constexpr size_t kVersionOffset = 4;
constexpr size_t kExtentOffset = 5;
constexpr size_t kSizesOffset = 8;
constexpr size_t kHeaderCrcOffset = 36;

}  // namespace

uint64_t extent_blocks_for(uint64_t fragment_bytes) {
  return (kCompressedHeaderSize + fragment_bytes + kBlockSize - 1) / kBlockSize;
}

void encode_compressed_block(uint8_t algorithm, std::span<const ByteSpan> fragments,
                             MutableByteSpan out) {
  std::memset(out.data(), 0, out.size());
  uint8_t* p = out.data();
  le::store32(p, kMagicCompressed);
  p[kVersionOffset] = kCompressedBlockVersion;
  p[kExtentOffset] = static_cast<uint8_t>(out.size() / kBlockSize - 1);
  p[6] = algorithm;
  p[7] = static_cast<uint8_t>(fragments.size());
  size_t at = kCompressedHeaderSize;
  for (size_t i = 0; i < fragments.size(); ++i) {
    le::store16(p + kSizesOffset + 2 * i, static_cast<uint16_t>(fragments[i].size()));
    std::memcpy(p + at, fragments[i].data(), fragments[i].size());
    at += fragments[i].size();
  }
  le::store32(p + kHeaderCrcOffset, crc32c(out.first(kHeaderCrcOffset)));
}

StoreResult<CompressedHeader> parse_compressed_header(ByteSpan head, uint8_t algorithm) {
  auto bad = [](const std::string& why) -> StoreResult<CompressedHeader> {
    return {StoreStatus::Corruption("compressed block: " + why), {}};
  };
  if (head.size() < kCompressedHeaderSize) return bad("shorter than its header");
  const uint8_t* p = head.data();
  if (le::load32(p) != kMagicCompressed) return bad("bad magic");
  if (le::load32(p + kHeaderCrcOffset) != crc32c(head.first(kHeaderCrcOffset))) {
    return bad("header checksum mismatch");
  }
  // Version 1 stored a u16 version, so its byte 5 (now the extent) is always 0.
  const uint8_t version = p[kVersionOffset];
  if (version != 1 && version != kCompressedBlockVersion) {
    return {StoreStatus::NotSupported("compressed block: version " + std::to_string(version)), {}};
  }
  if (p[6] != algorithm) return bad("written with another algorithm than the volume's");
  CompressedHeader h;
  h.algorithm = p[6];
  h.fragment_count = p[7];
  h.extent = p[kExtentOffset];
  if (h.extent >= kMaxExtentBlocks || (version == 1 && h.extent != 0)) return bad("extent length");
  if (h.fragment_count == 0 || h.fragment_count > kMaxFragments) return bad("fragment count");
  const uint64_t end = h.blocks() * kBlockSize;
  uint64_t at = kCompressedHeaderSize;
  for (size_t i = 0; i < kMaxFragments; ++i) {
    const uint16_t size = le::load16(p + kSizesOffset + 2 * i);
    if (i >= h.fragment_count) {
      if (size != 0) return bad("size recorded for an unused slot");
      continue;
    }
    if (size == 0) return bad("empty fragment");
    if (size > end - at) return bad("fragments overrun the extent");
    h.sizes[i] = size;
    h.offsets[i] = static_cast<uint32_t>(at);
    at += size;
  }
  return {StoreStatus::Ok(), h};
}

StoreResult<CompressedBlockView> parse_compressed_block(ByteSpan extent, uint8_t algorithm) {
  StoreResult<CompressedHeader> h = parse_compressed_header(extent, algorithm);
  if (!h.ok()) return {h.status, {}};
  if (extent.size() != h.value.blocks() * kBlockSize) {
    return {StoreStatus::Corruption("compressed block: header says " +
                                    std::to_string(h.value.blocks()) + " blocks, " +
                                    std::to_string(extent.size() / kBlockSize) + " given"),
            {}};
  }
  CompressedBlockView v;
  v.algorithm = h.value.algorithm;
  v.fragment_count = h.value.fragment_count;
  v.extent = h.value.extent;
  for (size_t i = 0; i < v.fragment_count; ++i) {
    v.fragments[i] = extent.subspan(h.value.offsets[i], h.value.sizes[i]);
  }
  return {StoreStatus::Ok(), v};
}

}  // namespace accz::store
