// The bytes zlib's deflate writes around a deflate body, for the drop-in's engine paths: the
// zlib header (RFC 1950) with the FLEVEL zlib writes for a level, the gzip header (RFC 1952) as
// zlib writes it when deflateSetHeader was not called, and the trailers. With these, engine
// output differs from zlib's only in the deflate body.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "zlib/zlib_api.h"

namespace accz::zlib {

inline constexpr size_t kZlibHeaderSize = 2;
inline constexpr size_t kGzipHeaderSize = 10;

// zlib's header for windowBits 15, no preset dictionary, level 0..9 and strategy.
inline void write_zlib_header(Bytef* out, int level, int strategy = Z_DEFAULT_STRATEGY) {
  const unsigned level_flags = strategy >= Z_HUFFMAN_ONLY || level < 2 ? 0
                               : level < 6                             ? 1
                               : level == 6                            ? 2
                                                                       : 3;
  unsigned header = (Z_DEFLATED + ((MAX_WBITS - 8) << 4)) << 8;
  header |= level_flags << 6;
  header += 31 - (header % 31);
  out[0] = static_cast<Bytef>(header >> 8);
  out[1] = static_cast<Bytef>(header & 0xff);
}

// zlib's default gzip header: no name, comment, extra or header CRC, mtime 0, XFL from the level
// and strategy, OS 3 (Unix, zlib's OS_CODE on every Unix-like system).
inline void write_gzip_header(Bytef* out, int level, int strategy = Z_DEFAULT_STRATEGY) {
  const Bytef head[kGzipHeaderSize] = {
      0x1f,
      0x8b,
      Z_DEFLATED,
      0,
      0,
      0,
      0,
      0,
      static_cast<Bytef>(level == 9 ? 2 : strategy >= Z_HUFFMAN_ONLY || level < 2 ? 4 : 0),
      3};
  for (size_t i = 0; i < kGzipHeaderSize; ++i) out[i] = head[i];
}

inline void write_be32(Bytef* out, uint32_t v) {
  out[0] = static_cast<Bytef>(v >> 24);
  out[1] = static_cast<Bytef>(v >> 16);
  out[2] = static_cast<Bytef>(v >> 8);
  out[3] = static_cast<Bytef>(v);
}

inline void write_le32(Bytef* out, uint32_t v) {
  out[0] = static_cast<Bytef>(v);
  out[1] = static_cast<Bytef>(v >> 8);
  out[2] = static_cast<Bytef>(v >> 16);
  out[3] = static_cast<Bytef>(v >> 24);
}

}  // namespace accz::zlib
