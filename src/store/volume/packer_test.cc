#include "store/volume/packer.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "store/format/compressed_block.h"
#include "store/format/layout.h"
#include "util/rng.h"

namespace accz::store {
namespace {

constexpr uint8_t kAlg = 1;  // lz4's on-disk code

std::vector<uint8_t> fragment(uint64_t cookie, size_t size) {
  std::vector<uint8_t> f(size);
  for (size_t i = 0; i < size; ++i) f[i] = static_cast<uint8_t>(cookie * 31 + i);
  return f;
}

// Checks that every fragment in `blocks` is the one its cookie added; records cookies seen.
void verify(const std::vector<PackedBlock>& blocks, const std::map<uint64_t, size_t>& sizes,
            std::map<uint64_t, int>& seen) {
  for (const PackedBlock& b : blocks) {
    auto view = parse_compressed_block(b.block, kAlg);
    ASSERT_TRUE(view.ok()) << view.status.to_string();
    ASSERT_EQ(view.value.fragment_count, b.cookies.size());
    for (size_t slot = 0; slot < b.cookies.size(); ++slot) {
      const uint64_t c = b.cookies[slot];
      const auto want = fragment(c, sizes.at(c));
      const ByteSpan got = view.value.fragments[slot];
      ASSERT_EQ(std::vector<uint8_t>(got.begin(), got.end()), want) << "cookie " << c;
      ++seen[c];
    }
  }
}

TEST(Packer, FourteenSmallFragmentsMakeOneBlock) {
  Packer p(kAlg, 4);
  std::map<uint64_t, size_t> sizes;
  std::map<uint64_t, int> seen;
  for (uint64_t c = 0; c < kMaxFragments; ++c) {
    sizes[c] = 100;
    auto out = p.add(c, fragment(c, 100), 0);
    if (c + 1 < kMaxFragments) {
      EXPECT_TRUE(out.empty());
    } else {
      ASSERT_EQ(out.size(), 1u);
      verify(out, sizes, seen);
    }
  }
  EXPECT_EQ(seen.size(), kMaxFragments);
  EXPECT_EQ(p.fragments_waiting(), 0u);
  EXPECT_EQ(p.stats().blocks_written, 1u);
}

TEST(Packer, BestFitThenEvictsTheFullestBin) {
  Packer p(kAlg, 2);
  std::map<uint64_t, size_t> sizes = {{1, 3000}, {2, 2000}, {3, 1000}, {4, 3500}};
  std::map<uint64_t, int> seen;
  EXPECT_TRUE(p.add(1, fragment(1, 3000), 0).empty());
  EXPECT_TRUE(p.add(2, fragment(2, 2000), 0).empty());  // does not fit bin 1: a second bin
  EXPECT_TRUE(p.add(3, fragment(3, 1000), 0).empty());  // fits both; best fit is bin 1
  EXPECT_EQ(p.bins_in_use(), 2u);
  auto out = p.add(4, fragment(4, 3500), 0);  // fits neither, no free bin: the fullest goes
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].cookies, (std::vector<uint64_t>{1, 3}));
  verify(out, sizes, seen);
  verify(p.flush_all(), sizes, seen);
  EXPECT_EQ(seen.size(), 4u);
}

TEST(Packer, AFragmentThatFillsABinIsWrittenAtOnce) {
  Packer p(kAlg, 2);
  auto out = p.add(7, fragment(7, kMaxFragmentBytes), 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].cookies, std::vector<uint64_t>{7});
}

TEST(Packer, TheTimerFlushesOnlyOldBins) {
  Packer p(kAlg, 3);
  EXPECT_TRUE(p.add(1, fragment(1, 3000), 10).empty());
  EXPECT_TRUE(p.add(2, fragment(2, 3000), 20).empty());
  auto out = p.flush_older_than(15);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].cookies, std::vector<uint64_t>{1});
  EXPECT_EQ(p.fragments_waiting(), 1u);
  EXPECT_EQ(p.flush_older_than(25).size(), 1u);
  EXPECT_EQ(p.bins_in_use(), 0u);
}

TEST(Packer, RandomFragmentsAllComeOutExactlyOnce) {
  Rng rng(3);
  Packer p(kAlg, 5);
  std::map<uint64_t, size_t> sizes;
  std::map<uint64_t, int> seen;
  for (uint64_t c = 0; c < 5000; ++c) {
    const size_t size = 1 + rng.below(rng.below(4) == 0 ? 4056 : 600);
    sizes[c] = size;
    verify(p.add(c, fragment(c, size), c), sizes, seen);
    if (c % 97 == 0) verify(p.flush_older_than(c - std::min<uint64_t>(c, 50)), sizes, seen);
    ASSERT_LE(p.bins_in_use(), 5u);
  }
  verify(p.flush_all(), sizes, seen);
  ASSERT_EQ(seen.size(), sizes.size());
  for (const auto& [c, n] : seen) ASSERT_EQ(n, 1) << c;
  // Small fragments share blocks: far fewer blocks than fragments.
  EXPECT_LT(p.stats().blocks_written, 5000u / 3);
}

}  // namespace
}  // namespace accz::store
