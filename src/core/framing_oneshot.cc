// Whole-buffer zlib/gzip framing over a one-shot raw deflate engine call. Headers and
// trailers are written straight into the caller's buffer: no allocation on these paths.
#include <cstring>

#include "accz/framing.h"
#include "core/framing_format.h"
#include "engines/engine_util.h"

namespace accz {
namespace {

// One gzip member at the front of `in`; adds its output to *produced and its CRC to *crc.
CodecResult decode_gzip_member(Decompressor& d, ByteSpan in, MutableByteSpan out, uint32_t* crc) {
  GzipHeaderParser parser;
  size_t pos = parser.feed(in);
  if (parser.state() != GzipHeaderParser::State::kDone) return codec_result(Status::kBadData);
  CodecResult body = d.decompress(in.subspan(pos), out);
  if (body.status != Status::kOk) return codec_result(body.status, 0, body.produced);
  pos += body.consumed;
  if (in.size() - pos < kGzipTrailerSize) return codec_result(Status::kBadData, 0, body.produced);
  *crc = crc32(0, ByteSpan(out.data(), body.produced));
  if (get_le32(in.data() + pos) != *crc ||
      get_le32(in.data() + pos + 4) != static_cast<uint32_t>(body.produced))
    return codec_result(Status::kBadData, 0, body.produced);
  return codec_result(Status::kOk, pos + kGzipTrailerSize, body.produced, true);
}

}  // namespace

CodecResult compress_framed(Compressor& c, Framing f, int level, ByteSpan in, MutableByteSpan out,
                            const GzipHeader& gz, uint32_t* checksum) {
  if (!is_deflate(f)) return c.compress(in, out);

  const bool gzip = f == Framing::kGzip;
  const size_t head = gzip ? gzip_header_size(gz) : kZlibHeaderSize;
  const size_t tail = gzip ? kGzipTrailerSize : kZlibTrailerSize;
  if (out.size() < head + tail) return codec_result(Status::kOutputOverflow);
  if (gzip) {
    write_gzip_header(gz, out.data());
  } else {
    const uint16_t h = zlib_header_value(level, false);
    out[0] = static_cast<uint8_t>(h >> 8);
    out[1] = static_cast<uint8_t>(h);
  }
  CodecResult body = c.compress(in, out.subspan(head, out.size() - head - tail));
  if (body.status != Status::kOk) return codec_result(body.status, 0, 0);
  uint8_t* t = out.data() + head + body.produced;
  const uint32_t check = gzip ? crc32(0, in) : adler32(1, in);
  if (gzip) {
    put_le32(t, check);
    put_le32(t + 4, static_cast<uint32_t>(in.size()));
  } else {
    put_be32(t, check);
  }
  if (checksum) *checksum = check;
  return codec_result(Status::kOk, in.size(), head + body.produced + tail, true);
}

CodecResult decompress_framed(Decompressor& d, Framing f, ByteSpan in, MutableByteSpan out,
                              uint32_t* checksum) {
  if (!is_deflate(f)) return d.decompress(in, out);

  if (f == Framing::kZlib) {
    if (in.size() < kZlibHeaderSize) return codec_result(Status::kBadData);
    if (zlib_header_error(in[0], in[1])) return codec_result(Status::kBadData);
    // A preset dictionary is not something this whole-buffer helper can be given.
    if (zlib_header_has_dict(in[1])) return codec_result(Status::kUnsupported);
    CodecResult body = d.decompress(in.subspan(kZlibHeaderSize), out);
    if (body.status != Status::kOk) return codec_result(body.status, 0, body.produced);
    const size_t pos = kZlibHeaderSize + body.consumed;
    if (in.size() - pos < kZlibTrailerSize) return codec_result(Status::kBadData, 0, body.produced);
    const uint32_t check = adler32(1, ByteSpan(out.data(), body.produced));
    if (get_be32(in.data() + pos) != check) return codec_result(Status::kBadData, 0, body.produced);
    if (checksum) *checksum = check;
    return codec_result(Status::kOk, pos + kZlibTrailerSize, body.produced, true);
  }

  // gzip: every member in turn, as gzip -d does; what follows the last one is left alone.
  size_t consumed = 0, produced = 0;
  uint32_t total_crc = 0;
  do {
    uint32_t member_crc = 0;
    CodecResult m = decode_gzip_member(d, in.subspan(consumed), out.subspan(produced), &member_crc);
    if (m.status != Status::kOk) return codec_result(m.status, consumed, produced + m.produced);
    total_crc = crc32_combine(total_crc, member_crc, m.produced);
    consumed += m.consumed;
    produced += m.produced;
  } while (is_gzip_magic(in.subspan(consumed)));
  if (checksum) *checksum = total_crc;
  return codec_result(Status::kOk, consumed, produced, true);
}

}  // namespace accz
