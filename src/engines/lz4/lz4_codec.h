// engines/lz4/lz4_codec.h — factories for the lz4 block and frame objects.
//
// Each object allocates its lz4 state once (block: the LZ4 or LZ4 HC state; frame: an LZ4F
// context and a staging buffer of about 130 KiB) and is used by one thread at a time.
#pragma once

#include <memory>

#include "accz/engine.h"

namespace accz {

// REQUIRES: 1 <= level <= 12. nullptr when out of memory.
std::unique_ptr<Compressor> make_lz4_block_compressor(int level);
std::unique_ptr<Decompressor> make_lz4_block_decompressor();
std::unique_ptr<Compressor> make_lz4_frame_compressor(int level);
std::unique_ptr<Decompressor> make_lz4_frame_decompressor();

}  // namespace accz
