// zlib raw deflate through the ZlibApi table.
#include <algorithm>
#include <cstring>
#include <memory>

#include "engines/engine_util.h"
#include "engines/zlib/zlib_codec.h"

namespace accz {
namespace {

// zlib refuses a null next_out even with no room to write; an empty span may have one.
inline Bytef* out_ptr(MutableByteSpan out, size_t pos) {
  static Bytef no_room;
  return out.data() ? out.data() + pos : &no_room;
}

constexpr int kRawWindowBits = -15;
constexpr int kMemLevel = 8;  // zlib's default: what deflateBound's tight bound assumes

int zlib_flush(Flush f) {
  switch (f) {
    case Flush::kSync:
      return Z_SYNC_FLUSH;
    case Flush::kFull:
      return Z_FULL_FLUSH;
    case Flush::kFinish:
      return Z_FINISH;
    default:
      return Z_NO_FLUSH;
  }
}

class ZlibCompressor final : public Compressor {
 public:
  ZlibCompressor(const ZlibApi& api) : api_(api) {}
  ~ZlibCompressor() override {
    if (ready_) api_.deflateEnd(&strm_);
  }

  bool init(int level) {
    ready_ =
        api_.deflateInit2_(&strm_, level, Z_DEFLATED, kRawWindowBits, kMemLevel, Z_DEFAULT_STRATEGY,
                           ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) == Z_OK;
    return ready_;
  }

  CodecResult compress(ByteSpan in, MutableByteSpan out) override {
    reset();
    CodecResult r = run(in, out, Flush::kFinish);
    dirty_ = true;
    if (r.status == Status::kOk && !r.end) r.status = Status::kOutputOverflow;
    if (r.status == Status::kOutputOverflow) r.consumed = 0;  // the stream is abandoned
    return r;
  }

  CodecResult stream(ByteSpan in, MutableByteSpan out, Flush flush) override {
    if (dirty_) reset();
    return run(in, out, flush);
  }

  Status set_dictionary(ByteSpan dict) override {
    if (dirty_) reset();
    // zlib keeps only the last window's worth itself for raw streams.
    int ret =
        api_.deflateSetDictionary(&strm_, dict.data(), static_cast<uInt>(clamp_u32(dict.size())));
    return ret == Z_OK ? Status::kOk : Status::kUnsupported;
  }

  void reset() override {
    api_.deflateReset(&strm_);
    finished_ = false;
    dirty_ = false;
    stage_pos_ = stage_len_ = 0;
    stage_flush_done_ = false;
  }

  size_t bound(size_t in_len) const override {
    if (in_len > UINT32_MAX) return in_len + (in_len >> 12) + (in_len >> 14) + 64;
    return api_.deflateBound(&strm_, static_cast<uLong>(in_len));
  }

 private:
  CodecResult run(ByteSpan in, MutableByteSpan out, Flush flush) {
    size_t out_pos = 0;
    if (!drain_stage(out, &out_pos)) return codec_result(Status::kOutputOverflow, 0, out_pos);
    if (stage_flush_done_) {
      // The last call completed this flush inside the stage; its bytes are now all out.
      stage_flush_done_ = false;
      if (in.empty() && flush == stage_flush_)
        return codec_result(Status::kOk, 0, out_pos, finished_);
    }
    if (finished_) {
      return in.empty() ? codec_result(Status::kOk, 0, out_pos, true)
                        : codec_result(Status::kUnsupported, 0, out_pos);  // ended: reset()
    }
    if (out.size() - out_pos < kStageSize) return run_staged(in, out, out_pos, flush);

    size_t in_pos = 0;
    int ret = Z_OK;
    for (;;) {
      const size_t in_chunk = clamp_u32(in.size() - in_pos);
      const size_t out_chunk = clamp_u32(out.size() - out_pos);
      const bool last_piece = in_pos + in_chunk == in.size();
      strm_.next_in = const_cast<Bytef*>(in.data() + in_pos);
      strm_.avail_in = static_cast<uInt>(in_chunk);
      strm_.next_out = out_ptr(out, out_pos);
      strm_.avail_out = static_cast<uInt>(out_chunk);
      ret = api_.deflate(&strm_, last_piece ? zlib_flush(flush) : Z_NO_FLUSH);
      in_pos += in_chunk - strm_.avail_in;
      out_pos += out_chunk - strm_.avail_out;
      if (ret == Z_STREAM_END) {
        finished_ = true;
        return codec_result(Status::kOk, in_pos, out_pos, true);
      }
      if (ret == Z_STREAM_ERROR) return codec_result(Status::kDeviceError, in_pos, out_pos);
      const bool more_in = strm_.avail_in == 0 && in_pos < in.size();
      const bool more_out = strm_.avail_out == 0 && out_pos < out.size();
      if (!more_in && !more_out) break;
    }
    // zlib's rule: a flush is complete once deflate returns with output space to spare.
    bool flush_done = flush == Flush::kNone || (flush != Flush::kFinish && strm_.avail_out > 0);
    return codec_result(stream_status(in.size() - in_pos, flush_done), in_pos, out_pos);
  }

  // Output space below kStageSize goes through the stage. Why: zlib only reports a flush
  // complete when it returns with space to spare, and a flush that exactly fills the output is
  // repeated (another empty stored block) on the next call — with one-byte outputs that never
  // ends. The stage always leaves zlib room to finish.
  CodecResult run_staged(ByteSpan in, MutableByteSpan out, size_t out_pos, Flush flush) {
    const size_t in_chunk = clamp_u32(in.size());
    const bool last_piece = in_chunk == in.size();
    strm_.next_in = const_cast<Bytef*>(in.data());
    strm_.avail_in = static_cast<uInt>(in_chunk);
    strm_.next_out = stage_;
    strm_.avail_out = kStageSize;
    int ret = api_.deflate(&strm_, last_piece ? zlib_flush(flush) : Z_NO_FLUSH);
    const size_t in_pos = in_chunk - strm_.avail_in;
    stage_pos_ = 0;
    stage_len_ = kStageSize - strm_.avail_out;
    if (ret == Z_STREAM_ERROR) return codec_result(Status::kDeviceError, in_pos, out_pos);
    if (ret == Z_STREAM_END) finished_ = true;
    const bool flush_done = ret == Z_STREAM_END || (flush != Flush::kNone &&
                                                    flush != Flush::kFinish && strm_.avail_out > 0);
    const bool all_out = drain_stage(out, &out_pos);
    if (in_pos < in.size()) return codec_result(Status::kOutputOverflow, in_pos, out_pos);
    if (flush == Flush::kNone) return codec_result(Status::kOk, in_pos, out_pos);
    if (flush_done && all_out) return codec_result(Status::kOk, in_pos, out_pos, finished_);
    if (flush_done) {
      stage_flush_done_ = true;
      stage_flush_ = flush;
    }
    return codec_result(Status::kOutputOverflow, in_pos, out_pos);
  }

  // Copies staged output to out; true when the stage is empty.
  bool drain_stage(MutableByteSpan out, size_t* out_pos) {
    const size_t n = std::min(stage_len_ - stage_pos_, out.size() - *out_pos);
    if (n) std::memcpy(out.data() + *out_pos, stage_ + stage_pos_, n);
    stage_pos_ += n;
    *out_pos += n;
    return stage_pos_ == stage_len_;
  }

  static constexpr size_t kStageSize = 64;

  ZlibApi api_;  // copied: the stream must end in the zlib that began it
  mutable z_stream strm_{};
  bool ready_ = false;
  bool finished_ = false;
  bool dirty_ = false;
  uint8_t stage_[kStageSize];
  size_t stage_pos_ = 0, stage_len_ = 0;
  bool stage_flush_done_ = false;  // the flush below finished; the stage still holds output
  Flush stage_flush_ = Flush::kNone;
};

}  // namespace

std::unique_ptr<Compressor> make_zlib_compressor(const ZlibApi& api, int level) {
  auto c = std::make_unique<ZlibCompressor>(api);
  if (!c->init(level)) return nullptr;
  return c;
}

}  // namespace accz
