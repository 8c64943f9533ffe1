// What every differential fuzz case shares: its seed and random choices, generated data, the
// operation log printed when the case fails, the run length, and a reference inflate.
//
// Reproducibility: case i of a run uses seed (base + i); a failing case prints its seed, and
// ACCZ_FUZZ_SEED=<that seed> ACCZ_FUZZ_ITERS=1 replays exactly that case. The data and every
// choice depend only on the seed (own PRNG, no <random> distributions).
//
// Thread-safety: Rng and OpLog are per case; the functions are pure or read the environment.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "fuzz_zlib.h"

namespace accz::fuzz {

using Bytes = std::vector<Bytef>;

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) { return next() % n; }
  // Uniform in [lo, hi].
  int range(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool percent(unsigned p) { return below(100) < p; }
  template <typename T, size_t N>
  T pick(const T (&options)[N]) {
    return options[below(N)];
  }

 private:
  uint64_t state_;
};

// Sizes from 0 to ~2 MiB, most of them small: small inputs are where framing and buffering
// bugs live, large ones where block and window handling does.
size_t draw_size(Rng& rng);
// A buffer size for one call: down to 1 byte, often tiny, sometimes large.
uInt draw_chunk(Rng& rng, size_t data_size);
// Random, text-like, runs, small alphabets, LZ-like repeats, and mixtures of those.
Bytes draw_data(Rng& rng, size_t size);

// Run settings: ACCZ_FUZZ_ITERS (cases per test; default `default_iters`, divided by 4 under a
// sanitizer), ACCZ_FUZZ_SEED (the first case's seed).
int fuzz_iterations(int default_iters);
uint64_t fuzz_base_seed();
// ACCZ_FUZZ_TRACE set: every log line is also printed on stderr as it happens.
// ACCZ_ZLIB_ENGINES=none: the drop-in must then be zlib byte for byte and call for call.
bool exact_mode();
// Whether the drop-in promises output no larger than zlib's for this level on every input:
// always with ACCZ_ZLIB_SIZE_CHECK=always or ACCZ_ZLIB_ENGINES=none, and at the levels it
// leaves to zlib (0, 6-9, and -1 = 6). At 1-5 by default the promise rests on the level map
// measured on the corpus (src/zlib/config.h), which crafted inputs beat by a few percent:
// there a larger output is reported (size_excess), not failed.
bool size_promised(int level);
// Prints one line about an engine-served output larger than zlib's, for the known gap above.
void size_excess(const char* what, uint64_t seed, int level, size_t ours, size_t theirs);
// ACCZ_FUZZ_KEEP_GOING set: a test runs all its cases instead of stopping at the first failure.
bool keep_going();

// Lines describing what a case did, to print when it fails.
class OpLog {
 public:
  void add(const char* format, ...) __attribute__((format(printf, 2, 3)));
  // The log, the last `tail` lines if it is longer (ACCZ_FUZZ_LOG=full prints it all).
  std::string str(size_t tail = 80) const;
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

// Inflates a whole stream with `api`, in one call with room for `expect` bytes plus one, giving
// the dictionary when asked (or up front for raw streams).
struct Inflated {
  int rc = Z_STREAM_ERROR;
  Bytes out;
  uLong consumed = 0;  // by next_in: zlib leaves a header read before Z_NEED_DICT out of total_in
  uLong adler = 0;
};
Inflated inflate_whole(const ZlibApi& api, const Bytes& stream, int window_bits, size_t expect,
                       const Bytes& dictionary = {});

std::string hex_prefix(const Bytes& b, size_t n = 32);

}  // namespace accz::fuzz
