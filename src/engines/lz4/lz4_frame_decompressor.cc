// LZ4 frame decompression over one LZ4F context kept for the object's life. LZ4F stops at
// the end of a frame, so bytes after it stay with the caller.
#include <lz4frame.h>

#include <memory>

#include "engines/engine_util.h"
#include "engines/lz4/lz4_codec.h"

namespace accz {
namespace {

class Lz4FrameDecompressor final : public Decompressor {
 public:
  ~Lz4FrameDecompressor() override { LZ4F_freeDecompressionContext(dctx_); }

  bool init() { return !LZ4F_isError(LZ4F_createDecompressionContext(&dctx_, LZ4F_VERSION)); }

  CodecResult decompress(ByteSpan in, MutableByteSpan out) override {
    reset();
    CodecResult r = run(in, out, /*stable_dst=*/true);
    dirty_ = true;
    return finish_one_shot_decode(r, out.size());
  }

  CodecResult stream(ByteSpan in, MutableByteSpan out) override {
    if (dirty_) reset();
    return run(in, out, /*stable_dst=*/false);
  }

  Status set_dictionary(ByteSpan) override { return Status::kUnsupported; }

  void reset() override {
    LZ4F_resetDecompressionContext(dctx_);
    finished_ = failed_ = dirty_ = false;
  }

 private:
  CodecResult run(ByteSpan in, MutableByteSpan out, bool stable_dst) {
    if (finished_) return codec_result(Status::kOk, 0, 0, true);
    if (failed_) return codec_result(Status::kBadData);
    LZ4F_decompressOptions_t opts{};
    opts.stableDst = stable_dst ? 1 : 0;  // one-shot: the whole output stays put
    size_t in_pos = 0, out_pos = 0;
    for (;;) {
      size_t src_len = in.size() - in_pos;
      size_t dst_len = out.size() - out_pos;
      size_t hint = LZ4F_decompress(dctx_, out.data() + out_pos, &dst_len, in.data() + in_pos,
                                    &src_len, &opts);
      in_pos += src_len;
      out_pos += dst_len;
      if (LZ4F_isError(hint)) {
        failed_ = true;
        return codec_result(Status::kBadData, in_pos, out_pos);
      }
      if (hint == 0) {
        finished_ = true;
        return codec_result(Status::kOk, in_pos, out_pos, true);
      }
      if (src_len == 0 && dst_len == 0) break;  // no progress: out of input or of room
      if (in_pos == in.size() && out_pos == out.size()) break;
    }
    const bool out_full = !out.empty() && out_pos == out.size();
    return codec_result(in_pos < in.size() || out_full ? Status::kOutputOverflow : Status::kOk,
                        in_pos, out_pos);
  }

  LZ4F_dctx* dctx_ = nullptr;
  bool finished_ = false, failed_ = false, dirty_ = false;
};

}  // namespace

std::unique_ptr<Decompressor> make_lz4_frame_decompressor() {
  auto d = std::make_unique<Lz4FrameDecompressor>();
  if (!d->init()) return nullptr;
  return d;
}

}  // namespace accz
