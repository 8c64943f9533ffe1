// util/rng.h — a small, fast, portable pseudo-random generator (xoshiro256**, seeded through
// splitmix64) and integer-only sampling helpers.
//
// Promise: the sequence depends only on the seed, on every platform (unlike <random>'s
// distributions, whose algorithms the standard leaves to the implementation). Not for
// cryptography.
//
// Thread-safety: an Rng object is used by one thread at a time; separate objects are
// independent.
#pragma once

#include <cstdint>

namespace accz {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : s_) word = splitmix64(seed);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0. Lemire's multiply-shift: no division, bias below 2^-32 for the
  // small n we use.
  uint32_t below(uint32_t n) {
    return static_cast<uint32_t>(((next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

  // Uniform in [lo, hi], lo <= hi.
  uint32_t between(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }

  // True with probability num / den.
  bool chance(uint32_t num, uint32_t den) { return below(den) < num; }

  static uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace accz
