// Per-thread libdeflate states for the drop-in's engine paths (one-shot calls and whole-buffer
// deflate streams).
//
// Allocating a libdeflate compressor costs more than compressing a few KiB, so each thread
// keeps one per libdeflate level it has used, and one decompressor, until it exits.
//
// Thread safety: each thread sees only its own states; the pointers returned are valid on the
// calling thread until it exits and must not be handed to another thread.
#pragma once

#include <libdeflate.h>

namespace accz::zlib {

// The calling thread's compressor at libdeflate level 1..12, or nullptr if allocation failed.
libdeflate_compressor* thread_compressor(int level);

// The calling thread's decompressor, or nullptr if allocation failed.
libdeflate_decompressor* thread_decompressor();

}  // namespace accz::zlib
