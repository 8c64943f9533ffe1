// What went where: per family of zlib functions, calls and bytes by engine, and each fallback
// to the real zlib with its reason; printed at exit when ACCZ_ZLIB_STATS asks for it (config.h).
//
// Counting is a few relaxed atomic adds per call, done only when statistics are on; fallbacks
// are also logged (first of each kind) at ACCZ_ZLIB_LOG=2.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstdint>

namespace accz::zlib {

enum class Family : uint8_t {
  kCrc32,
  kAdler32,
  kCombine,
  kCompress,
  kUncompress,
  kDeflate,
  kInflate
};
inline constexpr int kFamilies = 7;

enum class Engine : uint8_t { kZlib, kIsal, kLibdeflate };
inline constexpr int kEngines = 3;

// Why a call an engine could serve went to the real zlib instead.
enum class Fallback : uint8_t {
  kEngineOff,      // ACCZ_ZLIB_ENGINES excludes the engine
  kLevel0,         // stored blocks must be sized as zlib sizes them
  kLevelInvalid,   // zlib reports the error
  kLevelNoGain,    // no engine level is both no larger and faster than zlib at this level
  kSmallInput,     // below the size where the engine is measured never larger
  kZlibSmaller,    // near-incompressible: zlib was also run and its output was smaller
  kOutputFull,     // the engine's output did not fit: zlib decides (fits, or Z_BUF_ERROR)
  kBadInput,       // the engine rejected the input: zlib reports the error exactly
  kEmptyDest,      // *destLen == 0: zlib's one-byte probe semantics
  kSeedUnreduced,  // an Adler-32 seed with a half >= 65521
  kNoMemory,       // the engine's state could not be allocated
  // Streams (deflate/inflate): what moved a stream to zlib, or kept it there from *Init*.
  kStrategy,        // a strategy other than Z_DEFAULT_STRATEGY
  kWindowBits,      // windowBits the engine path does not serve
  kFlush,           // a flush the whole-buffer/engine path cannot honour (Z_SYNC_FLUSH, Z_BLOCK...)
  kParams,          // deflateParams after data, or to a level/strategy without an engine
  kDictionary,      // deflateSetDictionary / inflateSetDictionary the engine cannot take
  kPrime,           // deflatePrime / inflatePrime
  kGzipHeader,      // deflateSetHeader / inflateGetHeader
  kTune,            // deflateTune
  kStreamCap,       // buffered input reached ACCZ_ZLIB_STREAM_CAP
  kStreamRequest,   // inflateSync, inflateMark, inflateCopy, inflateUndermine, inflateValidate...
  kHeaderWindow,    // a zlib header announcing a window below 32 KiB
  kIncompressible,  // sampled input looks random: zlib serves it (it would be compared anyway)
};
inline constexpr int kFallbacks = 23;

bool stats_on();

// Counts one call served by engine; bytes are input consumed and output produced. The deflate
// and inflate families count streams (at deflateEnd/inflateEnd or a reset), not calls.
void count(Family family, Engine engine, uint64_t bytes_in, uint64_t bytes_out);

// Counts one fallback (the call itself is counted separately under Engine::kZlib).
void fallback(Family family, Fallback why);

// Counts one parallel_deflate call (of compress2 or a deflate stream): its chunks, how many of
// them the calling thread ran because a thread could not start, and whether it failed (the
// caller then compressed in one call or moved to zlib).
void count_parallel(unsigned chunks, unsigned on_caller, bool failed);

// Names as printed in the report.
const char* family_name(Family family);
const char* engine_name(Engine engine);
const char* fallback_reason(Fallback why);

}  // namespace accz::zlib
