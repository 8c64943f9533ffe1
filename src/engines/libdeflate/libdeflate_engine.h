// engines/libdeflate/libdeflate_engine.h — libdeflate as an Engine: raw deflate, levels 0–12,
// whole-buffer compression and decompression only (no streaming, flushes or dictionaries:
// libdeflate always ends with a final block).
//
// The Engine object is immutable and shared; see accz/engine.h for the per-object contract.
#pragma once

#include "accz/engine.h"

namespace accz {

const Engine& libdeflate_engine();

}  // namespace accz
