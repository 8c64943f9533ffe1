// engine_choice.h — which software engine runs a request, at which of its levels, and whether
// one-shot or streaming. The only place where the cpu device's routing policy lives.
//
// Policy when Request::engine is empty (the zlib-style level -1 means 6):
//
//   operation   algorithm  shape                                   engine       level
//   ----------  ---------  --------------------------------------  -----------  -------------
//   compress    deflate    kFinish, no dictionary                  libdeflate   same 0–9
//   compress    deflate    dictionary or kSync/kFull (kRaw only)   isal         same 1–3
//                                                                  zlib         0 and 4–9
//   decompress  deflate    one dst buffer, no dictionary           libdeflate   (one-shot)
//   decompress  deflate    several dst buffers or a dictionary     isal         (streaming)
//   both        lz4        block or frame                          lz4          -1 → 1
//   both        zstd       frame                                   zstd         -1 → 3
//
// Why: libdeflate is the fastest one-shot deflate and matches or beats zlib's size at every
// level, but it always ends with a final block and takes no dictionary. Parallel chunks need a
// byte-aligned non-final piece primed with the previous 32 KiB: ISA-L does that fastest at its
// levels 1–3 and zlib does it at the levels ISA-L lacks. Streaming decode writes straight into
// scattered output buffers, which saves a bounce copy. If a preferred engine is missing or
// lacks a capability, the next one that has it is used (zlib is always built in).
//
// With Request::engine set, exactly that engine runs, with the level on its own scale (-1: its
// default), or the request is kUnsupported.
//
// Thread-safety: pure functions over immutable engine descriptions.
#pragma once

#include "accz/engine.h"
#include "accz/request.h"

namespace accz {

struct EnginePlan {
  const Engine* engine = nullptr;
  int level = 0;                           // on the engine's own scale (compress only)
  int zlib_level = 6;                      // for the zlib header's FLEVEL (deflate only)
  Framing engine_framing = Framing::kRaw;  // what the engine itself speaks
  bool streaming = false;                  // use stream() rather than the one-shot call
};

// kOk and *plan filled, or kUnsupported when no engine can do this request shape.
Status choose_engine(const Request& req, EnginePlan* plan);

}  // namespace accz
