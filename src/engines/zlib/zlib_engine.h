// engines/zlib/zlib_engine.h — zlib as an Engine: raw deflate (windowBits -15), levels 0–9,
// streaming both ways with every flush mode and dictionaries both ways.
//
// zlib is reached only through the ZlibApi table (engines/zlib/zlib_api.h) in force when
// each object is created. The Engine object is immutable and shared; see accz/engine.h for
// the per-object contract.
#pragma once

#include "accz/engine.h"

namespace accz {

const Engine& zlib_engine();

}  // namespace accz
