// vol_check.h — `accz vol check IMAGE [--json] [--repair]`: the offline consistency check of
// docs/format.md §10 (the block map against the reference counts and compressed blocks).
//
// Promise: without --repair the image is opened read-only and never written. A volume that
// was not closed cleanly has journal entries newer than its map and counts; it is reported as
// needing replay (a problem: exit 1) and the metadata as last written back is checked too.
// With --repair a dirty volume is opened read-write, which replays its journal and writes
// everything back, then checked and closed cleanly. Exit status: 0 consistent, 1 problems
// (listed on stdout, or in the JSON's "problems"), 2 the check could not run (no volume,
// unreadable device, a newer format).
//
// Thread-safety: single-threaded; nothing else may have the image open for writing.
#pragma once

#include "vol_options.h"

namespace accz::cli {

inline constexpr int kCheckProblems = 1;
inline constexpr int kCheckError = 2;

int run_vol_check(const VolCheckOptions& o);

}  // namespace accz::cli
