// Reference encoders and decoders for the fault and plugin tests.
#include "fault/codec_check.h"

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <stdexcept>

namespace accz::testing {
namespace {

int window_bits(Framing f) {
  switch (f) {
    case Framing::kRaw:
      return -15;
    case Framing::kZlib:
      return 15;
    default:
      return 31;
  }
}

std::optional<std::vector<uint8_t>> inflate_all(Framing f, ByteSpan in, size_t expected) {
  std::vector<uint8_t> out(expected + 1);  // one spare byte catches "too long"
  z_stream zs{};
  if (inflateInit2(&zs, window_bits(f)) != Z_OK) return std::nullopt;
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int ret;
  while (true) {
    ret = inflate(&zs, Z_NO_FLUSH);
    // gzip: further members continue the output.
    if (ret == Z_STREAM_END && f == Framing::kGzip && zs.avail_in >= 2 && zs.next_in[0] == 0x1f &&
        zs.next_in[1] == 0x8b) {
      inflateReset(&zs);
      continue;
    }
    break;
  }
  // gzip's total_out restarts per member; count from the buffer position instead.
  size_t produced = out.size() - zs.avail_out;
  size_t left = zs.avail_in;
  inflateEnd(&zs);
  if (ret != Z_STREAM_END || left != 0 || produced != expected) return std::nullopt;
  out.resize(produced);
  return out;
}

}  // namespace

std::optional<std::vector<uint8_t>> reference_decode(Framing f, ByteSpan in, size_t expected) {
  switch (f) {
    case Framing::kRaw:
    case Framing::kZlib:
    case Framing::kGzip:
      return inflate_all(f, in, expected);
    case Framing::kLz4Frame: {
      LZ4F_dctx* d = nullptr;
      if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) return std::nullopt;
      std::vector<uint8_t> out(expected + 1);
      size_t in_pos = 0, out_pos = 0, hint = 1;
      while (in_pos < in.size() && hint != 0) {
        size_t src_len = in.size() - in_pos, dst_len = out.size() - out_pos;
        hint = LZ4F_decompress(d, out.data() + out_pos, &dst_len, in.data() + in_pos, &src_len,
                               nullptr);
        if (LZ4F_isError(hint)) break;
        in_pos += src_len;
        out_pos += dst_len;
        if (src_len == 0 && dst_len == 0) break;
      }
      LZ4F_freeDecompressionContext(d);
      if (LZ4F_isError(hint) || hint != 0 || in_pos != in.size() || out_pos != expected)
        return std::nullopt;
      out.resize(out_pos);
      return out;
    }
    case Framing::kZstdFrame: {
      std::vector<uint8_t> out(expected + 1);
      size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
      if (ZSTD_isError(n) || n != expected) return std::nullopt;
      out.resize(n);
      return out;
    }
    case Framing::kLz4Block:
      break;
  }
  return std::nullopt;
}

std::vector<uint8_t> reference_encode(Framing f, ByteSpan in, int level) {
  switch (f) {
    case Framing::kRaw:
    case Framing::kZlib:
    case Framing::kGzip: {
      z_stream zs{};
      if (deflateInit2(&zs, level < 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, window_bits(f),
                       8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2");
      std::vector<uint8_t> out(deflateBound(&zs, in.size()) + 64);
      zs.next_in = const_cast<Bytef*>(in.data());
      zs.avail_in = static_cast<uInt>(in.size());
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      int ret = deflate(&zs, Z_FINISH);
      out.resize(zs.total_out);
      deflateEnd(&zs);
      if (ret != Z_STREAM_END) throw std::runtime_error("deflate");
      return out;
    }
    case Framing::kLz4Frame: {
      LZ4F_preferences_t prefs{};
      prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
      prefs.compressionLevel = level < 0 ? 0 : level;
      std::vector<uint8_t> out(LZ4F_compressFrameBound(in.size(), &prefs));
      size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
      if (LZ4F_isError(n)) throw std::runtime_error("LZ4F_compressFrame");
      out.resize(n);
      return out;
    }
    case Framing::kZstdFrame: {
      std::vector<uint8_t> out(ZSTD_compressBound(in.size()));
      size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level < 1 ? 3 : level);
      if (ZSTD_isError(n)) throw std::runtime_error("ZSTD_compress");
      out.resize(n);
      return out;
    }
    case Framing::kLz4Block:
      break;
  }
  throw std::runtime_error("reference_encode: framing not covered");
}

uint32_t reference_checksum(Framing f, ByteSpan in) {
  if (f == Framing::kZlib) return static_cast<uint32_t>(adler32_z(1, in.data(), in.size()));
  return static_cast<uint32_t>(crc32_z(0, in.data(), in.size()));
}

}  // namespace accz::testing
