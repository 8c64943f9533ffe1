// zlib raw inflate through the ZlibApi table.
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

class ZlibDecompressor final : public Decompressor {
 public:
  explicit ZlibDecompressor(const ZlibApi& api) : api_(api) {}
  ~ZlibDecompressor() override {
    if (ready_) api_.inflateEnd(&strm_);
  }

  bool init() {
    ready_ =
        api_.inflateInit2_(&strm_, -15, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) == Z_OK;
    return ready_;
  }

  CodecResult decompress(ByteSpan in, MutableByteSpan out) override {
    reset();
    CodecResult r = run(in, out);
    dirty_ = true;
    return finish_one_shot_decode(r, out.size());
  }

  CodecResult stream(ByteSpan in, MutableByteSpan out) override {
    if (dirty_) reset();
    return run(in, out);
  }

  Status set_dictionary(ByteSpan dict) override {
    if (dirty_) reset();
    int ret =
        api_.inflateSetDictionary(&strm_, dict.data(), static_cast<uInt>(clamp_u32(dict.size())));
    return ret == Z_OK ? Status::kOk : Status::kUnsupported;
  }

  void reset() override {
    api_.inflateReset(&strm_);
    finished_ = false;
    failed_ = false;
    dirty_ = false;
  }

 private:
  CodecResult run(ByteSpan in, MutableByteSpan out) {
    if (finished_) return codec_result(Status::kOk, 0, 0, true);
    if (failed_) return codec_result(Status::kBadData);
    size_t in_pos = 0, out_pos = 0;
    for (;;) {
      const size_t in_chunk = clamp_u32(in.size() - in_pos);
      const size_t out_chunk = clamp_u32(out.size() - out_pos);
      strm_.next_in = const_cast<Bytef*>(in.data() + in_pos);
      strm_.avail_in = static_cast<uInt>(in_chunk);
      strm_.next_out = out_ptr(out, out_pos);
      strm_.avail_out = static_cast<uInt>(out_chunk);
      int ret = api_.inflate(&strm_, Z_NO_FLUSH);
      in_pos += in_chunk - strm_.avail_in;
      out_pos += out_chunk - strm_.avail_out;
      if (ret == Z_STREAM_END) {
        finished_ = true;
        return codec_result(Status::kOk, in_pos, out_pos, true);
      }
      if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_STREAM_ERROR) {
        failed_ = true;
        return codec_result(Status::kBadData, in_pos, out_pos);
      }
      if (ret == Z_MEM_ERROR) return codec_result(Status::kDeviceError, in_pos, out_pos);
      // Z_OK or Z_BUF_ERROR (no progress possible): go on only across a 32-bit piece boundary.
      const bool more_in = strm_.avail_in == 0 && in_pos < in.size();
      const bool more_out = strm_.avail_out == 0 && out_pos < out.size();
      if (!more_in && !more_out) break;
    }
    const bool out_full = !out.empty() && out_pos == out.size();
    return codec_result(in_pos < in.size() || out_full ? Status::kOutputOverflow : Status::kOk,
                        in_pos, out_pos);
  }

  ZlibApi api_;  // copied: the stream must end in the zlib that began it
  z_stream strm_{};
  bool ready_ = false;
  bool finished_ = false;
  bool failed_ = false;
  bool dirty_ = false;
};

}  // namespace

std::unique_ptr<Decompressor> make_zlib_decompressor(const ZlibApi& api) {
  auto d = std::make_unique<ZlibDecompressor>(api);
  if (!d->init()) return nullptr;
  return d;
}

}  // namespace accz
