// LZ4 frame compression over one LZ4F context kept for the object's life.
//
// LZ4F insists on output room for a worst-case block before it compresses anything, which a
// caller with a small output buffer cannot give; such output goes through a staging buffer
// sized once for the worst case of one 64 KiB piece and is handed out across calls.
#define LZ4F_STATIC_LINKING_ONLY  // LZ4F_compressFrame_usingCDict: one-shot on our context
#include <lz4frame.h>

#include <cstring>
#include <memory>

#include "engines/engine_util.h"
#include "engines/lz4/lz4_codec.h"

namespace accz {
namespace {

constexpr size_t kPiece = 64 * 1024;  // input fed to LZ4F per call: the block size

LZ4F_preferences_t frame_preferences(int level) {
  LZ4F_preferences_t p;
  std::memset(&p, 0, sizeof(p));
  p.frameInfo.blockSizeID = LZ4F_max64KB;
  p.frameInfo.blockMode = LZ4F_blockIndependent;
  p.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  p.compressionLevel = level;
  return p;
}

class Lz4FrameCompressor final : public Compressor {
 public:
  explicit Lz4FrameCompressor(int level) : prefs_(frame_preferences(level)) {}
  ~Lz4FrameCompressor() override { LZ4F_freeCompressionContext(cctx_); }

  bool init() {
    if (LZ4F_isError(LZ4F_createCompressionContext(&cctx_, LZ4F_VERSION))) return false;
    stage_cap_ = LZ4F_compressBound(kPiece, &prefs_);
    if (stage_cap_ < LZ4F_HEADER_SIZE_MAX) stage_cap_ = LZ4F_HEADER_SIZE_MAX;
    stage_.reset(new (std::nothrow) uint8_t[stage_cap_]);
    return stage_ != nullptr;
  }

  CodecResult compress(ByteSpan in, MutableByteSpan out) override {
    reset();
    LZ4F_preferences_t p = prefs_;
    p.frameInfo.contentSize = in.size();  // lets a reader size its buffer up front
    if (out.size() >= LZ4F_compressFrameBound(in.size(), &p)) {
      size_t n = LZ4F_compressFrame_usingCDict(cctx_, out.data(), out.size(), in.data(), in.size(),
                                               nullptr, &p);
      if (LZ4F_isError(n)) return codec_result(Status::kDeviceError);
      return codec_result(Status::kOk, in.size(), n, true);
    }
    CodecResult r = run(in, out, Flush::kFinish, &p);
    reset();
    if (r.status == Status::kOutputOverflow) r.consumed = 0;
    return r;
  }

  CodecResult stream(ByteSpan in, MutableByteSpan out, Flush flush) override {
    return run(in, out, flush, &prefs_);
  }

  Status set_dictionary(ByteSpan) override { return Status::kUnsupported; }

  void reset() override {
    // A frame left half-written is abandoned: compressBegin starts the context afresh.
    phase_ = Phase::kIdle;
    stage_pos_ = stage_len_ = 0;
  }

  size_t bound(size_t in_len) const override {
    LZ4F_preferences_t p = prefs_;
    p.frameInfo.contentSize = in_len;
    return LZ4F_compressFrameBound(in_len, &p);
  }

 private:
  enum class Phase { kIdle, kBody, kEnded };

  // Copies staged bytes to out; true when nothing is left staged.
  bool drain(MutableByteSpan out, size_t* out_pos) {
    size_t n = std::min(stage_len_ - stage_pos_, out.size() - *out_pos);
    if (n) std::memcpy(out.data() + *out_pos, stage_.get() + stage_pos_, n);
    stage_pos_ += n;
    *out_pos += n;
    return stage_pos_ == stage_len_;
  }

  // Where LZ4F should write a result of at most `need` bytes: straight into out when it fits.
  uint8_t* target(MutableByteSpan out, size_t out_pos, size_t need, size_t* cap, bool* staged) {
    *staged = out.size() - out_pos < need;
    if (*staged) {
      *cap = stage_cap_;
      return stage_.get();
    }
    *cap = out.size() - out_pos;
    return out.data() + out_pos;
  }

  // Records a result written by LZ4F at `dst`; false if staged bytes remain undelivered.
  bool emit(size_t n, bool staged, MutableByteSpan out, size_t* out_pos) {
    if (!staged) {
      *out_pos += n;
      return true;
    }
    stage_pos_ = 0;
    stage_len_ = n;
    return drain(out, out_pos);
  }

  CodecResult run(ByteSpan in, MutableByteSpan out, Flush flush, const LZ4F_preferences_t* p) {
    size_t in_pos = 0, out_pos = 0, cap = 0;
    bool staged = false;
    if (!drain(out, &out_pos)) return codec_result(Status::kOutputOverflow, 0, out_pos);
    if (phase_ == Phase::kEnded) {
      return in.empty() ? codec_result(Status::kOk, 0, out_pos, true)
                        : codec_result(Status::kUnsupported, 0, out_pos);  // reset() first
    }
    if (phase_ == Phase::kIdle) {
      uint8_t* dst = target(out, out_pos, LZ4F_HEADER_SIZE_MAX, &cap, &staged);
      size_t n = LZ4F_compressBegin(cctx_, dst, cap, p);
      if (LZ4F_isError(n)) return codec_result(Status::kDeviceError, 0, out_pos);
      phase_ = Phase::kBody;
      if (!emit(n, staged, out, &out_pos)) return codec_result(Status::kOutputOverflow, 0, out_pos);
    }
    while (in_pos < in.size()) {
      const size_t piece = std::min(kPiece, in.size() - in_pos);
      uint8_t* dst = target(out, out_pos, LZ4F_compressBound(piece, &prefs_), &cap, &staged);
      size_t n = LZ4F_compressUpdate(cctx_, dst, cap, in.data() + in_pos, piece, nullptr);
      if (LZ4F_isError(n)) return codec_result(Status::kDeviceError, in_pos, out_pos);
      in_pos += piece;
      if (!emit(n, staged, out, &out_pos))
        return codec_result(Status::kOutputOverflow, in_pos, out_pos);
    }
    if (flush == Flush::kNone) return codec_result(Status::kOk, in_pos, out_pos);
    uint8_t* dst = target(out, out_pos, LZ4F_compressBound(0, &prefs_), &cap, &staged);
    size_t n = flush == Flush::kFinish ? LZ4F_compressEnd(cctx_, dst, cap, nullptr)
                                       : LZ4F_flush(cctx_, dst, cap, nullptr);
    if (LZ4F_isError(n)) return codec_result(Status::kDeviceError, in_pos, out_pos);
    if (flush == Flush::kFinish) phase_ = Phase::kEnded;
    if (!emit(n, staged, out, &out_pos))
      return codec_result(Status::kOutputOverflow, in_pos, out_pos);
    return codec_result(Status::kOk, in_pos, out_pos, flush == Flush::kFinish);
  }

  LZ4F_preferences_t prefs_;
  LZ4F_cctx* cctx_ = nullptr;
  std::unique_ptr<uint8_t[]> stage_;
  size_t stage_cap_ = 0, stage_pos_ = 0, stage_len_ = 0;
  Phase phase_ = Phase::kIdle;
};

}  // namespace

std::unique_ptr<Compressor> make_lz4_frame_compressor(int level) {
  auto c = std::make_unique<Lz4FrameCompressor>(level);
  if (!c->init()) return nullptr;
  return c;
}

}  // namespace accz
