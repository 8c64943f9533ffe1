// engines/lz4/lz4_engine.h — liblz4 as an Engine with two framings:
//   kLz4Block  one-shot only; level 1 is LZ4's fast compressor, 2–12 LZ4 HC at that level.
//              The decompressor must be given room for the whole original size.
//   kLz4Frame  LZ4 frame format (content checksum on, independent 64 KiB blocks, as the lz4
//              command line writes), one-shot and streaming both ways; kSync and kFull both
//              end the current block (LZ4F_flush): blocks are independent, so kFull holds.
//
// The Engine object is immutable and shared; see accz/engine.h for the per-object contract.
#pragma once

#include "accz/engine.h"

namespace accz {

const Engine& lz4_engine();

}  // namespace accz
