// libdeflate adapter. Each Compressor owns one libdeflate_compressor made for its level and
// each Decompressor one libdeflate_decompressor, so calls never allocate.
#include "engines/libdeflate/libdeflate_engine.h"

#include <libdeflate.h>

#include <array>
#include <memory>

#include "engines/engine_util.h"

namespace accz {
namespace {

constexpr std::array<Framing, 1> kFramings = {Framing::kRaw};

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

class LibdeflateCompressor final : public Compressor {
 public:
  explicit LibdeflateCompressor(libdeflate_compressor* c) : c_(c) {}

  CodecResult compress(ByteSpan in, MutableByteSpan out) override {
    size_t n = libdeflate_deflate_compress(c_.get(), in.data(), in.size(), out.data(), out.size());
    if (n == 0) return codec_result(Status::kOutputOverflow);
    return codec_result(Status::kOk, in.size(), n, true);
  }
  CodecResult stream(ByteSpan, MutableByteSpan, Flush) override {
    return codec_result(Status::kUnsupported);
  }
  Status set_dictionary(ByteSpan) override { return Status::kUnsupported; }
  void reset() override {}
  size_t bound(size_t in_len) const override {
    return libdeflate_deflate_compress_bound(c_.get(), in_len);
  }

 private:
  std::unique_ptr<libdeflate_compressor, CompressorDeleter> c_;
};

class LibdeflateDecompressor final : public Decompressor {
 public:
  explicit LibdeflateDecompressor(libdeflate_decompressor* d) : d_(d) {}

  CodecResult decompress(ByteSpan in, MutableByteSpan out) override {
    size_t in_used = 0, out_len = 0;
    libdeflate_result r = libdeflate_deflate_decompress_ex(
        d_.get(), in.data(), in.size(), out.data(), out.size(), &in_used, &out_len);
    switch (r) {
      case LIBDEFLATE_SUCCESS:
        return codec_result(Status::kOk, in_used, out_len, true);
      case LIBDEFLATE_INSUFFICIENT_SPACE:
        return codec_result(Status::kOutputOverflow);
      default:
        return codec_result(Status::kBadData);
    }
  }
  CodecResult stream(ByteSpan, MutableByteSpan) override {
    return codec_result(Status::kUnsupported);
  }
  Status set_dictionary(ByteSpan) override { return Status::kUnsupported; }
  void reset() override {}

 private:
  std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> d_;
};

class LibdeflateEngine final : public Engine {
 public:
  LibdeflateEngine() {
    caps_.name = "libdeflate";
    caps_.algorithm = Algorithm::kDeflate;
    caps_.framings = kFramings;
    caps_.min_level = 0;
    caps_.max_level = 12;
    caps_.default_level = 6;
    caps_.stream_compress = false;
    caps_.stream_decompress = false;
    caps_.flush_mask = 0;
    caps_.dictionary = false;
    caps_.max_input = 0;
  }
  const EngineCaps& caps() const override { return caps_; }

  std::unique_ptr<Compressor> compressor(int level, Framing framing) const override {
    if (framing != Framing::kRaw || level < caps_.min_level || level > caps_.max_level)
      return nullptr;
    libdeflate_compressor* c = libdeflate_alloc_compressor(level);
    if (c == nullptr) return nullptr;
    return std::make_unique<LibdeflateCompressor>(c);
  }
  std::unique_ptr<Decompressor> decompressor(Framing framing) const override {
    if (framing != Framing::kRaw) return nullptr;
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    if (d == nullptr) return nullptr;
    return std::make_unique<LibdeflateDecompressor>(d);
  }

 private:
  EngineCaps caps_;
};

}  // namespace

const Engine& libdeflate_engine() {
  static const LibdeflateEngine engine;
  return engine;
}

}  // namespace accz
