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
  EXPECT_NE(r.problems[1].find("fragment mapped but"), std::string::npos) << r.problems[1];
}

// A three-block extent of five 2000-byte fragments, bytes [40, 10040): fragments 0 and 1 lie
// in block 0, 2 spans blocks 0–1, 3 lies in block 1, 4 spans blocks 1–2.
class CheckerExtentTest : public CheckerTest {
 protected:
  void SetUp() override {
    CheckerTest::SetUp();
    std::vector<std::vector<uint8_t>> payload(5, std::vector<uint8_t>(2000, 0x22));
    std::vector<ByteSpan> frags(payload.begin(), payload.end());
    std::vector<uint8_t> extent(3 * kBlockSize);
    encode_compressed_block(static_cast<uint8_t>(VolumeAlgorithm::kLz4), frags, extent);
    ASSERT_TRUE(write_blocks(dev_, data(10), extent).ok());
  }
};

TEST_F(CheckerExtentTest, CountsTheFirstBlockAndTheBlocksOfEachFragment) {
  ASSERT_TRUE(meta_->remap(0, MapEntry::fragment(data(10), 0, 2, 0, false)).ok());
  ASSERT_TRUE(meta_->remap(1, MapEntry::fragment(data(10), 4, 2, 1, true)).ok());
  ASSERT_TRUE(meta_->remap(2, MapEntry::fragment(data(10), 3, 2, 1, false)).ok());
  EXPECT_EQ(meta_->refcount(data(10)), 3);  // the header: every fragment's
  EXPECT_EQ(meta_->refcount(data(11)), 2);
  EXPECT_EQ(meta_->refcount(data(12)), 1);
  // As its fragments die, an extent's blocks are freed; its first block last.
  ASSERT_TRUE(meta_->remap(1, MapEntry::unmapped()).ok());
  ASSERT_TRUE(meta_->remap(2, MapEntry::zero()).ok());
  EXPECT_EQ(meta_->refcount(data(10)), 1);
  EXPECT_EQ(meta_->refcount(data(11)), 0);
  EXPECT_EQ(meta_->refcount(data(12)), 0);
  const CheckReport r = check();
  EXPECT_TRUE(r.consistent()) << r.problems.front();
  EXPECT_EQ(r.blocks_in_use, 1u);
  EXPECT_EQ(r.compressed_extents, 1u);
  EXPECT_EQ(r.compressed_blocks, 1u);
}

TEST_F(CheckerExtentTest, ReportsEntriesThatDisagreeWithTheExtentsHeader) {
  ASSERT_TRUE(meta_->remap(0, MapEntry::fragment(data(10), 2, 2, 0, true)).ok());  // right
  ASSERT_TRUE(meta_->remap(1, MapEntry::fragment(data(10), 3, 2, 1, true)).ok());  // spans
  ASSERT_TRUE(meta_->remap(2, MapEntry::fragment(data(10), 4, 3, 1, true)).ok());  // length
  const CheckReport r = check();
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].find("LBN 1: PBN " + std::to_string(data(10)) +
                               ": fragment 3 mapped to other blocks"),
            std::string::npos)
      << r.problems[0];
  EXPECT_NE(r.problems[1].find("extent of 4 blocks, the header says 3"), std::string::npos)
      << r.problems[1];
}

}  // namespace
}  // namespace accz::store
