#include <zstd.h>
#include <zstd_errors.h>

#include <memory>

#include "engines/engine_util.h"
#include "engines/zstd/zstd_codec.h"

namespace accz {
namespace {

class ZstdCompressor final : public Compressor {
 public:
  explicit ZstdCompressor(int level) : level_(level), cctx_(ZSTD_createCCtx()) {}
  ~ZstdCompressor() override { ZSTD_freeCCtx(cctx_); }

  bool init() {
    if (cctx_ == nullptr) return false;
    return !ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level_)) &&
           !ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1));
  }

  CodecResult compress(ByteSpan in, MutableByteSpan out) override {
    reset();
    size_t n = ZSTD_compress2(cctx_, out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(n)) {
      return codec_result(ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall
                              ? Status::kOutputOverflow
                              : Status::kDeviceError);
    }
    return codec_result(Status::kOk, in.size(), n, true);
  }

  CodecResult stream(ByteSpan in, MutableByteSpan out, Flush flush) override {
    if (flush == Flush::kFull) return codec_result(Status::kUnsupported);
    if (finished_) {
      return in.empty() ? codec_result(Status::kOk, 0, 0, true)
                        : codec_result(Status::kUnsupported);  // the frame ended: reset()
    }
    const ZSTD_EndDirective op = flush == Flush::kFinish ? ZSTD_e_end
                                 : flush == Flush::kSync ? ZSTD_e_flush
                                                         : ZSTD_e_continue;
    ZSTD_inBuffer src{in.data(), in.size(), 0};
    ZSTD_outBuffer dst{out.data(), out.size(), 0};
    size_t left = 0;
    for (;;) {
      const size_t in_before = src.pos, out_before = dst.pos;
      left = ZSTD_compressStream2(cctx_, &dst, &src, op);
      if (ZSTD_isError(left)) return codec_result(Status::kDeviceError, src.pos, dst.pos);
      if (op != ZSTD_e_continue && left == 0 && src.pos == src.size) break;  // flushed
      if (op == ZSTD_e_continue && src.pos == src.size) break;
      if (dst.pos == dst.size) break;
      if (src.pos == in_before && dst.pos == out_before) break;
    }
    if (op == ZSTD_e_end && left == 0 && src.pos == src.size) {
      finished_ = true;
      return codec_result(Status::kOk, src.pos, dst.pos, true);
    }
    const bool flush_done = op == ZSTD_e_continue || (left == 0 && op == ZSTD_e_flush);
    return codec_result(stream_status(src.size - src.pos, flush_done), src.pos, dst.pos);
  }

  Status set_dictionary(ByteSpan) override { return Status::kUnsupported; }

  void reset() override {
    ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_only);  // keeps level and checksum setting
    finished_ = false;
  }

  size_t bound(size_t in_len) const override { return ZSTD_compressBound(in_len); }

 private:
  int level_;
  ZSTD_CCtx* cctx_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<Compressor> make_zstd_compressor(int level) {
  auto c = std::make_unique<ZstdCompressor>(level);
  if (!c->init()) return nullptr;
  return c;
}

}  // namespace accz
