#include "zlib/engine_states.h"

#include <memory>
#include <new>

namespace accz::zlib {
namespace {

struct EngineStates {
  libdeflate_compressor* compressors[13] = {};
  std::unique_ptr<IsalDeflate> deflate;
  std::unique_ptr<inflate_state> inflate;

  EngineStates() = default;
  EngineStates(const EngineStates&) = delete;
  EngineStates& operator=(const EngineStates&) = delete;
  ~EngineStates() {
    for (libdeflate_compressor* c : compressors) libdeflate_free_compressor(c);
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

IsalDeflate* thread_isal_deflate() {
  if (!t_states.deflate) t_states.deflate.reset(new (std::nothrow) IsalDeflate);
  return t_states.deflate.get();
}

inflate_state* thread_isal_inflate() {
  if (!t_states.inflate) t_states.inflate.reset(new (std::nothrow) inflate_state);
  return t_states.inflate.get();
}

}  // namespace accz::zlib
