// The real zlib, loaded privately: one table of its functions, resolved once per process.
//
// Why a private copy, and why dlmopen: zlib calls its own exported functions internally
// (compress2 -> deflate, deflateReset -> deflateResetKeep, gzwrite -> deflate, inflateReset ->
// inflateResetKeep ...). Loaded the ordinary way, those internal calls would bind to whichever
// libz.so.1 comes first in the global scope, which is this drop-in when it is preloaded or
// found through LD_LIBRARY_PATH; and dlopen("libz.so.1") itself would return the drop-in, since
// its soname is already loaded. dlmopen(LM_ID_NEWLM, <absolute path>) loads the system library
// into a link-map namespace of its own, where its symbols (and its internal calls) bind only
// among themselves and to that namespace's libc. The drop-in is not visible there, so nothing
// re-enters it.
//
// The path is the system library found at configure time (ACCZ_REAL_ZLIB_PATH), or the file
// named by ACCZ_REAL_ZLIB in the environment (ignored in setuid programs). It is never the
// soname. If the library cannot be loaded, is the drop-in itself, lacks a function, or is not
// zlib 1.x, the process stops with a message on stderr: there is no safe way to serve a zlib
// call without it, and guessing would only move the failure somewhere harder to diagnose.
//
// Thread safety: real() may be called from any thread at any time; the first call loads the
// library (under pthread_once) and every call returns the same immutable table.
#pragma once

#include "zlib/zlib_api.h"

namespace accz::zlib {

struct RealZlib {
#define ACCZ_ZLIB_FN(name, node) decltype(&::name) name;
#include "zlib/zlib_abi.def"
#undef ACCZ_ZLIB_FN
};

// The loaded table; never returns on failure (see above).
const RealZlib& real();

}  // namespace accz::zlib
