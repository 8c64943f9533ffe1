#include "zlib/engine_states.h"

#include <memory>
#include <new>

namespace accz::zlib {
namespace {

struct IsalDeflate {
  isal_zstream stream;
  uint8_t level_buf[ISAL_DEF_LVL3_DEFAULT];
};

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

isal_zstream* thread_isal_level3(bool stateless) {
  if (!t_states.deflate) t_states.deflate.reset(new (std::nothrow) IsalDeflate);
  if (!t_states.deflate) return nullptr;
  isal_zstream& s = t_states.deflate->stream;
  if (stateless) {
    isal_deflate_stateless_init(&s);
  } else {
    isal_deflate_init(&s);
  }
  s.level = 3;
  s.level_buf = t_states.deflate->level_buf;
  s.level_buf_size = sizeof t_states.deflate->level_buf;
  s.gzip_flag = IGZIP_DEFLATE;
  return &s;
}

inflate_state* thread_isal_inflate() {
  if (!t_states.inflate) t_states.inflate.reset(new (std::nothrow) inflate_state);
  return t_states.inflate.get();
}

}  // namespace accz::zlib
