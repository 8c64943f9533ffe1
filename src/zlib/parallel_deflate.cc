#include "zlib/parallel_deflate.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <memory>
#include <new>
#include <system_error>
#include <thread>
#include <vector>

#include "zlib/config.h"
#include "zlib/engine_states.h"
#include "zlib/host_alloc.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"

namespace accz::zlib {
namespace {

std::atomic<bool> g_fail_threads{false};

// An empty stored block after the chunk's last bit: at most 3 header bits and padding spilling
// into one new byte, then LEN/NLEN.
constexpr size_t kSpliceBytes = 5;
constexpr size_t kWalkWindow = size_t{64} << 10;
constexpr size_t kWindowBytes = size_t{32} << 10;  // deflate's window: an ISA-L chunk's dictionary

struct Chunk {
  std::span<const uint8_t> in;
  bool last = false;
  int level = 0;  // libdeflate's level; 0 for an ISA-L chunk
  // ISA-L chunks: the input before this chunk that primes its window (up to 32 KiB), and the
  // size of the buffer a chunk other than the first compresses into (the whole output's: a
  // chunk may compress worse than the rest as long as the spliced stream fits).
  std::span<const uint8_t> dict;
  size_t isal_cap = 0;
  Checksum check = Checksum::kNone;
  // Where the chunk is compressed: the caller's output for the first chunk (it starts there,
  // so it needs no copy and no buffer of its own), else `own`.
  std::span<uint8_t> target;
  // Results, written only by the thread that runs the chunk.
  std::unique_ptr<uint8_t[]> own;
  size_t size = 0;         // bytes of raw deflate in `target`
  uint64_t final_bit = 0;  // bit offset of the last block's header (BFINAL) in `out`
  uint64_t end_bit = 0;    // bit offset just past the last block
  uint32_t check_value = 0;
  bool ok = false;
  bool walked = false;  // libdeflate's non-final chunks: final_bit/end_bit are set
};

// Walks a chunk's raw deflate with the real zlib's inflate(Z_BLOCK), which returns at every
// block boundary: there, 8 * total_in - (data_type & 7) is the bit where the next block starts,
// and data_type & 64 says the block just finished was the last, making that bit the stream's
// end and the boundary before it the last block's header. The output must equal the input.
bool walk(std::span<const uint8_t> deflate, std::span<const uint8_t> original, LastBlock& where) {
  if (deflate.size() > UINT_MAX) return false;  // one inflate call's avail_in
  z_stream z{};
  z.zalloc = host_zalloc;
  z.zfree = host_zfree;
  if (real().inflateInit2_(&z, -MAX_WBITS, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) !=
      Z_OK)
    return false;
  std::unique_ptr<uint8_t[]> window(new (std::nothrow) uint8_t[kWalkWindow]);
  bool ok = window != nullptr;
  uint64_t boundary = 0;  // the start of the block being decoded
  bool found_end = false;
  size_t produced = 0;
  z.next_in = const_cast<uint8_t*>(deflate.data());
  z.avail_in = static_cast<uInt>(deflate.size());
  while (ok) {
    z.next_out = window.get();
    z.avail_out = static_cast<uInt>(kWalkWindow);
    const int rc = real().inflate(&z, Z_BLOCK);
    const size_t n = kWalkWindow - z.avail_out;
    if (produced + n > original.size() ||
        (n != 0 && std::memcmp(window.get(), original.data() + produced, n) != 0)) {
      ok = false;
      break;
    }
    produced += n;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) {
      ok = false;
      break;
    }
    if ((z.data_type & 128) != 0) {
      const uint64_t bit = 8 * uint64_t{z.total_in} - static_cast<unsigned>(z.data_type & 7);
      if ((z.data_type & 64) != 0) {
        where.final_bit = boundary;
        where.end_bit = bit;
        found_end = true;
      } else {
        boundary = bit;
      }
    }
  }
  real().inflateEnd(&z);
  if (!ok || !found_end || produced != original.size()) return false;
  // The stream must end in its last byte, with its header bit where the walk put it.
  if ((where.end_bit + 7) / 8 != deflate.size() || where.final_bit >= where.end_bit) return false;
  return ((deflate[where.final_bit / 8] >> (where.final_bit % 8)) & 1) != 0;
}

// ISA-L level 3 on a chunk, its window primed with `dict`: every chunk but the last ends in
// ISA-L's sync flush (an empty stored block, byte-aligned, BFINAL clear), so the chunks follow
// one another as they are, with no walk.
void run_isal_chunk(Chunk& c) {
  if (c.in.size() > UINT32_MAX) return;
  if (c.target.empty()) {
    c.own.reset(new (std::nothrow) uint8_t[c.isal_cap]);
    if (c.own == nullptr) return;
    c.target = {c.own.get(), c.isal_cap};
  }
  isal_zstream* stream = thread_isal_level3(/*stateless=*/false);
  if (stream == nullptr) return;
  isal_zstream& s = *stream;
  if (!c.dict.empty() && isal_deflate_set_dict(&s, const_cast<uint8_t*>(c.dict.data()),
                                               static_cast<uint32_t>(c.dict.size())) != COMP_OK)
    return;
  s.end_of_stream = c.last ? 1 : 0;
  s.flush = c.last ? NO_FLUSH : SYNC_FLUSH;
  s.next_in = const_cast<uint8_t*>(c.in.data());
  s.avail_in = static_cast<uint32_t>(c.in.size());
  s.next_out = c.target.data();
  s.avail_out = static_cast<uint32_t>(std::min<size_t>(c.target.size(), UINT32_MAX));
  // Everything was written when input is left over neither in the stream nor in ISA-L's
  // pending output (which would have filled the buffer).
  if (isal_deflate(&s) != COMP_OK || s.avail_in != 0 || s.avail_out == 0) return;
  if (c.last && s.internal_state.state != ZSTATE_END) return;
  c.size = s.total_out;
  c.ok = true;
}

void run_chunk(Chunk& c) {
  if (c.check == Checksum::kAdler32)
    c.check_value = libdeflate_adler32(1, c.in.data(), c.in.size());
  if (c.check == Checksum::kCrc32) c.check_value = libdeflate_crc32(0, c.in.data(), c.in.size());
  if (c.level == 0) return run_isal_chunk(c);
  libdeflate_compressor* comp = thread_compressor(c.level);
  if (comp == nullptr) return;
  if (c.target.empty()) {
    const size_t bound = libdeflate_deflate_compress_bound(comp, c.in.size());
    c.own.reset(new (std::nothrow) uint8_t[bound]);
    if (c.own == nullptr) return;
    c.target = {c.own.get(), bound};
  }
  c.size =
      libdeflate_deflate_compress(comp, c.in.data(), c.in.size(), c.target.data(), c.target.size());
  if (c.size == 0) return;
  if (c.last) {
    c.ok = true;
    return;
  }
  LastBlock where;
  c.ok = walk(c.target.first(c.size), c.in, where);
  c.walked = true;
  c.final_bit = where.final_bit;
  c.end_bit = where.end_bit;
}

// Appends chunk c to dst at `at`, turned non-final and padded to a byte when more follows.
// Returns the new end, or 0 when it does not fit.
size_t splice(const Chunk& c, std::span<uint8_t> dst, size_t at) {
  if (c.size > dst.size() - at) return 0;
  uint8_t* p = dst.data() + at;
  if (p != c.target.data()) std::memcpy(p, c.target.data(), c.size);
  if (!c.walked) return at + c.size;  // the last chunk, or ISA-L's, which ends flushed
  p[c.final_bit / 8] &= static_cast<uint8_t>(~(1u << (c.final_bit % 8)));
  const unsigned used = static_cast<unsigned>(c.end_bit % 8);  // bits used in the last byte
  if (used == 0) return at + c.size;  // already on a byte boundary: the next chunk can follow
  p[c.size - 1] &= static_cast<uint8_t>((1u << used) - 1);  // the stored header's zero bits
  size_t end = at + c.size;
  // Three header bits fit in the last byte when at most 5 are used; else they spill into one
  // more byte of zeros, padding included.
  const size_t extra = used > 5 ? 5 : 4;
  if (extra > dst.size() - end) return 0;
  uint8_t* q = dst.data() + end;
  if (used > 5) *q++ = 0;
  q[0] = 0x00;
  q[1] = 0x00;
  q[2] = 0xff;
  q[3] = 0xff;
  return end + extra;
}

// The walk's time relative to compressing the same input at a libdeflate level: zlib's inflate
// runs at about 330 MB/s of output here, libdeflate at 156 (level 2), 82 (5), 58 (6), 20 (8).
double walk_cost(int level) {
  if (level <= 3) return 0.48;
  if (level <= 5) return 0.25;
  if (level <= 7) return 0.18;
  return 0.06;
}

uint32_t combine(Checksum kind, uint32_t a, uint32_t b, size_t len_b) {
  const auto n = static_cast<z_off_t>(len_b);
  if (kind == Checksum::kAdler32) return static_cast<uint32_t>(real().adler32_combine(a, b, n));
  return static_cast<uint32_t>(real().crc32_combine(a, b, n));
}

// Runs the chunks (the first on the calling thread, one thread each for the rest), splices
// them into `out` and combines their check values.
ParallelResult run_chunks(std::vector<Chunk>& parts, std::span<uint8_t> out, Checksum check,
                          uint32_t seed) {
  ParallelResult result;
  const auto chunks = static_cast<unsigned>(parts.size());

  // Chunk 0 is the calling thread's; a worker that cannot be started leaves its chunk to the
  // calling thread too, after its own.
  std::vector<std::thread> workers;
  std::vector<Chunk*> left_over;
  try {
    workers.reserve(chunks - 1);
    left_over.reserve(chunks - 1);
  } catch (const std::bad_alloc&) {
    return result;
  }
  // Workers start with the program's asynchronous signals blocked (they inherit the mask of
  // the thread that creates them): a signal meant for the program must not run its handler on
  // a thread of ours that exists only for this call. Faults stay deliverable, for crash
  // handlers and sanitizers.
  sigset_t block, saved;
  sigfillset(&block);
  for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) sigdelset(&block, fault);
  const bool masked = pthread_sigmask(SIG_BLOCK, &block, &saved) == 0;
  for (unsigned i = 1; i < chunks; ++i) {
    Chunk* c = &parts[i];
    bool started = false;
    if (!g_fail_threads.load(std::memory_order_relaxed)) {
      try {
        workers.emplace_back([c] { run_chunk(*c); });
        started = true;
      } catch (const std::system_error&) {
      } catch (const std::bad_alloc&) {
      }
    }
    if (!started) left_over.push_back(c);
  }
  if (masked) pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  run_chunk(parts[0]);
  for (Chunk* c : left_over) run_chunk(*c);
  for (std::thread& t : workers) t.join();

  size_t at = 0;
  for (const Chunk& c : parts) {
    at = c.ok ? splice(c, out, at) : 0;
    if (at == 0) break;
  }
  count_parallel(chunks, static_cast<unsigned>(left_over.size()), at == 0);
  if (at == 0) return result;
  if (check != Checksum::kNone) {
    uint32_t value = seed;
    for (const Chunk& c : parts) value = combine(check, value, c.check_value, c.in.size());
    result.check = value;
  }
  result.size = at;
  return result;
}

}  // namespace

unsigned parallel_chunks(size_t n) {
  const Config& cfg = config();
  if (cfg.threads <= 1 || n < cfg.parallel_min) return 1;
  const size_t most = n / kMinParallelChunk;
  return static_cast<unsigned>(std::min<size_t>(cfg.threads, most == 0 ? 1 : most));
}

unsigned parallel_isal_chunks(size_t n) {
  const Config& cfg = config();
  if (cfg.threads <= 1 || n < cfg.parallel_min / 4) return 1;
  const size_t most = n / kMinIsalChunk;
  return static_cast<unsigned>(std::min<size_t>(cfg.threads, most == 0 ? 1 : most));
}

size_t parallel_chunk_size(size_t n, unsigned chunks, int level, unsigned i) {
  // Every chunk but the last is also walked, so those get less input: all then finish at about
  // the same time, where equal chunks would leave the last chunk's thread idle.
  const double walk = walk_cost(level);
  const double last_share = (1 + walk) / ((chunks - 1) + (1 + walk));
  const auto last_size = static_cast<size_t>(static_cast<double>(n) * last_share);
  const size_t step =
      std::max((n - last_size) / (chunks - 1), std::min(kMinParallelChunk, n / chunks));
  const size_t begin = std::min(n, step * i);
  return i + 1 == chunks ? n - begin : std::min(n, begin + step) - begin;
}

size_t parallel_deflate_bound(size_t n, unsigned chunks) {
  // libdeflate's own bound, per chunk: 5 bytes per block of at least a few thousand bytes (4 KiB
  // is below its minimum block length in every version), plus its end padding; then the splice.
  const size_t chunk = (n + chunks - 1) / chunks;
  return chunks * (chunk + 5 * (chunk / 4096 + 1) + 16 + kSpliceBytes);
}

ParallelResult parallel_deflate(int level, std::span<const uint8_t> in, std::span<uint8_t> out,
                                unsigned chunks, Checksum check, uint32_t seed) {
  ParallelResult result;
  if (chunks < 2 || in.size() < chunks) return result;
  std::vector<Chunk> parts;
  try {
    parts.resize(chunks);
  } catch (const std::bad_alloc&) {
    return result;
  }
  size_t begin = 0;
  for (unsigned i = 0; i < chunks; ++i) {
    const size_t size = parallel_chunk_size(in.size(), chunks, level, i);
    parts[i].in = in.subspan(begin, size);
    parts[i].last = i + 1 == chunks;
    parts[i].level = level;
    parts[i].check = check;
    begin += size;
  }
  parts[0].target = out;
  return run_chunks(parts, out, check, seed);
}

ParallelResult parallel_isal_deflate(std::span<const uint8_t> in, std::span<uint8_t> out,
                                     unsigned chunks, Checksum check, uint32_t seed) {
  ParallelResult result;
  if (chunks < 2 || in.size() < chunks) return result;
  std::vector<Chunk> parts;
  try {
    parts.resize(chunks);
  } catch (const std::bad_alloc&) {
    return result;
  }
  // Equal chunks: none is walked.
  const size_t step = in.size() / chunks;
  for (unsigned i = 0; i < chunks; ++i) {
    Chunk& c = parts[i];
    const size_t begin = step * i;
    c.in = in.subspan(begin, i + 1 == chunks ? in.size() - begin : step);
    c.dict = in.subspan(begin - std::min(begin, kWindowBytes), std::min(begin, kWindowBytes));
    c.last = i + 1 == chunks;
    c.check = check;
    c.isal_cap = out.size();
  }
  parts[0].target = out;
  return run_chunks(parts, out, check, seed);
}

bool find_last_block(std::span<const uint8_t> deflate, std::span<const uint8_t> original,
                     LastBlock& where) {
  return walk(deflate, original, where);
}

void parallel_deflate_fail_threads_for_testing(bool fail) {
  g_fail_threads.store(fail, std::memory_order_relaxed);
}

}  // namespace accz::zlib
