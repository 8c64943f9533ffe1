#include "engines/zstd/zstd_engine.h"

#include <array>

#include "engines/engine_util.h"
#include "engines/zstd/zstd_codec.h"

namespace accz {
namespace {

constexpr std::array<Framing, 1> kFramings = {Framing::kZstdFrame};

class ZstdEngine final : public Engine {
 public:
  ZstdEngine() {
    caps_.name = "zstd";
    caps_.algorithm = Algorithm::kZstd;
    caps_.framings = kFramings;
    caps_.min_level = 1;
    caps_.max_level = 19;  // 20–22 ("ultra") need windows too large for a serving path
    caps_.default_level = 3;
    caps_.stream_compress = true;
    caps_.stream_decompress = true;
    caps_.flush_mask =
        flush_bit(Flush::kNone) | flush_bit(Flush::kSync) | flush_bit(Flush::kFinish);
    caps_.dictionary = false;
    caps_.max_input = 0;
  }
  const EngineCaps& caps() const override { return caps_; }

  std::unique_ptr<Compressor> compressor(int level, Framing framing) const override {
    if (framing != Framing::kZstdFrame || level < caps_.min_level || level > caps_.max_level)
      return nullptr;
    return make_zstd_compressor(level);
  }
  std::unique_ptr<Decompressor> decompressor(Framing framing) const override {
    if (framing != Framing::kZstdFrame) return nullptr;
    return make_zstd_decompressor();
  }

 private:
  EngineCaps caps_;
};

}  // namespace

const Engine& zstd_engine() {
  static const ZstdEngine engine;
  return engine;
}

}  // namespace accz
