// util/datagen.h — deterministic synthetic data for tests, `accz bench` and the block store.
//
// Promise: the bytes depend only on (kind, seed, size, parameters) — the same on every
// machine, compiler and standard library, because the generator uses its own integer PRNG
// (splitmix64 / xoshiro256**) and integer-only sampling, never <random>'s distributions or
// libm. A prefix property also holds: generating N bytes gives the first N bytes of what a
// larger size would give, so tests can ask for any size without surprises.
//
// Kinds, chosen to bracket what compressors meet in practice:
//   kText     – English-like prose: a seeded vocabulary drawn with a Zipf (1/rank) law,
//               capitals, commas, sentence ends, 72-column lines and paragraphs. deflate -6
//               gives roughly 3:1, like real text.
//   kBinary   – little-endian fixed-size records (ids, timestamps with small deltas, small
//               enums, counters, a tag from a short list, zero padding), like a log or a
//               table dump. deflate -6 gives roughly 3:1, from numeric structure rather
//               than words.
//   kRandom   – uniformly random bytes; incompressible (tests the store-as-is paths).
//   kMix      – an LZ77-shaped stream: literal runs of random bytes and copies from the last
//               32 KiB, where `literal_fraction` is the fraction of bytes that are random
//               literals. 0 is nearly all repeats, 1 is kRandom; the deflate ratio is about
//               1 / (literal_fraction + 0.1).
//
// Thread-safety: free functions with no shared state; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "accz/types.h"

namespace accz::datagen {

enum class Kind : uint8_t { kText, kBinary, kRandom, kMix };

std::string_view to_string(Kind k);
// "text", "binary", "random" (also "incompressible"), "mix". nullopt if unknown.
std::optional<Kind> parse_kind(std::string_view name);

struct Options {
  Kind kind = Kind::kText;
  // Default: 1. Different seeds give unrelated data of the same character.
  uint64_t seed = 1;
  // kMix only: fraction of bytes that are random literals, clamped to [0, 1]. Default: 0.5.
  double literal_fraction = 0.5;
};

// Fill `out` with the data `options` describe.
void fill(const Options& options, MutableByteSpan out);

// A new buffer of `size` bytes.
std::vector<uint8_t> generate(const Options& options, size_t size);

// Shorthands.
inline std::vector<uint8_t> text(size_t size, uint64_t seed = 1) {
  return generate({Kind::kText, seed, 0.5}, size);
}
inline std::vector<uint8_t> binary(size_t size, uint64_t seed = 1) {
  return generate({Kind::kBinary, seed, 0.5}, size);
}
inline std::vector<uint8_t> random(size_t size, uint64_t seed = 1) {
  return generate({Kind::kRandom, seed, 0.5}, size);
}
inline std::vector<uint8_t> mix(size_t size, double literal_fraction, uint64_t seed = 1) {
  return generate({Kind::kMix, seed, literal_fraction}, size);
}

}  // namespace accz::datagen
