// engines/isal/isal_engine.h — Intel ISA-L igzip as an Engine: raw deflate, levels 0–3,
// streaming compression with every flush mode and dictionaries, streaming inflate.
//
// The Engine object is immutable and shared; see accz/engine.h for the per-object contract.
// ISA-L's level 0 is not "stored": it is its fastest Huffman-only-ish mode.
#pragma once

#include "accz/engine.h"

namespace accz {

const Engine& isal_engine();

}  // namespace accz
