// The generator's promises: determinism, the prefix property, and the compressibility each
// kind claims (measured with stock zlib, which every machine has).
#include "util/datagen.h"

#include <zlib.h>

#include <gtest/gtest.h>

namespace accz::datagen {
namespace {

constexpr uint32_t kPinnedCrc = 0x59a6831e;

double deflate_ratio(const std::vector<uint8_t>& in) {
  uLongf n = compressBound(in.size());
  std::vector<uint8_t> out(n);
  EXPECT_EQ(compress2(out.data(), &n, in.data(), in.size(), 6), Z_OK);
  return static_cast<double>(in.size()) / static_cast<double>(n);
}

TEST(Datagen, SameSeedSameBytes) {
  for (Kind k : {Kind::kText, Kind::kBinary, Kind::kRandom, Kind::kMix}) {
    EXPECT_EQ(generate({k, 42, 0.3}, 100000), generate({k, 42, 0.3}, 100000)) << to_string(k);
    EXPECT_NE(generate({k, 42, 0.3}, 100000), generate({k, 43, 0.3}, 100000)) << to_string(k);
  }
}

TEST(Datagen, ShorterIsPrefixOfLonger) {
  for (Kind k : {Kind::kText, Kind::kBinary, Kind::kRandom, Kind::kMix}) {
    auto longer = generate({k, 7, 0.5}, 65537);
    for (size_t n : {0, 1, 7, 31, 4096, 65536}) {
      auto shorter = generate({k, 7, 0.5}, n);
      EXPECT_TRUE(std::equal(shorter.begin(), shorter.end(), longer.begin()))
          << to_string(k) << " size " << n;
    }
  }
}

// A known value pins the byte stream, so a change to the generator (which would silently
// shift every benchmark) is a deliberate, visible one.
TEST(Datagen, StableAcrossBuilds) {
  uint32_t crc = 0;
  for (Kind k : {Kind::kText, Kind::kBinary, Kind::kRandom, Kind::kMix}) {
    auto d = generate({k, 1, 0.5}, 1 << 16);
    crc = static_cast<uint32_t>(::crc32(crc, d.data(), static_cast<uInt>(d.size())));
  }
  EXPECT_EQ(crc, kPinnedCrc);
}

TEST(Datagen, TextLooksLikeText) {
  auto t = text(1 << 20, 3);
  size_t printable = 0, newlines = 0, spaces = 0;
  for (uint8_t c : t) {
    printable += (c >= 0x20 && c < 0x7f) || c == '\n';
    newlines += c == '\n';
    spaces += c == ' ';
  }
  EXPECT_EQ(printable, t.size());
  EXPECT_GT(newlines, t.size() / 100);
  EXPECT_GT(spaces, t.size() / 10);
  double r = deflate_ratio(t);
  EXPECT_GT(r, 2.0);
  EXPECT_LT(r, 4.5);
}

TEST(Datagen, BinaryIsCompressibleRandomIsNot) {
  EXPECT_GT(deflate_ratio(binary(1 << 20, 5)), 2.8);
  EXPECT_LT(deflate_ratio(random(1 << 20, 5)), 1.0);
}

TEST(Datagen, MixRatioFollowsLiteralFraction) {
  double previous = 1e9;
  for (double f : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    double r = deflate_ratio(mix(1 << 20, f, 9));
    EXPECT_LT(r, previous) << "fraction " << f;
    previous = r;
  }
  EXPECT_GT(deflate_ratio(mix(1 << 20, 0.0, 9)), 4.0);
  EXPECT_NEAR(deflate_ratio(mix(1 << 20, 0.5, 9)), 1.8, 0.4);
  EXPECT_LT(deflate_ratio(mix(1 << 20, 1.0, 9)), 1.01);
}

TEST(Datagen, ParseKind) {
  EXPECT_EQ(parse_kind("text"), Kind::kText);
  EXPECT_EQ(parse_kind("incompressible"), Kind::kRandom);
  EXPECT_EQ(parse_kind("mix"), Kind::kMix);
  EXPECT_FALSE(parse_kind("nope").has_value());
  for (Kind k : {Kind::kText, Kind::kBinary, Kind::kRandom, Kind::kMix})
    EXPECT_EQ(parse_kind(to_string(k)), k);
}

}  // namespace
}  // namespace accz::datagen
