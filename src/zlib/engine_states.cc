#include "zlib/engine_states.h"

namespace accz::zlib {
namespace {

struct EngineStates {
  libdeflate_compressor* compressors[13] = {};
  libdeflate_decompressor* decompressor = nullptr;

  EngineStates() = default;
  EngineStates(const EngineStates&) = delete;
  EngineStates& operator=(const EngineStates&) = delete;
  ~EngineStates() {
    for (libdeflate_compressor* c : compressors) libdeflate_free_compressor(c);
    libdeflate_free_decompressor(decompressor);
  }
};

thread_local EngineStates t_states;

}  // namespace

libdeflate_compressor* thread_compressor(int level) {
  if (level < 1 || level > 12) return nullptr;
  libdeflate_compressor*& c = t_states.compressors[level];
  if (c == nullptr) c = libdeflate_alloc_compressor(level);
  return c;
}

libdeflate_decompressor* thread_decompressor() {
  if (t_states.decompressor == nullptr) t_states.decompressor = libdeflate_alloc_decompressor();
  return t_states.decompressor;
}

}  // namespace accz::zlib
