// core/framing_format.h — byte-level pieces of the zlib (RFC 1950) and gzip (RFC 1952)
// wrappers, shared by the one-shot and streaming framing code. Writers here never allocate,
// so the one-shot paths can write straight into a caller's buffer.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "accz/framing.h"

namespace accz {

// gzip FLG bits.
inline constexpr uint8_t kGzipText = 0x01, kGzipHcrc = 0x02, kGzipExtra = 0x04, kGzipName = 0x08,
                         kGzipComment = 0x10, kGzipReserved = 0xe0;
inline constexpr size_t kGzipTrailerSize = 8;
inline constexpr size_t kZlibHeaderSize = 2;
inline constexpr size_t kZlibTrailerSize = 4;

// True for the framings this layer wraps around raw deflate (zlib, gzip).
inline bool is_deflate(Framing f) { return f == Framing::kZlib || f == Framing::kGzip; }

inline void put_le32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}
inline void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline uint32_t get_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint32_t get_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

// Size of the header gzip_header_bytes(h) returns, and the same bytes written to `out`
// (which must have that many). A field is present when its has_* flag is set or it is
// non-empty; FEXTRA is cut to 65535 bytes, the most its length field can say.
size_t gzip_header_size(const GzipHeader& h);
void write_gzip_header(const GzipHeader& h, uint8_t* out);

// The zlib header as a big-endian 16-bit value: 32 KiB window, deflate, FLEVEL derived from
// a zlib-style level (-1 means 6) the way zlib derives it, FDICT, check bits.
uint16_t zlib_header_value(int level, bool has_dict);

// nullptr if CMF/FLG form a zlib header we can decode (FDICT aside), else zlib's message.
const char* zlib_header_error(uint8_t cmf, uint8_t flg);
inline bool zlib_header_has_dict(uint8_t flg) { return (flg & 0x20) != 0; }

}  // namespace accz
