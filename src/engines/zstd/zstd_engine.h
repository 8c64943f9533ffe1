// engines/zstd/zstd_engine.h — libzstd as an Engine: zstd frames (content checksum on),
// levels 1–19, one-shot and streaming both ways. Flushes: kNone, kSync (ZSTD_e_flush) and
// kFinish (ZSTD_e_end); kFull is not offered, since a zstd frame cannot forget its history
// mid-frame. No dictionaries.
//
// The Engine object is immutable and shared; see accz/engine.h for the per-object contract.
#pragma once

#include "accz/engine.h"

namespace accz {

const Engine& zstd_engine();

}  // namespace accz
