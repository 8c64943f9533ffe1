#include "store/volume/checker.h"

#include <gtest/gtest.h>

#include <vector>

#include "store/backing/memory_backing.h"
#include "store/format/compressed_block.h"
#include "store/format/layout.h"
#include "store/format/metadata_page.h"
#include "store/volume/block_io.h"
#include "store/volume/superblock_io.h"
#include "store/volume/volume_metadata.h"

namespace accz::store {
namespace {

constexpr uint64_t kDevBlocks = 256;

class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CreateOptions o;
    o.logical_blocks = 2000;
    o.journal_blocks = 16;
    o.algorithm = VolumeAlgorithm::kLz4;
    o.nonce = 0xC4EC;
    ASSERT_TRUE(create_volume(dev_, o).ok());
    auto v = VolumeMetadata::open(dev_, {.map_cache_pages = 2});
    ASSERT_TRUE(v.ok());
    meta_ = std::move(v.value);
  }
  uint64_t data(uint64_t i) const { return meta_->superblock().geometry.data_start + i; }
  // A compressed block of `n` one-byte fragments at `pbn`.
  void write_compressed(uint64_t pbn, size_t n) {
    std::vector<uint8_t> payload(n, 0x11);
    std::vector<ByteSpan> frags;
    for (size_t i = 0; i < n; ++i) frags.push_back(ByteSpan(payload).subspan(i, 1));
    std::vector<uint8_t> block(kBlockSize);
    encode_compressed_block(static_cast<uint8_t>(VolumeAlgorithm::kLz4), frags, block);
    ASSERT_TRUE(write_block(dev_, pbn, block).ok());
  }
  CheckReport check() {
    EXPECT_TRUE(meta_->close().ok());
    auto r = check_volume(dev_, meta_->superblock());
    EXPECT_TRUE(r.ok());
    return r.value;
  }

  MemoryBacking dev_{kDevBlocks * kBlockSize};
  std::unique_ptr<VolumeMetadata> meta_;
};

TEST_F(CheckerTest, AConsistentVolumeWithWholeZeroAndFragmentEntries) {
  write_compressed(data(4), 3);
  ASSERT_TRUE(meta_->remap(0, MapEntry::whole(data(1))).ok());
  ASSERT_TRUE(meta_->remap(1, MapEntry::whole(data(1))).ok());
  ASSERT_TRUE(meta_->remap(2, MapEntry::zero()).ok());
  ASSERT_TRUE(meta_->remap(1500, MapEntry::fragment(data(4), 0)).ok());
  ASSERT_TRUE(meta_->remap(1501, MapEntry::fragment(data(4), 2)).ok());
  const CheckReport r = check();
  EXPECT_TRUE(r.consistent()) << r.problems.front();
  EXPECT_EQ(r.lbns_mapped, 4u);
  EXPECT_EQ(r.lbns_zero, 1u);
  EXPECT_EQ(r.blocks_in_use, 2u);
  EXPECT_EQ(r.compressed_blocks, 1u);
  EXPECT_EQ(r.fragments_mapped, 2u);
  EXPECT_EQ(r.torn_copies, 0u);
}

TEST_F(CheckerTest, ReportsAFragmentPastTheBlocksCountAndAMissingHeader) {
  write_compressed(data(4), 2);
  ASSERT_TRUE(meta_->remap(0, MapEntry::fragment(data(4), 5)).ok());
  ASSERT_TRUE(meta_->remap(1, MapEntry::fragment(data(6), 0)).ok());  // never written
  const CheckReport r = check();
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].find("fragment 5 mapped but only 2"), std::string::npos) << r.problems[0];
  EXPECT_NE(r.problems[1].find("fragments mapped but"), std::string::npos) << r.problems[1];
}

TEST_F(CheckerTest, ReportsABlockMappedWholeAndAsAFragment) {
  write_compressed(data(4), 2);
  ASSERT_TRUE(meta_->remap(0, MapEntry::fragment(data(4), 0)).ok());
  ASSERT_TRUE(meta_->remap(1, MapEntry::whole(data(4))).ok());
  const CheckReport r = check();
  ASSERT_FALSE(r.consistent());
  EXPECT_NE(r.problems[0].find("both whole and as fragments"), std::string::npos);
}

TEST_F(CheckerTest, ReportsACountThatDisagreesWithTheMapAndCountsTornCopies) {
  ASSERT_TRUE(meta_->remap(0, MapEntry::whole(data(2))).ok());
  ASSERT_TRUE(meta_->close().ok());
  const Superblock& sb = meta_->superblock();
  // Rewrite refcount block 0 in its newer copy with a wrong count for data(3), and tear the
  // other copy.
  RefcountArray counts{};
  counts[2] = 1;
  counts[3] = 7;
  std::vector<uint8_t> block(kBlockSize);
  encode_refcount_block(0, UINT64_MAX / 2, sb.nonce, counts, block);
  ASSERT_TRUE(write_block(dev_, sb.geometry.refcount_start, block).ok());
  block[2000] ^= 1;
  ASSERT_TRUE(write_block(dev_, sb.geometry.refcount_start + 1, block).ok());
  auto r = check_volume(dev_, sb);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value.problems.size(), 1u);
  EXPECT_NE(r.value.problems[0].find("count 7 but 0 map entries"), std::string::npos)
      << r.value.problems[0];
  EXPECT_EQ(r.value.torn_copies, 1u);
}

}  // namespace
}  // namespace accz::store
