// LZ4 frame compression over one LZ4F context kept for the object's life.
//
// LZ4F insists on output room for a worst-case block before it compresses anything, which a
// caller with a small output buffer cannot give; such output goes through a staging buffer
// sized once for the worst case of one block and is handed out across calls.
//
// Input is gathered into whole 64 KiB blocks here rather than in LZ4F: LZ4F's own input
// buffer is freed and reallocated for every frame, while with autoFlush it keeps none, and
// each LZ4F_compressUpdate call then writes exactly one block.
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
  p.autoFlush = 1;  // every update is one whole block: we do the gathering
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
    acc_.reset(new (std::nothrow) uint8_t[kPiece]);
    return stage_ != nullptr && acc_ != nullptr;
  }

  CodecResult compress(ByteSpan in, MutableByteSpan out) override {
    // The streaming path with the frame's size filled in. LZ4F_compressFrame would be a
    // little more direct, but it sizes the context's buffers differently from streaming,
    // and switching between the two reallocates them on every call.
    reset();
    LZ4F_preferences_t p = prefs_;
    p.frameInfo.contentSize = in.size();  // lets a reader size its buffer up front
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
    acc_len_ = 0;
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
    Status status = Status::kOk;
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
      const uint8_t* block = nullptr;
      size_t block_len = 0;
      if (acc_len_ == 0 && in.size() - in_pos >= kPiece) {
        block = in.data() + in_pos;  // a whole block straight from the caller
        block_len = kPiece;
        in_pos += kPiece;
      } else {
        const size_t n = std::min(kPiece - acc_len_, in.size() - in_pos);
        std::memcpy(acc_.get() + acc_len_, in.data() + in_pos, n);
        acc_len_ += n;
        in_pos += n;
        if (acc_len_ < kPiece) break;
        block = acc_.get();
        block_len = kPiece;
        acc_len_ = 0;
      }
      if (!write_block(block, block_len, out, &out_pos, &status))
        return codec_result(status, in_pos, out_pos);
    }
    if (flush == Flush::kNone) return codec_result(Status::kOk, in_pos, out_pos);
    if (acc_len_ > 0) {  // a flush ends the block in progress
      const size_t n = acc_len_;
      acc_len_ = 0;
      if (!write_block(acc_.get(), n, out, &out_pos, &status))
        return codec_result(status, in_pos, out_pos);
    }
    if (flush != Flush::kFinish) return codec_result(Status::kOk, in_pos, out_pos);
    uint8_t* dst = target(out, out_pos, LZ4F_compressBound(0, &prefs_), &cap, &staged);
    size_t n = LZ4F_compressEnd(cctx_, dst, cap, nullptr);
    if (LZ4F_isError(n)) return codec_result(Status::kDeviceError, in_pos, out_pos);
    phase_ = Phase::kEnded;
    if (!emit(n, staged, out, &out_pos))
      return codec_result(Status::kOutputOverflow, in_pos, out_pos);
    return codec_result(Status::kOk, in_pos, out_pos, true);
  }

  // Compresses one block; false with *status set if its output could not all be handed out
  // (kOutputOverflow: the rest is staged) or LZ4F failed.
  bool write_block(const uint8_t* src, size_t len, MutableByteSpan out, size_t* out_pos,
                   Status* status) {
    size_t cap = 0;
    bool staged = false;
    uint8_t* dst = target(out, *out_pos, LZ4F_compressBound(len, &prefs_), &cap, &staged);
    size_t n = LZ4F_compressUpdate(cctx_, dst, cap, src, len, nullptr);
    if (LZ4F_isError(n)) {
      *status = Status::kDeviceError;
      return false;
    }
    if (!emit(n, staged, out, out_pos)) {
      *status = Status::kOutputOverflow;
      return false;
    }
    return true;
  }

  LZ4F_preferences_t prefs_;
  LZ4F_cctx* cctx_ = nullptr;
  std::unique_ptr<uint8_t[]> stage_;
  size_t stage_cap_ = 0, stage_pos_ = 0, stage_len_ = 0;
  std::unique_ptr<uint8_t[]> acc_;  // input gathered towards the next whole block
  size_t acc_len_ = 0;
  Phase phase_ = Phase::kIdle;
};

}  // namespace

std::unique_ptr<Compressor> make_lz4_frame_compressor(int level) {
  auto c = std::make_unique<Lz4FrameCompressor>(level);
  if (!c->init()) return nullptr;
  return c;
}

}  // namespace accz
