// Per-thread engine states for the drop-in's engine paths (one-shot calls and whole-buffer
// deflate streams): libdeflate compressors and ISA-L's inflate state.
//
// Allocating a libdeflate compressor costs more than compressing a few KiB, so each thread
// keeps one per libdeflate level it has used, and ISA-L's deflate and inflate states (too large
// for the stack of an arbitrary program thread), until it exits.
//
// Thread safety: each thread sees only its own states; the pointers returned are valid on the
// calling thread until it exits and must not be handed to another thread.
#pragma once

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

namespace accz::zlib {

// The calling thread's compressor at libdeflate level 1..12, or nullptr if allocation failed.
libdeflate_compressor* thread_compressor(int level);

// The calling thread's ISA-L deflate stream, initialised for raw deflate at ISA-L level 3 with
// its level buffer, for isal_deflate_stateless (stateless) or isal_deflate (not); the caller
// sets the flush, input and output. nullptr if allocation failed.
isal_zstream* thread_isal_level3(bool stateless);

// The calling thread's ISA-L inflate state (contents unspecified: the caller initialises it), or
// nullptr if allocation failed.
inflate_state* thread_isal_inflate();

}  // namespace accz::zlib
