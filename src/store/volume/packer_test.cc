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
      EXPECT_EQ(out[0].blocks(), 1u);
      verify(out, sizes, seen);
    }
  }
  EXPECT_EQ(seen.size(), kMaxFragments);
  EXPECT_EQ(p.fragments_waiting(), 0u);
  EXPECT_EQ(p.stats().extents_written, 1u);
  EXPECT_EQ(p.stats().blocks_written, 1u);
}

// Fragments of one size, `n` of them added to a one-bin packer: the extents written.
std::vector<PackedBlock> pack_uniform(size_t size, uint64_t n, std::map<uint64_t, int>& seen) {
  Packer p(kAlg, 1);
  std::map<uint64_t, size_t> sizes;
  std::vector<PackedBlock> all;
  for (uint64_t c = 0; c < n; ++c) {
    sizes[c] = size;
    for (PackedBlock& b : p.add(c, fragment(c, size), c)) all.push_back(std::move(b));
  }
  for (PackedBlock& b : p.flush_all()) all.push_back(std::move(b));
  verify(all, sizes, seen);
  return all;
}

TEST(Packer, FragmentsOverHalfABlockShareExtents) {
  // What fio's buffer_compress_percentage=50 blocks compress to: two never fit in one block,
  // thirteen fit in seven. A fourteenth would need an eighth block it could not fill.
  std::map<uint64_t, int> seen;
  const auto out = pack_uniform(2085, 26, seen);
  ASSERT_EQ(out.size(), 2u);
  for (const PackedBlock& b : out) {
    EXPECT_EQ(b.cookies.size(), 13u);
    EXPECT_EQ(b.blocks(), 7u);
  }
  EXPECT_EQ(seen.size(), 26u);
}

TEST(Packer, StopsGrowingWhenTheNextBlockCouldNotBeFilled) {
  std::map<uint64_t, int> seen;
  // 300 bytes: thirteen fill one block; a fourteenth would start a second block alone.
  auto small = pack_uniform(300, 13, seen);
  ASSERT_EQ(small.size(), 1u);
  EXPECT_EQ(small[0].cookies.size(), 13u);
  EXPECT_EQ(small[0].blocks(), 1u);
  // 1700 bytes: twelve fill five blocks exactly.
  auto mid = pack_uniform(1700, 12, seen);
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_EQ(mid[0].blocks(), 5u);
  // 1024 bytes: eleven in three blocks beats fourteen in four.
  auto kib = pack_uniform(1024, 11, seen);
  ASSERT_EQ(kib.size(), 1u);
  EXPECT_EQ(kib[0].cookies.size(), 11u);
  EXPECT_EQ(kib[0].blocks(), 3u);
}

TEST(Packer, BestFitAmongTheBinsThatTakeAFragment) {
  Packer p(kAlg, 2);
  std::map<uint64_t, size_t> sizes;
  std::map<uint64_t, int> seen;
  for (uint64_t c = 0; c < 12; ++c) {  // bin A: 1200 bytes, 2856 unused in its block
    sizes[c] = 100;
    EXPECT_TRUE(p.add(c, fragment(c, 100), 0).empty());
  }
  // A second block for bin A could not be filled by its two slots left: bin B opens.
  sizes[20] = 4000;
  EXPECT_TRUE(p.add(20, fragment(20, 4000), 0).empty());
  EXPECT_EQ(p.bins_in_use(), 2u);
  // Both take 2000 bytes; A is left with 856 unused, B with 2152 of a second block.
  sizes[21] = 2000;
  EXPECT_TRUE(p.add(21, fragment(21, 2000), 0).empty());
  // 50 bytes leave B's block 6 bytes short of full, A's 806.
  sizes[22] = 50;
  EXPECT_TRUE(p.add(22, fragment(22, 50), 0).empty());
  auto out = p.flush_all();
  ASSERT_EQ(out.size(), 2u);
  std::vector<uint64_t> a(12);
  for (uint64_t c = 0; c < 12; ++c) a[c] = c;
  a.push_back(21);
  EXPECT_EQ(out[0].cookies, a);
  EXPECT_EQ(out[0].blocks(), 1u);
  EXPECT_EQ(out[1].cookies, (std::vector<uint64_t>{20, 22}));
  EXPECT_EQ(out[1].blocks(), 1u);
  verify(out, sizes, seen);
  EXPECT_EQ(seen.size(), 15u);
}

TEST(Packer, WhenNoBinTakesAFragmentTheFullestIsWrittenOut) {
  Packer p(kAlg, 1);
  std::map<uint64_t, size_t> sizes;
  std::map<uint64_t, int> seen;
  for (uint64_t c = 0; c < 12; ++c) {
    sizes[c] = 100;
    EXPECT_TRUE(p.add(c, fragment(c, 100), 0).empty());
  }
  sizes[20] = 4000;
  auto out = p.add(20, fragment(20, 4000), 7);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].cookies.size(), 12u);
  EXPECT_EQ(out[0].blocks(), 1u);
  verify(out, sizes, seen);
  EXPECT_EQ(p.fragments_waiting(), 1u);
  EXPECT_TRUE(p.flush_older_than(6).empty());  // the new bin's clock started at 7
  verify(p.flush_all(), sizes, seen);
  EXPECT_EQ(seen.size(), 13u);
}

TEST(Packer, AFragmentThatFillsABinIsWrittenAtOnce) {
  Packer p(kAlg, 2);
  auto out = p.add(7, fragment(7, kMaxFragmentBytes), 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].cookies, std::vector<uint64_t>{7});
}

TEST(Packer, TheTimerFlushesOnlyOldBins) {
  Packer p(kAlg, 3);
  for (uint64_t c = 0; c < 12; ++c) EXPECT_TRUE(p.add(c, fragment(c, 100), 10 + c).empty());
  // Bin A cannot usefully take 4000 bytes (two slots left): a second bin, opened at 30.
  EXPECT_TRUE(p.add(20, fragment(20, 4000), 30).empty());
  EXPECT_EQ(p.bins_in_use(), 2u);
  auto out = p.flush_older_than(15);  // A's oldest fragment arrived at 10
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].cookies.size(), 12u);
  EXPECT_EQ(p.fragments_waiting(), 1u);
  EXPECT_TRUE(p.flush_older_than(29).empty());
  EXPECT_EQ(p.flush_older_than(30).size(), 1u);
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
  // Small fragments share blocks: far fewer blocks than fragments; no extent is longer than
  // fourteen blocks.
  EXPECT_LT(p.stats().blocks_written, 5000u / 3);
  EXPECT_LE(p.stats().blocks_written, p.stats().extents_written * kMaxExtentBlocks);
}

}  // namespace
}  // namespace accz::store
