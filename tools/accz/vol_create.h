// vol_create.h — `accz vol create IMAGE --size SIZE [--compression lz4|deflate|zstd|none]
// [--dedupe on|off] [--physical-size SIZE] [--force]`.
//
// Promise: writes a new, empty volume (docs/format.md §3) into IMAGE, a sparse regular file
// created for it (or, with --force, an existing file or block device, overwritten). Sizes:
//   - --size: the logical size the volume exposes, a multiple of 4 KiB.
//   - --physical-size: how large the image file is (a block device's own size is used).
//     Default: the logical size plus the metadata that describes it, so that even data that
//     neither compresses nor deduplicates fits; capped at what the file system has free, since
//     a thin volume's space is only taken as blocks are written.
//   - the journal gets 1/16 of the physical blocks, between 64 blocks and 2048 (8 MiB); the
//     saved dedup index region holds the default index budget (64 MiB of memory, about
//     700,000 entries, 16 MiB on disk), capped at 1/64 of the physical blocks.
// Errors (exit 1): IMAGE exists (without --force), a size that is not a size or not a
// multiple of 4 KiB, a physical size too small for the metadata. A file created here is
// removed again when creation fails.
//
// Thread-safety: single-threaded.
#pragma once

#include "vol_options.h"

namespace accz::cli {

int run_vol_create(const VolCreateOptions& o);

}  // namespace accz::cli
