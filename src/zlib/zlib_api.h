// zlib.h as the drop-in sees it: every zlib declaration with default visibility, so that the
// definitions in this folder are the library's exports while everything else stays hidden
// (the target builds with -fvisibility=hidden). Include this first in every file that defines
// a zlib function; a zlib.h included earlier without the pragma would make them hidden.
//
// The definitions are checked against zlib.h's own prototypes by the compiler: a mismatch is
// an error (C linkage forbids the overload), not a silently different ABI.
#pragma once

#if defined(_FILE_OFFSET_BITS) && _FILE_OFFSET_BITS == 64
// zlib.h would rename gzopen to gzopen64 (and five others) and both must be defined here.
#error "the zlib drop-in must be compiled without _FILE_OFFSET_BITS=64"
#endif

#pragma GCC visibility push(default)
#include <zlib.h>
#pragma GCC visibility pop

#ifndef Z_LARGE64
// Without it zlib.h does not declare gzopen64 and the other *64 functions we must export.
#error "zlib.h did not enable the 64-bit offset functions (_LARGEFILE64_SOURCE)"
#endif
