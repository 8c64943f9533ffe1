// The built-in engines, in the order accz/engine.h promises.
#include <array>

#include "accz/engine.h"
#include "engines/isal/isal_engine.h"
#include "engines/libdeflate/libdeflate_engine.h"
#include "engines/lz4/lz4_engine.h"
#include "engines/zlib/zlib_engine.h"
#include "engines/zstd/zstd_engine.h"

namespace accz {

std::span<const Engine* const> engines() {
  static const std::array<const Engine*, 5> kEngines = {
      &isal_engine(), &libdeflate_engine(), &zlib_engine(), &lz4_engine(), &zstd_engine()};
  return kEngines;
}

const Engine* find_engine(std::string_view name) {
  for (const Engine* e : engines())
    if (e->caps().name == name) return e;
  return nullptr;
}

}  // namespace accz
