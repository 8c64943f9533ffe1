// vol_stats.h — `accz vol stats (IMAGE | --socket PATH | --control PATH) [--json]`.
//
// Promise: from IMAGE, reads what is on disk without writing (vol_image.h: the superblock and
// the checker's counts; session counters such as writes are zero there, since they live only
// in a running server). From a serving process, asks its control socket (vol_control.h) for
// the live VolumeStats. Prints a vdostats-like table, or with --json the whole report.
// Exit: 0, or 1 when the image cannot be read or the server does not answer.
//
// Thread-safety: single-threaded.
#pragma once

#include "vol_options.h"

namespace accz::cli {

int run_vol_stats(const VolStatsOptions& o);

}  // namespace accz::cli
