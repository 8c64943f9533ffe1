#include "engines/lz4/lz4_engine.h"

#include <lz4.h>

#include <array>

#include "engines/engine_util.h"
#include "engines/lz4/lz4_codec.h"

namespace accz {
namespace {

constexpr std::array<Framing, 2> kFramings = {Framing::kLz4Block, Framing::kLz4Frame};

class Lz4Engine final : public Engine {
 public:
  Lz4Engine() {
    caps_.name = "lz4";
    caps_.algorithm = Algorithm::kLz4;
    caps_.framings = kFramings;
    caps_.min_level = 1;
    caps_.max_level = 12;
    caps_.default_level = 1;
    caps_.stream_compress = true;    // kLz4Frame only
    caps_.stream_decompress = true;  // kLz4Frame only
    caps_.flush_mask = kAllFlushes;
    caps_.dictionary = false;
    caps_.max_input = LZ4_MAX_INPUT_SIZE;  // a block's limit; frames have none
  }
  const EngineCaps& caps() const override { return caps_; }

  std::unique_ptr<Compressor> compressor(int level, Framing framing) const override {
    if (level < caps_.min_level || level > caps_.max_level) return nullptr;
    if (framing == Framing::kLz4Block) return make_lz4_block_compressor(level);
    if (framing == Framing::kLz4Frame) return make_lz4_frame_compressor(level);
    return nullptr;
  }
  std::unique_ptr<Decompressor> decompressor(Framing framing) const override {
    if (framing == Framing::kLz4Block) return make_lz4_block_decompressor();
    if (framing == Framing::kLz4Frame) return make_lz4_frame_decompressor();
    return nullptr;
  }

 private:
  EngineCaps caps_;
};

}  // namespace

const Engine& lz4_engine() {
  static const Lz4Engine engine;
  return engine;
}

}  // namespace accz
