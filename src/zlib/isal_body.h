// ISA-L's level 3 for zlib level 1 on text-like input: the one place where ISA-L's deflate is
// both no larger than zlib's and much faster (about 3.5x zlib 1 on one core, against 1.3x for
// libdeflate 2, the level the map gives zlib 1).
//
// ISA-L is not no-larger in general. On the corpus its level 3 loses to zlib 1 on four files,
// all binary or near-incompressible (geo 0.3%, obj1 1.8%, paper-100k.pdf 0.8%, a JPEG), each
// of which compresses to over 50% of its size. The differential fuzzer finds the other side:
// inputs that are mostly runs (zeros with a few bytes between), which compress to about 1% and
// where ISA-L's output is 20-40% larger than zlib 1's. So ISA-L's output is taken only when it
// lies between kIsalMinRatio and kIsalMaxRatio of the input, where it was smaller than zlib 1 on
// every corpus file (by 0.4% at the closest, sum); otherwise the caller compresses the way it
// always did (libdeflate, then the near-incompressible comparison with zlib), and the ISA-L
// attempt is its only cost.
// `bench/zlib_levels` measures the frontier behind this; docs/benchmarks-zlib.md has figures.
// Like the level map, this is measured rather than proven: ACCZ_ZLIB_SIZE_CHECK=always still
// compares every engine output with zlib's.
//
// Thread safety: any thread; the ISA-L state is the calling thread's own (engine_states.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "zlib/parallel_deflate.h"

namespace accz::zlib {

// The compressed/input ratios between which ISA-L's output is taken.
inline constexpr double kIsalMinRatio = 0.05;
inline constexpr double kIsalMaxRatio = 0.45;

// Whether zlib level `level` tries ISA-L first (level 1 only, when ACCZ_ZLIB_ENGINES allows
// "isal" and the input fits ISA-L's 32-bit counts).
bool isal_serves(int level, size_t n);

// The raw deflate body of `in` by ISA-L level 3 into `out`: in parallel chunks
// (parallel_isal_deflate, parallel_isal_chunks) when the input is large enough, else in one call.
// size 0 when ISA-L did not serve it: not isal_serves(), no memory for a state, output that did not
// fit, or output outside [kIsalMinRatio, kIsalMaxRatio] of the input. With chunks, the chunk
// threads compute the running check value
// (`check`, continued from `seed`), and `checked` says so. `no_room` says ISA-L may have served
// the input with a larger `out`: the caller then answers as when its engine's output does not
// fit, rather than switching engines, so the bytes a call makes never depend on the room given.
struct IsalBody {
  size_t size = 0;
  uint32_t check = 0;
  bool checked = false;
  bool no_room = false;
};
IsalBody isal_body(int level, std::span<const uint8_t> in, std::span<uint8_t> out, Checksum check,
                   uint32_t seed);

}  // namespace accz::zlib
