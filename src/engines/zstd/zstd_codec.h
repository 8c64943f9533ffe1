// engines/zstd/zstd_codec.h — factories for zstd compressor and decompressor objects.
//
// Each object keeps one ZSTD_CCtx / ZSTD_DCtx for its life; zstd sizes its workspace on first
// use and reuses it. One thread at a time.
#pragma once

#include <memory>

#include "accz/engine.h"

namespace accz {

// REQUIRES: 1 <= level <= 19. nullptr when out of memory.
std::unique_ptr<Compressor> make_zstd_compressor(int level);
std::unique_ptr<Decompressor> make_zstd_decompressor();

}  // namespace accz
