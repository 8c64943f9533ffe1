// file_cmd.h — `accz compress` and `accz decompress`: gzip's behaviour over a list of files
// (naming, refusals, keep/replace, metadata, per-file messages and the exit status), with the
// work done by parallel_compress and stream_decompress.
//
// Single-threaded front: call once per process from the main thread.
#pragma once

#include "options.h"

namespace accz::cli {

// Returns the exit status: 0 ok, 1 error, 2 warning.
int run_file_command(const CompressOptions& options);

}  // namespace accz::cli
