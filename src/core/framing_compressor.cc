// FramedCompressor: a zlib or gzip wrapper around a streaming raw deflate Compressor. The
// header and trailer are built in a buffer that keeps its capacity across members and handed
// out as the caller's output space allows, down to a byte per call.
#include <algorithm>
#include <cstring>

#include "accz/framing.h"
#include "core/framing_format.h"
#include "engines/engine_util.h"

namespace accz {
namespace {

enum Stage { kHeaderDue, kBody, kTrailerQueued, kDone };

}  // namespace

FramedCompressor::FramedCompressor(std::unique_ptr<Compressor> c, Framing f, int level,
                                   GzipHeader gz)
    : c_(std::move(c)), f_(f), level_(level), gz_(std::move(gz)) {
  pending_.reserve(f_ == Framing::kGzip ? gzip_header_size(gz_) + kGzipTrailerSize : 8);
  reset();
}

void FramedCompressor::reset() {
  c_->reset();
  pending_.clear();
  pending_pos_ = 0;
  check_ = f_ == Framing::kZlib ? 1 : 0;
  total_in_ = 0;
  stage_ = kHeaderDue;
}

CodecResult FramedCompressor::stream(ByteSpan in, MutableByteSpan out, Flush flush) {
  if (!is_deflate(f_)) {
    CodecResult r = c_->stream(in, out, flush);
    total_in_ += r.consumed;
    return r;
  }
  const bool gzip = f_ == Framing::kGzip;
  size_t out_pos = 0;
  auto drain = [&] {
    const size_t n = std::min(pending_.size() - pending_pos_, out.size() - out_pos);
    if (n) std::memcpy(out.data() + out_pos, pending_.data() + pending_pos_, n);
    pending_pos_ += n;
    out_pos += n;
    return pending_pos_ == pending_.size();
  };

  if (stage_ == kHeaderDue) {
    if (gzip) {
      pending_.resize(gzip_header_size(gz_));
      write_gzip_header(gz_, pending_.data());
    } else {
      const uint16_t h = zlib_header_value(level_, false);
      pending_.assign({static_cast<uint8_t>(h >> 8), static_cast<uint8_t>(h)});
    }
    pending_pos_ = 0;
    stage_ = kBody;
  }
  if (!drain()) return codec_result(Status::kOutputOverflow, 0, out_pos);

  if (stage_ == kDone) {
    return in.empty() ? codec_result(Status::kOk, 0, out_pos, true)
                      : codec_result(Status::kUnsupported, 0, out_pos);  // one member: reset()
  }
  size_t consumed = 0;
  if (stage_ == kBody) {
    CodecResult r = c_->stream(in, out.subspan(out_pos), flush);
    consumed = r.consumed;
    out_pos += r.produced;
    const ByteSpan taken = in.first(r.consumed);
    check_ = gzip ? crc32(check_, taken) : adler32(check_, taken);
    total_in_ += r.consumed;
    if (r.status != Status::kOk || !r.end) return codec_result(r.status, consumed, out_pos);
    if (gzip) {
      pending_.resize(kGzipTrailerSize);
      put_le32(pending_.data(), check_);
      put_le32(pending_.data() + 4, static_cast<uint32_t>(total_in_));
    } else {
      pending_.resize(kZlibTrailerSize);
      put_be32(pending_.data(), check_);
    }
    pending_pos_ = 0;
    stage_ = kTrailerQueued;
  }
  if (!drain()) return codec_result(Status::kOutputOverflow, consumed, out_pos);
  stage_ = kDone;
  return codec_result(Status::kOk, consumed, out_pos, true);
}

}  // namespace accz
