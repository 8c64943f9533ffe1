// FramedDecompressor: strips and checks zlib or gzip headers and trailers around a
// streaming raw deflate Decompressor. Header and trailer bytes may arrive in any pieces.
#include <algorithm>
#include <cstring>

#include "accz/framing.h"
#include "core/framing_format.h"
#include "engines/engine_util.h"

namespace accz {
namespace {

enum Stage { kHeader, kBody, kTrailer, kMemberDone };

}  // namespace

FramedDecompressor::FramedDecompressor(std::unique_ptr<Decompressor> d, Framing f)
    : d_(std::move(d)), f_(f) {
  reset();
}

void FramedDecompressor::reset() {
  d_->reset();
  parser_.reset();
  error_ = nullptr;
  failed_ = Status::kOk;
  trailer_have_ = 0;
  check_ = f_ == Framing::kZlib ? 1 : 0;
  out_ = 0;
  stage_ = kHeader;
}

CodecResult FramedDecompressor::stream(ByteSpan in, MutableByteSpan out) {
  if (failed_ != Status::kOk) return codec_result(failed_, 0, 0);
  const bool gzip = f_ == Framing::kGzip;
  size_t in_pos = 0, out_pos = 0;
  auto fail = [&](Status s, const char* why) {
    failed_ = s;
    error_ = why;
    return codec_result(s, in_pos, out_pos);
  };

  if (!is_deflate(f_)) {
    CodecResult r = d_->stream(in, out);
    out_ += r.produced;
    if (r.status == Status::kBadData) {
      failed_ = r.status;
      error_ = "invalid compressed data";
    }
    return r;
  }

  if (stage_ == kMemberDone) {
    // zlib holds one stream; gzip goes on with the next member when bytes follow.
    if (!gzip || in.empty()) return codec_result(Status::kOk, 0, 0, true);
    d_->reset();
    parser_.reset();
    trailer_have_ = 0;
    check_ = 0;
    out_ = 0;
    stage_ = kHeader;
  }

  if (stage_ == kHeader) {
    if (gzip) {
      in_pos = parser_.feed(in);
      if (parser_.state() == GzipHeaderParser::State::kBad)
        return fail(Status::kBadData, parser_.error());
      if (parser_.state() == GzipHeaderParser::State::kNeedMore)
        return codec_result(Status::kOk, in_pos, 0);
    } else {
      // The two header bytes gather in trailer_, which is idle until the body ends.
      const size_t n = std::min(kZlibHeaderSize - trailer_have_, in.size());
      std::memcpy(trailer_.data() + trailer_have_, in.data(), n);
      trailer_have_ += n;
      in_pos = n;
      if (trailer_have_ < kZlibHeaderSize) return codec_result(Status::kOk, in_pos, 0);
      if (const char* why = zlib_header_error(trailer_[0], trailer_[1]))
        return fail(Status::kBadData, why);
      if (zlib_header_has_dict(trailer_[1]))
        return fail(Status::kUnsupported, "dictionary required");
      trailer_have_ = 0;
    }
    stage_ = kBody;
  }

  if (stage_ == kBody) {
    CodecResult r = d_->stream(in.subspan(in_pos), out);
    in_pos += r.consumed;
    out_pos = r.produced;
    const ByteSpan made = ByteSpan(out.data(), r.produced);
    check_ = gzip ? crc32(check_, made) : adler32(check_, made);
    out_ += r.produced;
    if (r.status == Status::kBadData) return fail(Status::kBadData, "invalid deflate data");
    if (r.status != Status::kOk || !r.end) return codec_result(r.status, in_pos, out_pos);
    stage_ = kTrailer;
  }

  // stage_ == kTrailer
  const size_t need = gzip ? kGzipTrailerSize : kZlibTrailerSize;
  const size_t n = std::min(need - trailer_have_, in.size() - in_pos);
  std::memcpy(trailer_.data() + trailer_have_, in.data() + in_pos, n);
  trailer_have_ += n;
  in_pos += n;
  if (trailer_have_ < need) return codec_result(Status::kOk, in_pos, out_pos);
  if (gzip) {
    if (get_le32(trailer_.data()) != check_) return fail(Status::kBadData, "crc error");
    if (get_le32(trailer_.data() + 4) != static_cast<uint32_t>(out_))
      return fail(Status::kBadData, "length error");
  } else if (get_be32(trailer_.data()) != check_) {
    return fail(Status::kBadData, "adler32 error");
  }
  stage_ = kMemberDone;
  return codec_result(Status::kOk, in_pos, out_pos, true);
}

}  // namespace accz
