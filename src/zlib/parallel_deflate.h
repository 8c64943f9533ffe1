// One raw deflate stream from a large buffer, compressed on several cores: the input is cut into
// N chunks (N = config().threads, each at least kMinParallelChunk), each chunk is compressed by
// libdeflate on a thread of its own, and the chunks are spliced into a single valid stream.
//
// The splice. libdeflate ends every output with a final block (BFINAL = 1). For each chunk but
// the last, the walker finds the bit where its last block's header starts and clears BFINAL
// there, then appends an empty stored block (3 bits 000, zero padding to the byte, 00 00 FF FF:
// what zlib's Z_SYNC_FLUSH writes) so that the next chunk starts on a byte boundary; a chunk
// that already ends on a byte boundary needs no stored block. The walker is the privately loaded
// real zlib's raw inflate with Z_BLOCK, which stops at every block boundary and reports there
// the bits it has not used and whether the block it just finished was the last; it runs on the
// chunk's own thread and also checks that the chunk inflates back to its input (a chunk that
// does not, or whose header bit is not where the walk says, fails the whole call).
//
// What it costs in size: libdeflate cannot be primed with a dictionary, so each chunk starts
// with an empty window, unlike pigz's chunks primed with the previous 32 KiB. Matches across a
// boundary are lost (typically a few hundred bytes per boundary on text) plus up to 5 bytes of
// stored block; libdeflate's better parsing at the same speed more than pays for that against
// zlib, and the callers still compare with zlib where they always did (ACCZ_ZLIB_SIZE_CHECK).
//
// Threads: one std::thread per extra chunk, started and joined inside the call, never a pool:
// the drop-in lives in programs that fork, and no thread of ours may outlive a zlib call. A
// thread that cannot be started is replaced by the calling thread doing that chunk itself.
// Workers run with the program's asynchronous signals blocked, so no handler of the program
// runs on them.
//
// Thread safety: any thread, any number of concurrent calls; nothing is shared between calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace accz::zlib {

// No chunk is smaller than this: below it the boundaries' cost and the threads' start-up stop
// paying for themselves.
inline constexpr size_t kMinParallelChunk = size_t{256} << 10;

// The running check value the caller wants of the input, computed per chunk on the chunk's own
// thread and combined.
enum class Checksum : uint8_t { kNone, kAdler32, kCrc32 };

struct ParallelResult {
  size_t size = 0;     // bytes of raw deflate written, 0 when the call did not succeed
  uint32_t check = 0;  // the combined check value (seeded), when asked for
};

// How many chunks an input of n bytes is cut into: 1 when it should not run in parallel (below
// ACCZ_ZLIB_PARALLEL_MIN, ACCZ_ZLIB_THREADS=1, or too small for two chunks).
unsigned parallel_chunks(size_t n);

// How many ISA-L chunks (parallel_isal_deflate) an input of n bytes is cut into: as
// parallel_chunks, but from a quarter of ACCZ_ZLIB_PARALLEL_MIN on (256 KiB by default) and in
// chunks of at least kMinIsalChunk, since ISA-L's chunks need no walk and lose no matches at
// their boundaries.
inline constexpr size_t kMinIsalChunk = size_t{128} << 10;
unsigned parallel_isal_chunks(size_t n);

// The size of chunk i (0-based) of an input of n bytes cut into `chunks` at libdeflate
// `level`: every chunk but the last is walked too, so it gets less input (by the walk's
// measured cost at that level) and all threads finish together.
size_t parallel_chunk_size(size_t n, unsigned chunks, int level, unsigned i);

// An upper bound of parallel_deflate's output for n bytes in `chunks` chunks.
size_t parallel_deflate_bound(size_t n, unsigned chunks);

// Compresses `in` at libdeflate level `level` (1..12) into `out` as one raw deflate stream in
// `chunks` chunks (>= 2; from parallel_chunks). check: the check value of `in` continued from
// `seed` (Adler-32 or CRC-32 as zlib's running value), or nothing. Returns size 0 when the
// output did not fit in `out`, memory ran out, or a chunk failed its walk: the caller then
// compresses the way it did without this path. REQUIRES: in and out do not overlap.
ParallelResult parallel_deflate(int level, std::span<const uint8_t> in, std::span<uint8_t> out,
                                unsigned chunks, Checksum check, uint32_t seed);

// The same with ISA-L level 3 (isal_body.h) in `chunks` equal chunks, each primed with the 32 KiB
// of input before it, so no match is lost at a boundary; every chunk but the last ends in ISA-L's
// sync flush, which leaves it byte-aligned and not final, so the chunks need no walk. Size 0
// when the spliced stream does not fit in `out` or memory ran out.
ParallelResult parallel_isal_deflate(std::span<const uint8_t> in, std::span<uint8_t> out,
                                     unsigned chunks, Checksum check, uint32_t seed);

// Where a raw deflate stream's last block starts (its BFINAL bit) and ends, found by the walk
// described above; false unless `deflate` inflates to exactly `original` and ends in its last
// byte. Exposed for tests; parallel_deflate runs it on every chunk but the last.
struct LastBlock {
  uint64_t final_bit = 0;
  uint64_t end_bit = 0;
};
bool find_last_block(std::span<const uint8_t> deflate, std::span<const uint8_t> original,
                     LastBlock& where);

// For tests: when set, every attempt to start a worker thread is treated as failed (as if
// std::thread had thrown), so the calling thread compresses every chunk itself.
void parallel_deflate_fail_threads_for_testing(bool fail);

}  // namespace accz::zlib
