// zlib stream headers and trailers (RFC 1950).
#include "accz/framing.h"
#include "core/framing_format.h"

namespace accz {

uint16_t zlib_header_value(int level, bool has_dict) {
  if (level < 0) level = 6;  // Z_DEFAULT_COMPRESSION
  // zlib's FLEVEL: 0 fastest (levels 0–1), 1 fast (2–5), 2 default (6), 3 maximum (7–9).
  const unsigned flevel = level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3;
  unsigned h = (0x78u << 8) | (flevel << 6);  // CM 8 (deflate), CINFO 7 (32 KiB window)
  if (has_dict) h |= 0x20;
  h += 31 - h % 31;
  return static_cast<uint16_t>(h);
}

const char* zlib_header_error(uint8_t cmf, uint8_t flg) {
  if ((unsigned(cmf) << 8 | flg) % 31 != 0) return "incorrect header check";
  if ((cmf & 0x0f) != 8) return "unknown compression method";
  if ((cmf >> 4) > 7) return "invalid window size";
  return nullptr;
}

std::vector<uint8_t> zlib_header_bytes(int level, bool has_dict, uint32_t dict_id) {
  const uint16_t h = zlib_header_value(level, has_dict);
  std::vector<uint8_t> v = {static_cast<uint8_t>(h >> 8), static_cast<uint8_t>(h)};
  if (has_dict) {
    v.resize(6);
    put_be32(v.data() + 2, dict_id);
  }
  return v;
}

std::array<uint8_t, 4> zlib_trailer_bytes(uint32_t adler) {
  std::array<uint8_t, 4> t;
  put_be32(t.data(), adler);
  return t;
}

}  // namespace accz
