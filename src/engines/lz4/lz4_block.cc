// Bare lz4 blocks. The compression state is allocated once: level 1 uses
// LZ4_compress_fast_extState (what LZ4_compress_default does, minus its state setup), higher
// levels LZ4_compress_HC_extStateHC.
#include <lz4.h>
#include <lz4hc.h>

#include <memory>

#include "engines/engine_util.h"
#include "engines/lz4/lz4_codec.h"

namespace accz {
namespace {

// LZ4 HC dereferences its source even when it is empty; give it a real address.
const char* src_ptr(ByteSpan in) {
  static const char kEmpty = 0;
  return in.empty() ? &kEmpty : reinterpret_cast<const char*>(in.data());
}

class Lz4BlockCompressor final : public Compressor {
 public:
  explicit Lz4BlockCompressor(int level)
      : level_(level),
        state_(new (std::nothrow) char[level == 1 ? LZ4_sizeofState() : LZ4_sizeofStateHC()]) {}
  bool ok() const { return state_ != nullptr; }

  CodecResult compress(ByteSpan in, MutableByteSpan out) override {
    if (in.size() > LZ4_MAX_INPUT_SIZE) return codec_result(Status::kUnsupported);
    const char* src = src_ptr(in);
    char* dst = reinterpret_cast<char*>(out.data());
    const int src_len = static_cast<int>(in.size());
    const int dst_cap = static_cast<int>(clamp_int(out.size()));
    int n = level_ == 1
                ? LZ4_compress_fast_extState(state_.get(), src, dst, src_len, dst_cap, 1)
                : LZ4_compress_HC_extStateHC(state_.get(), src, dst, src_len, dst_cap, level_);
    if (n <= 0) return codec_result(Status::kOutputOverflow);
    return codec_result(Status::kOk, in.size(), static_cast<size_t>(n), true);
  }
  CodecResult stream(ByteSpan, MutableByteSpan, Flush) override {
    return codec_result(Status::kUnsupported);
  }
  Status set_dictionary(ByteSpan) override { return Status::kUnsupported; }
  void reset() override {}
  size_t bound(size_t in_len) const override {
    return in_len > LZ4_MAX_INPUT_SIZE
               ? in_len + in_len / 255 + 16
               : static_cast<size_t>(LZ4_compressBound(static_cast<int>(in_len)));
  }

 private:
  int level_;
  std::unique_ptr<char[]> state_;
};

class Lz4BlockDecompressor final : public Decompressor {
 public:
  CodecResult decompress(ByteSpan in, MutableByteSpan out) override {
    if (in.size() > INT_MAX) return codec_result(Status::kUnsupported);
    const char* src = src_ptr(in);
    char* dst = reinterpret_cast<char*>(out.data());
    const int src_len = static_cast<int>(in.size());
    const int dst_cap = static_cast<int>(clamp_int(out.size()));
    int n = LZ4_decompress_safe(src, dst, src_len, dst_cap);
    if (n >= 0) return codec_result(Status::kOk, in.size(), static_cast<size_t>(n), true);
    // A block has no end marker, so a short output and corrupt input fail alike. Decoding
    // just the first dst_cap bytes tells them apart: if that much decodes cleanly, the output
    // was too small.
    if (dst_cap > 0 && LZ4_decompress_safe_partial(src, dst, src_len, dst_cap, dst_cap) == dst_cap)
      return codec_result(Status::kOutputOverflow);
    return codec_result(Status::kBadData);
  }
  CodecResult stream(ByteSpan, MutableByteSpan) override {
    return codec_result(Status::kUnsupported);
  }
  Status set_dictionary(ByteSpan) override { return Status::kUnsupported; }
  void reset() override {}
};

}  // namespace

std::unique_ptr<Compressor> make_lz4_block_compressor(int level) {
  auto c = std::make_unique<Lz4BlockCompressor>(level);
  if (!c->ok()) return nullptr;
  return c;
}

std::unique_ptr<Decompressor> make_lz4_block_decompressor() {
  return std::make_unique<Lz4BlockDecompressor>();
}

}  // namespace accz
