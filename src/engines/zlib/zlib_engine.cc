#include "engines/zlib/zlib_engine.h"

#include <array>

#include "engines/engine_util.h"
#include "engines/zlib/zlib_codec.h"

namespace accz {
namespace {

constexpr std::array<Framing, 1> kFramings = {Framing::kRaw};

class ZlibEngine final : public Engine {
 public:
  ZlibEngine() {
    caps_.name = "zlib";
    caps_.algorithm = Algorithm::kDeflate;
    caps_.framings = kFramings;
    caps_.min_level = 0;
    caps_.max_level = 9;
    caps_.default_level = 6;
    caps_.stream_compress = true;
    caps_.stream_decompress = true;
    caps_.flush_mask = kAllFlushes;
    caps_.dictionary = true;
    caps_.max_input = 0;
  }
  const EngineCaps& caps() const override { return caps_; }

  std::unique_ptr<Compressor> compressor(int level, Framing framing) const override {
    if (framing != Framing::kRaw || level < caps_.min_level || level > caps_.max_level)
      return nullptr;
    return make_zlib_compressor(zlib_api(), level);
  }
  std::unique_ptr<Decompressor> decompressor(Framing framing) const override {
    if (framing != Framing::kRaw) return nullptr;
    return make_zlib_decompressor(zlib_api());
  }

 private:
  EngineCaps caps_;
};

}  // namespace

const Engine& zlib_engine() {
  static const ZlibEngine engine;
  return engine;
}

}  // namespace accz
