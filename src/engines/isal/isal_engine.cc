#include "engines/isal/isal_engine.h"

#include <array>

#include <isa-l.h>

#include "engines/engine_util.h"
#include "engines/isal/isal_codec.h"

namespace accz {
namespace {

constexpr std::array<Framing, 1> kFramings = {Framing::kRaw};

class IsalEngine final : public Engine {
 public:
  IsalEngine() {
    caps_.name = "isal";
    caps_.algorithm = Algorithm::kDeflate;
    caps_.framings = kFramings;
    caps_.min_level = ISAL_DEF_MIN_LEVEL;
    caps_.max_level = ISAL_DEF_MAX_LEVEL;
    caps_.default_level = 1;
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
    return make_isal_compressor(level);
  }
  std::unique_ptr<Decompressor> decompressor(Framing framing) const override {
    if (framing != Framing::kRaw) return nullptr;
    return make_isal_decompressor();
  }

 private:
  EngineCaps caps_;
};

}  // namespace

const Engine& isal_engine() {
  static const IsalEngine engine;
  return engine;
}

}  // namespace accz
