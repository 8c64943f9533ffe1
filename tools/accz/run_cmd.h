// run_cmd.h — `accz run [--stats] [--preload] [--] CMD ARGS…`: runs CMD on the libz.so.1
// drop-in and returns its exit status as a shell would (128+N when a signal N ended it).
//
// The drop-in directory is found relative to this binary (the build tree's ../lib/dropin, or
// the installed lib/accz/dropin), or named by ACCZ_ZLIB_DROPIN_DIR. It is prepended to
// LD_LIBRARY_PATH (or to LD_PRELOAD with --preload, for programs whose RPATH names a zlib).
// --stats collects the report every process of CMD's tree writes at exit (ACCZ_ZLIB_STATS
// pointed at a private file) and prints it on stderr once CMD has exited.
//
// Single-threaded: call from main() before any thread starts (it changes the environment).
#pragma once

namespace accz::cli {

// argv holds the arguments after "run".
int run_on_dropin(int argc, char** argv);

}  // namespace accz::cli
