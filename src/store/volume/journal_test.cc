#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "store/backing/fault_backing.h"
#include "store/backing/memory_backing.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"
#include "store/volume/journal_writer.h"
#include "store/volume/metadata_updater.h"
#include "store/volume/open_volume.h"
#include "store/volume/replay.h"
#include "store/volume/superblock_io.h"

namespace accz::store {
namespace {

constexpr uint64_t kDevBlocks = 256;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CreateOptions o;
    o.logical_blocks = 3000;
    o.journal_blocks = 16;
    o.nonce = 0xABC;
    ASSERT_TRUE(create_volume(dev_, o).ok());
    auto v = open_volume(dev_);
    ASSERT_TRUE(v.ok());
    sb_ = v.value.sb;
    first_ = v.value.first_sequence;
  }
  uint64_t data(uint64_t i) const { return sb_.geometry.data_start + i; }
  // Every map entry and count as seen by a fresh reader of the device.
  std::pair<std::vector<MapEntry>, std::vector<int>> state() {
    MetadataUpdater r(dev_, sb_);
    std::vector<MapEntry> map;
    std::vector<int> counts;
    for (uint64_t l = 0; l < sb_.geometry.logical_blocks; ++l) {
      auto e = r.map_entry(l);
      EXPECT_TRUE(e.ok());
      map.push_back(e.value);
    }
    for (uint64_t p = 0; p < sb_.geometry.data_blocks; ++p) {
      auto c = r.refcount(data(p));
      EXPECT_TRUE(c.ok());
      counts.push_back(c.value);
    }
    return {map, counts};
  }

  std::shared_ptr<MemoryBacking> base_ = std::make_shared<MemoryBacking>(kDevBlocks * kBlockSize);
  FaultBacking dev_{base_, 5};
  Superblock sb_;
  uint64_t first_ = 1;
};

TEST_F(JournalTest, PointsFollowSequencesAndBlocksHold126Entries) {
  JournalWriter jw(dev_, sb_, first_);
  for (uint32_t i = 0; i < 130; ++i) {
    auto p = jw.append({i, MapEntry::zero(), MapEntry::unmapped()});
    ASSERT_TRUE(p.ok());
    const uint64_t seq = first_ + i / kJournalEntriesPerBlock;
    EXPECT_EQ(p.value, journal_point(seq, i % kJournalEntriesPerBlock));
  }
  ASSERT_TRUE(jw.commit().ok());
  EXPECT_EQ(jw.next_sequence(), first_ + 2);
  EXPECT_EQ(jw.stats().blocks_written, 2u);
  // A partly filled block is never rewritten: the next commit takes a new sequence.
  ASSERT_TRUE(jw.append({7, MapEntry::zero(), MapEntry::zero()}).ok());
  ASSERT_TRUE(jw.commit().ok());
  EXPECT_EQ(jw.next_sequence(), first_ + 3);
  EXPECT_EQ(jw.committed_point_end(), journal_point(first_ + 3, 0));
}

TEST_F(JournalTest, CommittedEntriesAndTheDataTheyMapSurviveACrash) {
  JournalWriter jw(dev_, sb_, first_);
  std::vector<uint8_t> payload(kBlockSize, 0x5A);
  ASSERT_TRUE(write_block(dev_, data(3), payload).ok());  // unflushed until commit (W1)
  ASSERT_TRUE(jw.append({10, MapEntry::whole(data(3)), MapEntry::unmapped()}).ok());
  ASSERT_TRUE(jw.commit().ok());
  ASSERT_TRUE(
      jw.append({11, MapEntry::whole(data(3)), MapEntry::unmapped()}).ok());  // not committed
  dev_.crash();
  auto v = open_volume(dev_);
  ASSERT_TRUE(v.ok()) << v.status.to_string();
  EXPECT_EQ(v.value.replay.entries_replayed, 1u);
  auto [map, counts] = state();
  EXPECT_EQ(map[10], MapEntry::whole(data(3)));
  EXPECT_EQ(map[11], MapEntry::unmapped());
  EXPECT_EQ(counts[3], 1);
  std::vector<uint8_t> got(kBlockSize);
  ASSERT_TRUE(read_block(dev_, data(3), got).ok());
  EXPECT_EQ(got, payload);
}

TEST_F(JournalTest, RingFullRefusesUntilTheHeadAdvances) {
  JournalWriter jw(dev_, sb_, first_);
  for (uint64_t b = 0; b < sb_.geometry.journal_blocks; ++b) {
    ASSERT_TRUE(jw.append({b, MapEntry::zero(), MapEntry::unmapped()}).ok());
    ASSERT_TRUE(jw.commit().ok());
  }
  EXPECT_EQ(jw.free_blocks(), 0u);
  auto p = jw.append({1, MapEntry::zero(), MapEntry::zero()});
  EXPECT_EQ(p.status.code(), StoreErrc::kNoSpace);
  MetadataUpdater up(dev_, sb_);
  for (uint64_t b = 0; b < sb_.geometry.journal_blocks; ++b) {
    ASSERT_TRUE(
        up.apply({b, MapEntry::zero(), MapEntry::unmapped()}, journal_point(first_ + b, 0)).ok());
  }
  ASSERT_TRUE(up.write_back().ok());
  jw.advance_head(jw.next_sequence());
  ASSERT_TRUE(jw.append({1, MapEntry::zero(), MapEntry::zero()}).ok());
  ASSERT_TRUE(jw.commit().ok());
  dev_.crash();
  auto v = open_volume(dev_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value.replay.blocks_replayed, 1u);  // only the block after the head
  auto [map, counts] = state();
  for (uint64_t b = 0; b < sb_.geometry.journal_blocks; ++b) EXPECT_EQ(map[b], MapEntry::zero());
}

TEST_F(JournalTest, AFailedCommitMakesTheWriterReadOnly) {
  JournalWriter jw(dev_, sb_, first_);
  ASSERT_TRUE(jw.append({1, MapEntry::zero(), MapEntry::unmapped()}).ok());
  const int rule = dev_.add_rule({.ops = kFaultWrite, .count = 1});
  EXPECT_EQ(jw.commit().code(), StoreErrc::kIoError);
  dev_.remove_rule(rule);
  EXPECT_TRUE(jw.read_only());
  EXPECT_EQ(jw.commit().code(), StoreErrc::kReadOnly);
  EXPECT_EQ(jw.append({2, MapEntry::zero(), MapEntry::unmapped()}).status.code(),
            StoreErrc::kReadOnly);
}

// An overwrite whose old and new blocks share a refcount block (or are the same block) is one
// decision for that block: applying +1 and then testing the point again would skip the -1.
TEST_F(JournalTest, ReplayAppliesBothCountChangesToASharedRefcountBlock) {
  JournalWriter jw(dev_, sb_, first_);
  ASSERT_TRUE(jw.append({5, MapEntry::whole(data(1)), MapEntry::unmapped()}).ok());
  ASSERT_TRUE(jw.append({5, MapEntry::whole(data(2)), MapEntry::whole(data(1))}).ok());
  ASSERT_TRUE(jw.append({6, MapEntry::fragment(data(2), 3), MapEntry::unmapped()}).ok());
  ASSERT_TRUE(jw.append({6, MapEntry::fragment(data(2), 4), MapEntry::fragment(data(2), 3)}).ok());
  ASSERT_TRUE(jw.commit().ok());
  dev_.crash();
  ASSERT_TRUE(open_volume(dev_).ok());
  auto [map, counts] = state();
  EXPECT_EQ(map[5], MapEntry::whole(data(2)));
  EXPECT_EQ(map[6], MapEntry::fragment(data(2), 4));
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[2], 2);
}

TEST_F(JournalTest, ReplayStopsAtTheFirstGapAndRestartsPastTheNewestBlock) {
  JournalWriter jw(dev_, sb_, first_);
  for (uint64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(jw.append({i, MapEntry::zero(), MapEntry::unmapped()}).ok());
    ASSERT_TRUE(jw.commit().ok());
  }
  // Lose the third block (as if its write had never reached the disk).
  const uint64_t lost = first_ + 2;
  ASSERT_TRUE(write_block(dev_, sb_.geometry.journal_start + lost % sb_.geometry.journal_blocks,
                          std::vector<uint8_t>(kBlockSize))
                  .ok());
  ASSERT_TRUE(dev_.flush().ok());
  auto v = open_volume(dev_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value.replay.blocks_replayed, 2u);
  EXPECT_EQ(v.value.replay.blocks_discarded, 2u);
  EXPECT_EQ(v.value.first_sequence, first_ + 4);
  auto [map, counts] = state();
  EXPECT_EQ(map[1], MapEntry::zero());
  EXPECT_EQ(map[2], MapEntry::unmapped());
  EXPECT_EQ(map[3], MapEntry::unmapped());
}

TEST_F(JournalTest, ReplayRefusesEntriesOutsideTheVolume) {
  JournalWriter jw(dev_, sb_, first_);
  ASSERT_TRUE(
      jw.append({sb_.geometry.logical_blocks, MapEntry::zero(), MapEntry::unmapped()}).ok());
  ASSERT_TRUE(jw.commit().ok());
  EXPECT_EQ(open_volume(dev_).status.code(), StoreErrc::kCorruption);
}

TEST_F(JournalTest, ReplayRefusesACountBelowZero) {
  JournalWriter jw(dev_, sb_, first_);
  ASSERT_TRUE(jw.append({1, MapEntry::unmapped(), MapEntry::whole(data(9))}).ok());
  ASSERT_TRUE(jw.commit().ok());
  auto v = open_volume(dev_);
  EXPECT_EQ(v.status.code(), StoreErrc::kCorruption);
  EXPECT_NE(v.status.message().find("would become -1"), std::string::npos) << v.status.message();
}

}  // namespace
}  // namespace accz::store
