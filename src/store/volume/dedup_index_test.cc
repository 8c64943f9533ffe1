#include "store/volume/dedup_index.h"

#include <gtest/gtest.h>

#include <vector>

#include "store/backing/memory_backing.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"
#include "store/volume/superblock_io.h"

namespace accz::store {
namespace {

BlockHash h(uint64_t i) { return {i * 0x9E3779B97F4A7C15ull, ~i}; }

TEST(DedupIndex, HashIsXxh3OfTheContents) {
  std::vector<uint8_t> a(kBlockSize, 1), b(kBlockSize, 1);
  EXPECT_EQ(hash_block(a), hash_block(b));
  b[4095] = 2;
  EXPECT_NE(hash_block(a), hash_block(b));
  // XXH3-128 of the empty input (seed 0), a published test vector.
  const BlockHash empty = hash_block({});
  EXPECT_EQ(empty.low, 0x6001C324468D497Full);
  EXPECT_EQ(empty.high, 0x99AA06D3014798D8ull);
}

TEST(DedupIndex, KeepsTheNewestWithinItsBudget) {
  DedupIndex idx(3);
  for (uint64_t i = 1; i <= 3; ++i) idx.insert(h(i), MapEntry::whole(100 + i));
  ASSERT_TRUE(idx.find(h(1)).has_value());  // 1 becomes newest
  idx.insert(h(4), MapEntry::fragment(200, 3));
  EXPECT_EQ(idx.size(), 3u);
  EXPECT_FALSE(idx.find(h(2)).has_value());  // the oldest went
  EXPECT_EQ(idx.find(h(1)), MapEntry::whole(101));
  EXPECT_EQ(idx.find(h(4)), MapEntry::fragment(200, 3));
  idx.insert(h(4), MapEntry::whole(300));  // a newer copy replaces the target
  EXPECT_EQ(idx.find(h(4)), MapEntry::whole(300));
  idx.erase(h(4));
  EXPECT_FALSE(idx.find(h(4)).has_value());
  EXPECT_EQ(idx.stats().evictions, 1u);
}

class DedupIndexSaveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CreateOptions o;
    o.logical_blocks = 1000;
    o.journal_blocks = 16;
    o.index_blocks = 3;  // 507 records
    o.nonce = 0xDD;
    auto c = create_volume(dev_, o);
    ASSERT_TRUE(c.ok());
    sb_ = c.value;
  }
  MemoryBacking dev_{256 * kBlockSize};
  Superblock sb_;
};

TEST_F(DedupIndexSaveTest, SaveAndLoadKeepEntriesAndRecency) {
  DedupIndex idx(1000);
  for (uint64_t i = 0; i < 400; ++i) idx.insert(h(i), MapEntry::whole(sb_.geometry.data_start + i));
  ASSERT_TRUE(idx.save(dev_, sb_, 7).ok());
  DedupIndex loaded(1000);
  ASSERT_TRUE(loaded.load(dev_, sb_, 7).ok());
  EXPECT_EQ(loaded.size(), 400u);
  for (uint64_t i = 0; i < 400; ++i) {
    ASSERT_EQ(loaded.find(h(i)), MapEntry::whole(sb_.geometry.data_start + i)) << i;
  }
  // Recency survived: in a smaller index the newest are the ones kept.
  DedupIndex small(10);
  ASSERT_TRUE(small.load(dev_, sb_, 7).ok());
  EXPECT_TRUE(small.find(h(399)).has_value());
  EXPECT_FALSE(small.find(h(0)).has_value());
}

TEST_F(DedupIndexSaveTest, SavesTheNewestThatFitAndIgnoresOtherGenerations) {
  DedupIndex idx(2000);
  for (uint64_t i = 0; i < 600; ++i) idx.insert(h(i), MapEntry::whole(sb_.geometry.data_start + 1));
  ASSERT_TRUE(idx.save(dev_, sb_, 8).ok());
  DedupIndex loaded(2000);
  ASSERT_TRUE(loaded.load(dev_, sb_, 8).ok());
  EXPECT_EQ(loaded.size(), 3 * kIndexRecordsPerPage);
  EXPECT_TRUE(loaded.find(h(599)).has_value());
  EXPECT_FALSE(loaded.find(h(0)).has_value());
  ASSERT_TRUE(loaded.load(dev_, sb_, 9).ok());  // a crash invalidated the saved index
  EXPECT_EQ(loaded.size(), 0u);
  ASSERT_TRUE(loaded.load(dev_, sb_, 0).ok());
  EXPECT_EQ(loaded.size(), 0u);
}

TEST_F(DedupIndexSaveTest, AShorterLaterSaveDoesNotReviveOlderRecords) {
  DedupIndex big(2000);
  for (uint64_t i = 0; i < 500; ++i) big.insert(h(i), MapEntry::whole(sb_.geometry.data_start + 2));
  ASSERT_TRUE(big.save(dev_, sb_, 1).ok());
  DedupIndex few(2000);
  few.insert(h(9999), MapEntry::whole(sb_.geometry.data_start + 3));
  ASSERT_TRUE(few.save(dev_, sb_, 2).ok());
  DedupIndex loaded(2000);
  ASSERT_TRUE(loaded.load(dev_, sb_, 2).ok());
  EXPECT_EQ(loaded.size(), 1u);
  // A torn first page loses the saved index (advisory), without failing.
  std::vector<uint8_t> b(kBlockSize);
  ASSERT_TRUE(read_block(dev_, sb_.geometry.index_start, b).ok());
  b[100] ^= 1;
  ASSERT_TRUE(write_block(dev_, sb_.geometry.index_start, b).ok());
  ASSERT_TRUE(loaded.load(dev_, sb_, 2).ok());
  EXPECT_EQ(loaded.size(), 0u);
}

}  // namespace
}  // namespace accz::store
