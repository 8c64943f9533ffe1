// lz4 and zstd frame walking for their content checksums (see frame_trailer.h).
#include "core/frame_trailer.h"

#include <xxhash.h>

#include <algorithm>

namespace accz {
namespace {

// Random access into a span list, for headers that may straddle pieces.
class Bytes {
 public:
  Bytes(std::span<const ByteSpan> list, size_t end) : list_(list), end_(end) {}
  bool has(size_t pos, size_t n) const { return pos + n <= end_ && pos + n >= pos; }
  uint8_t at(size_t i) const {
    for (const auto& s : list_) {
      if (i < s.size()) return s[i];
      i -= s.size();
    }
    return 0;
  }
  uint32_t le(size_t i, size_t n) const {
    uint32_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint32_t(at(i + k)) << (8 * k);
    return v;
  }

 private:
  std::span<const ByteSpan> list_;
  size_t end_;
};

}  // namespace

std::optional<FrameChecksum> lz4_frame_checksum(std::span<const ByteSpan> src, size_t end) {
  Bytes b(src, end);
  if (!b.has(0, 7) || b.le(0, 4) != 0x184D2204u) return std::nullopt;
  const uint8_t flg = b.at(4);
  if ((flg >> 6) != 1) return std::nullopt;  // version 01
  const bool block_checksum = flg & 0x10, content_size = flg & 0x08;
  const bool content_checksum = flg & 0x04, dict_id = flg & 0x01;
  if (!content_checksum) return std::nullopt;
  size_t pos = 4 + 2 + (content_size ? 8 : 0) + (dict_id ? 4 : 0) + 1;  // FLG BD … HC
  for (;;) {
    if (!b.has(pos, 4)) return std::nullopt;
    const uint32_t word = b.le(pos, 4);
    pos += 4;
    if (word == 0) break;  // EndMark
    pos += (word & 0x7fffffffu) + (block_checksum ? 4 : 0);
  }
  if (!b.has(pos, 4) || pos + 4 != end) return std::nullopt;
  return FrameChecksum{FrameChecksum::Kind::kXxh32, b.le(pos, 4)};
}

std::optional<FrameChecksum> zstd_frame_checksum(std::span<const ByteSpan> src, size_t end) {
  Bytes b(src, end);
  if (!b.has(0, 5) || b.le(0, 4) != 0xFD2FB528u) return std::nullopt;
  const uint8_t fhd = b.at(4);
  const unsigned fcs_flag = fhd >> 6, dict_flag = fhd & 3;
  const bool single_segment = fhd & 0x20, checksum = fhd & 0x04;
  if (!checksum || (fhd & 0x08)) return std::nullopt;  // no checksum, or reserved bit set
  static constexpr size_t kDictBytes[4] = {0, 1, 2, 4};
  static constexpr size_t kFcsBytes[4] = {0, 2, 4, 8};
  size_t fcs = kFcsBytes[fcs_flag];
  if (fcs_flag == 0 && single_segment) fcs = 1;
  size_t pos = 5 + (single_segment ? 0 : 1) + kDictBytes[dict_flag] + fcs;
  for (bool last = false; !last;) {
    if (!b.has(pos, 3)) return std::nullopt;
    const uint32_t header = b.le(pos, 3);
    pos += 3;
    last = header & 1;
    const unsigned type = (header >> 1) & 3;
    const size_t size = header >> 3;
    if (type == 3) return std::nullopt;  // reserved
    pos += type == 1 ? 1 : size;         // RLE blocks store one byte
  }
  if (!b.has(pos, 4) || pos + 4 != end) return std::nullopt;
  return FrameChecksum{FrameChecksum::Kind::kXxh64Low32, b.le(pos, 4)};
}

uint32_t frame_checksum_of(FrameChecksum::Kind kind, std::span<const MutableByteSpan> data,
                           size_t len) {
  const bool xxh32 = kind == FrameChecksum::Kind::kXxh32;
  if (data.empty() || data[0].size() >= len) {
    const void* p = data.empty() ? nullptr : data[0].data();
    return xxh32 ? XXH32(p, len, 0) : static_cast<uint32_t>(XXH64(p, len, 0));
  }
  // Output spread over several spans: stream the hash.
  XXH32_state_t* s32 = xxh32 ? XXH32_createState() : nullptr;
  XXH64_state_t* s64 = xxh32 ? nullptr : XXH64_createState();
  if (xxh32)
    XXH32_reset(s32, 0);
  else
    XXH64_reset(s64, 0);
  for (const auto& s : data) {
    size_t n = std::min(len, s.size());
    if (xxh32)
      XXH32_update(s32, s.data(), n);
    else
      XXH64_update(s64, s.data(), n);
    len -= n;
  }
  uint32_t v = xxh32 ? XXH32_digest(s32) : static_cast<uint32_t>(XXH64_digest(s64));
  XXH32_freeState(s32);
  XXH64_freeState(s64);
  return v;
}

}  // namespace accz
