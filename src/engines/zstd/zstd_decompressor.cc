#include <zstd.h>
#include <zstd_errors.h>

#include <memory>

#include "engines/engine_util.h"
#include "engines/zstd/zstd_codec.h"

namespace accz {
namespace {

class ZstdDecompressor final : public Decompressor {
 public:
  ZstdDecompressor() : dctx_(ZSTD_createDCtx()) {}
  ~ZstdDecompressor() override { ZSTD_freeDCtx(dctx_); }
  bool ok() const { return dctx_ != nullptr; }

  CodecResult decompress(ByteSpan in, MutableByteSpan out) override {
    reset();
    dirty_ = true;
    // Only the first frame is ours: bytes after it stay with the caller.
    size_t frame = ZSTD_findFrameCompressedSize(in.data(), in.size());
    if (ZSTD_isError(frame)) return codec_result(Status::kBadData);
    size_t n = ZSTD_decompressDCtx(dctx_, out.data(), out.size(), in.data(), frame);
    if (ZSTD_isError(n)) {
      return codec_result(ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall
                              ? Status::kOutputOverflow
                              : Status::kBadData);
    }
    return codec_result(Status::kOk, frame, n, true);
  }

  CodecResult stream(ByteSpan in, MutableByteSpan out) override {
    if (dirty_) reset();
    if (finished_) return codec_result(Status::kOk, 0, 0, true);
    if (failed_) return codec_result(Status::kBadData);
    ZSTD_inBuffer src{in.data(), in.size(), 0};
    ZSTD_outBuffer dst{out.data(), out.size(), 0};
    for (;;) {
      const size_t in_before = src.pos, out_before = dst.pos;
      size_t hint = ZSTD_decompressStream(dctx_, &dst, &src);
      if (ZSTD_isError(hint)) {
        failed_ = true;
        return codec_result(Status::kBadData, src.pos, dst.pos);
      }
      if (hint == 0) {  // a frame is complete and flushed; zstd stops reading at its end
        finished_ = true;
        return codec_result(Status::kOk, src.pos, dst.pos, true);
      }
      if (src.pos == in_before && dst.pos == out_before) break;
      if (src.pos == src.size && dst.pos == dst.size) break;
    }
    const bool out_full = !out.empty() && dst.pos == dst.size;
    return codec_result(src.pos < src.size || out_full ? Status::kOutputOverflow : Status::kOk,
                        src.pos, dst.pos);
  }

  Status set_dictionary(ByteSpan) override { return Status::kUnsupported; }

  void reset() override {
    ZSTD_DCtx_reset(dctx_, ZSTD_reset_session_only);
    finished_ = failed_ = dirty_ = false;
  }

 private:
  ZSTD_DCtx* dctx_;
  bool finished_ = false, failed_ = false;
  bool dirty_ = false;  // decompress() used the context: reset before streaming
};

}  // namespace

std::unique_ptr<Decompressor> make_zstd_decompressor() {
  auto d = std::make_unique<ZstdDecompressor>();
  if (!d->ok()) return nullptr;
  return d;
}

}  // namespace accz
