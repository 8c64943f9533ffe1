// engines/isal/isal_codec.h — factories for the ISA-L compressor and decompressor objects.
//
// Each object owns its ISA-L state (tens to hundreds of KiB, allocated once) and is used by
// one thread at a time.
#pragma once

#include <memory>

#include "accz/engine.h"

namespace accz {

// REQUIRES: 0 <= level <= 3.
std::unique_ptr<Compressor> make_isal_compressor(int level);
std::unique_ptr<Decompressor> make_isal_decompressor();

}  // namespace accz
