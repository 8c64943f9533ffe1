// compress2 on libdeflate (and ISA-L) and uncompress2 on ISA-L, where that keeps zlib's contract
// exactly; the
// caller runs the real zlib whenever these return nothing.
//
// compress: at level 1, ISA-L's level 3 when the input is text-like (isal_body.h says exactly
// when); otherwise libdeflate's raw deflate at the level kLibdeflateLevel maps zlib's level to (on
// several threads, in chunks spliced into one stream, from ACCZ_ZLIB_PARALLEL_MIN on), in
// zlib framing written here (header with FLEVEL exactly as zlib writes it for the level,
// Adler-32 trailer), so the bytes differ from zlib's only in the deflate body. Levels where no
// libdeflate level was measured both never larger than zlib and faster (6..9), level 0 (zlib
// sizes its stored blocks its own way), invalid levels, inputs below 4 KiB, and output that
// does not fit go to zlib; near-incompressible results (over 90% of the input) are checked
// against zlib's output, and zlib's is returned when it is smaller. docs/benchmarks-zlib.md has
// the measurements.
//
// uncompress: the zlib header checked here as zlib checks it, the body by ISA-L's
// isal_inflate_stateless over the whole buffer, the Adler-32 trailer checked here. Success
// gives exactly zlib's results (Z_OK, *destLen = bytes written, *sourceLen = bytes of the
// stream consumed); on any failure the caller re-runs the call on zlib, so error codes,
// *destLen, *sourceLen and the partial output are zlib's own. ISA-L rather than libdeflate,
// because libdeflate decodes some bodies zlib rejects (a bit-length repeat with nothing to
// repeat, distance codes 30-31, unused literal/length codes): with a matching Adler-32 such a
// stream was Z_OK here and Z_DATA_ERROR in zlib. ISA-L rejects them, as fast.
//
// Thread safety: any thread; each thread keeps its own engine states, freed at its exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "zlib/parallel_deflate.h"
#include "zlib/stats.h"
#include "zlib/zlib_api.h"

namespace accz::zlib {

// zlib level (0..9) -> libdeflate level, or 0 where zlib serves the level.
inline constexpr int kLibdeflateLevel[10] = {0, 2, 2, 2, 5, 6, 0, 0, 0, 0};

// Inputs large enough for parallel chunks (parallel_deflate.h) use the same map. At 6..9,
// libdeflate 8 and 9 in two chunks are faster than zlib and no larger on the corpus files of
// 1 MiB or more, but the differential fuzzer finds large generated inputs where they are
// larger (up to 4% at level 9), so those levels stay zlib's (docs/benchmarks-zlib.md). At
// 1..5 the chunks' boundary loss keeps the corpus no larger than zlib.

// Inputs below this go to zlib: on the smallest inputs libdeflate's output can be larger
// (one byte: a 5-byte stored block where zlib uses 3 bytes of static Huffman).
inline constexpr uLong kMinEngineInput = 4096;

// Whether the input looks incompressible: up to three 4 KiB samples (start, middle, end) each
// have an order-0 entropy of at least 7.9 bits a byte. The engines' output for such input is
// over 90% of it, where it is compared with zlib's anyway, so zlib serves it from the start:
// the engine's run would only add to zlib's. A wrong guess (say, a random block repeated) costs
// speed, never size. Cost: a histogram of at most 12 KiB.
bool looks_incompressible(const uint8_t* data, size_t n);

// The raw deflate body of `in` at zlib level `level` (one kLibdeflateLevel serves) into `out`,
// for compress2 and for deflate() streams: text-like input at level 1 on ISA-L (isal_body.h);
// else libdeflate, in parallel chunks when the input is large enough (parallel_chunks), else (or
// when the chunks do not fit) in one call. size 0 when it did not fit (also when ISA-L would have
// served the input with more room) or when memory ran out (`no_memory`). When chunk threads
// computed the running check value (`check`, continued from `seed`), `checked` says so.
struct DeflateBody {
  size_t size = 0;
  uint32_t check = 0;
  bool checked = false;
  bool no_memory = false;
  Engine engine = Engine::kLibdeflate;
};
DeflateBody deflate_body(int level, std::span<const uint8_t> in, std::span<uint8_t> out,
                         Checksum check, uint32_t seed);

// zlib's compress2 result, or nothing when zlib must serve the call (the reason is counted).
std::optional<int> engine_compress2(Bytef* dest, uLongf* destLen, const Bytef* source,
                                    uLong sourceLen, int level);

// zlib's uncompress2 result on success, or nothing when zlib must serve the call.
std::optional<int> engine_uncompress2(Bytef* dest, uLongf* destLen, const Bytef* source,
                                      uLong* sourceLen);

}  // namespace accz::zlib
