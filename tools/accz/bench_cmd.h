// bench_cmd.h — `accz bench`: every engine × level on each data set: ratio, compression and
// decompression speed (MB/s of uncompressed data, one thread, engine API directly so the
// numbers are the engines' own), and for deflate engines the speedup over zlib at the same
// level. Every round trip is checked byte for byte; a mismatch fails the run (exit 1).
//
// Levels are each engine's own scale; for the deflate engines 1–9 line up with zlib's (the
// cpu device routes a zlib-style level N to libdeflate N, and to ISA-L N for N ≤ 3), so the
// zlib comparison is at the same number. A level outside an engine's range is skipped.
//
// Single-threaded front: call from the main thread.
#pragma once

#include "options.h"

namespace accz::cli {

int run_bench(const BenchOptions& options);

}  // namespace accz::cli
