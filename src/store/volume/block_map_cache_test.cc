#include "store/volume/block_map_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "store/backing/fault_backing.h"
#include "store/backing/memory_backing.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"
#include "store/volume/cutoff_backing_for_test.h"
#include "store/volume/journal_writer.h"
#include "store/volume/metadata_updater.h"
#include "store/volume/open_volume.h"
#include "store/volume/superblock_io.h"
#include "util/rng.h"

namespace accz::store {
namespace {

constexpr uint64_t kDevBlocks = 512;
constexpr uint64_t kPages = 24;
constexpr uint64_t kLogical = kPages * kMapEntriesPerPage;

class BlockMapCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CreateOptions o;
    o.logical_blocks = kLogical;
    o.journal_blocks = 16;
    o.nonce = 0x5EED;
    ASSERT_TRUE(create_volume(dev_, o).ok());
    auto v = open_volume(dev_);
    ASSERT_TRUE(v.ok());
    sb_ = v.value.sb;
    first_ = v.value.first_sequence;
  }
  MapEntry on_disk(uint64_t lbn) {
    MetadataUpdater r(dev_, sb_);
    auto e = r.map_entry(lbn);
    EXPECT_TRUE(e.ok());
    return e.value;
  }

  std::shared_ptr<MemoryBacking> base_ = std::make_shared<MemoryBacking>(kDevBlocks * kBlockSize);
  FaultBacking dev_{base_, 9};
  Superblock sb_;
  uint64_t first_ = 1;
};

TEST_F(BlockMapCacheTest, MemoryStaysWithinCapacityAndEvictedPagesReadBack) {
  BlockMapCache cache(dev_, sb_, 3);
  Rng rng(1);
  std::vector<MapEntry> model(kLogical);
  uint64_t point = journal_point(first_, 0);
  for (int i = 0; i < 3000; ++i) {
    const uint64_t lbn = rng.below(kLogical);
    if (rng.below(2) == 0) {
      const MapEntry e = rng.below(3) == 0 ? MapEntry::unmapped()
                                           : MapEntry::whole(sb_.geometry.data_start + i % 50);
      ASSERT_TRUE(cache.update(lbn, e, ++point).ok());
      model[lbn] = e;
      cache.set_committed_end(point + 1);
    } else {
      auto got = cache.lookup(lbn);
      ASSERT_TRUE(got.ok()) << got.status.to_string();
      ASSERT_EQ(got.value, model[lbn]) << lbn;
    }
    ASSERT_LE(cache.pages_cached(), 3u);
  }
  EXPECT_GT(cache.stats().evictions, 100u);
  ASSERT_TRUE(cache.write_back_committed().ok());
  EXPECT_EQ(cache.pages_dirty(), 0u);
  EXPECT_EQ(cache.oldest_unwritten_point(), UINT64_MAX);
  for (uint64_t lbn = 0; lbn < kLogical; lbn += 7) ASSERT_EQ(on_disk(lbn), model[lbn]) << lbn;
}

// peek() serves the engine's lock-free-of-I/O read path: cached pages only, nothing changed.
TEST_F(BlockMapCacheTest, PeekAnswersFromCachedPagesOnlyAndChangesNothing) {
  BlockMapCache cache(dev_, sb_, 2);
  const uint64_t p = journal_point(first_, 0);
  EXPECT_FALSE(cache.peek(5).has_value());  // page 0 not cached
  EXPECT_EQ(cache.pages_cached(), 0u);
  const MapEntry e = MapEntry::whole(sb_.geometry.data_start + 3);
  ASSERT_TRUE(cache.update(5, e, p).ok());
  EXPECT_EQ(cache.peek(5), e);
  EXPECT_EQ(cache.peek(6), MapEntry::unmapped());
  EXPECT_FALSE(cache.peek(kMapEntriesPerPage).has_value());
  EXPECT_FALSE(cache.peek(kLogical).has_value());  // beyond the volume
  const BlockMapCacheStats before = cache.stats();
  ASSERT_TRUE(cache.lookup(kMapEntriesPerPage).ok());
  cache.set_committed_end(p + 1);
  ASSERT_TRUE(cache.write_back_committed().ok());
  // Page 0 is the least recently used, but readers peeked at it since: it gets a second
  // chance, and page 1 is evicted for a third page.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(cache.peek(5), e);
  ASSERT_TRUE(cache.lookup(2 * kMapEntriesPerPage + 1).ok());
  EXPECT_EQ(cache.peek(5), e);
  EXPECT_FALSE(cache.peek(kMapEntriesPerPage).has_value());
  // Peeks count no hits and read nothing.
  EXPECT_EQ(cache.stats().hits, before.hits);
  EXPECT_EQ(cache.stats().misses, before.misses + 2);
  EXPECT_EQ(on_disk(5), e);
}

TEST_F(BlockMapCacheTest, ASecondChanceIsUsedUpByEviction) {
  BlockMapCache cache(dev_, sb_, 2);
  ASSERT_TRUE(cache.lookup(0).ok());
  ASSERT_TRUE(cache.lookup(kMapEntriesPerPage).ok());
  ASSERT_TRUE(cache.peek(0).has_value());
  ASSERT_TRUE(cache.peek(kMapEntriesPerPage).has_value());
  // Both peeked: both go to the front once, flags cleared; the least recent of them (page 0)
  // is evicted after all, and page 1, not peeked again, goes next.
  ASSERT_TRUE(cache.lookup(2 * kMapEntriesPerPage).ok());
  EXPECT_FALSE(cache.peek(0).has_value());
  EXPECT_TRUE(cache.peek(kMapEntriesPerPage).has_value());
  ASSERT_TRUE(cache.lookup(3 * kMapEntriesPerPage).ok());  // page 1 was peeked just now
  EXPECT_TRUE(cache.peek(kMapEntriesPerPage).has_value());
  EXPECT_FALSE(cache.peek(2 * kMapEntriesPerPage).has_value());
  EXPECT_EQ(cache.pages_cached(), 2u);
}

TEST_F(BlockMapCacheTest, UncommittedPagesAreNeitherWrittenNorEvicted) {
  BlockMapCache cache(dev_, sb_, 2);
  const uint64_t p = journal_point(first_, 0);
  ASSERT_TRUE(cache.update(0, MapEntry::zero(), p).ok());
  ASSERT_TRUE(cache.update(kMapEntriesPerPage, MapEntry::zero(), p + 1).ok());
  EXPECT_EQ(cache.oldest_unwritten_point(), p);
  const auto before = base_->snapshot();
  auto third = cache.lookup(2 * kMapEntriesPerPage);
  EXPECT_EQ(third.status.code(), StoreErrc::kNoSpace);
  ASSERT_TRUE(cache.write_back_committed().ok());  // nothing committed: nothing written
  EXPECT_EQ(base_->snapshot(), before);
  EXPECT_EQ(cache.pages_cached(), 2u);
  // Once the first change is committed, its page is written back and makes room.
  cache.set_committed_end(p + 1);
  ASSERT_TRUE(cache.lookup(2 * kMapEntriesPerPage).ok());
  EXPECT_EQ(on_disk(0), MapEntry::zero());
  EXPECT_EQ(on_disk(kMapEntriesPerPage), MapEntry::unmapped());
  EXPECT_EQ(cache.oldest_unwritten_point(), p + 1);
}

TEST_F(BlockMapCacheTest, WritesAlternateBetweenTheTwoCopies) {
  BlockMapCache cache(dev_, sb_, 4);
  std::vector<uint64_t> copy_points;
  for (uint64_t k = 1; k <= 4; ++k) {
    const uint64_t point = journal_point(first_, static_cast<uint32_t>(k));
    ASSERT_TRUE(cache.update(5, MapEntry::whole(sb_.geometry.data_start + k), point).ok());
    cache.set_committed_end(point + 1);
    ASSERT_TRUE(cache.write_back_committed().ok());
    std::vector<uint8_t> b(kBlockSize);
    MapPageEntries e{};
    // Copy k % 2 holds the newest version: the other one is left intact each time.
    ASSERT_TRUE(read_block(dev_, sb_.geometry.blockmap_start + (k + 1) % 2, b).ok());
    auto info = decode_map_page(b, 0, sb_.nonce, &e);
    EXPECT_EQ(info.state, BlockState::kValid);
    EXPECT_EQ(info.point, point) << k;
    if (k > 1) {
      ASSERT_TRUE(read_block(dev_, sb_.geometry.blockmap_start + k % 2, b).ok());
      EXPECT_EQ(decode_map_page(b, 0, sb_.nonce, &e).point,
                journal_point(first_, static_cast<uint32_t>(k - 1)));
    }
  }
}

TEST_F(BlockMapCacheTest, AFailedWriteBackMakesTheCacheReadOnly) {
  BlockMapCache cache(dev_, sb_, 4);
  const uint64_t p = journal_point(first_, 0);
  ASSERT_TRUE(cache.update(1, MapEntry::zero(), p).ok());
  cache.set_committed_end(p + 1);
  const int rule = dev_.add_rule({.ops = kFaultWrite, .count = 1});
  EXPECT_EQ(cache.write_back_committed().code(), StoreErrc::kIoError);
  dev_.remove_rule(rule);
  EXPECT_TRUE(cache.read_only());
  EXPECT_EQ(cache.update(2, MapEntry::zero(), p + 1).code(), StoreErrc::kReadOnly);
}

// The journal and a two-page cache under random remaps with power cuts at every kind of
// write: after replay the map equals the committed prefix (or a longer one), whatever the
// cache had written back, torn, or evicted.
TEST_F(BlockMapCacheTest, CrashesWithEvictionsRecoverToACommittedPrefix) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto base = std::make_shared<MemoryBacking>(kDevBlocks * kBlockSize);
    FaultBacking fault(base, seed);
    CutoffBacking dev(fault);
    CreateOptions o;
    o.logical_blocks = kLogical;
    o.journal_blocks = 16;
    o.nonce = seed;
    ASSERT_TRUE(create_volume(dev, o).ok());
    auto v = open_volume(dev);
    ASSERT_TRUE(v.ok());
    Superblock sb = v.value.sb;
    Rng rng(seed);
    JournalWriter jw(dev, sb, v.value.first_sequence);
    BlockMapCache cache(dev, sb, 2);
    std::vector<JournalEntry> entries;
    size_t committed = 0;
    size_t submitted = 0;  // entries handed to a commit: no others can reach the journal
    std::vector<MapEntry> current(kLogical);
    // Cut power at a random write or flush, silently: the cache and journal go on believing.
    dev.cut_after(rng.below(300));
    auto commit_and_advance = [&]() {
      submitted = entries.size();
      ASSERT_TRUE(jw.commit().ok());
      if (!dev.cut()) committed = entries.size();
      cache.set_committed_end(jw.committed_point_end());
      // W3: the head moves only past blocks whose changes are all durable in pages.
      const uint64_t oldest = cache.oldest_unwritten_point();
      jw.advance_head(oldest == UINT64_MAX ? jw.next_sequence() : oldest / 256);
    };
    for (int i = 0; i < 400 && !dev.cut(); ++i) {
      const uint64_t lbn = rng.below(40) * 61 % kLogical;  // spread over many pages
      const JournalEntry e{lbn, rng.below(2) ? MapEntry::zero() : MapEntry::unmapped(),
                           current[lbn]};
      auto p = jw.append(e);
      if (p.status.code() == StoreErrc::kNoSpace) {
        commit_and_advance();
        ASSERT_TRUE(cache.write_back_committed().ok());
        commit_and_advance();
        p = jw.append(e);
      }
      ASSERT_TRUE(p.ok()) << p.status.to_string();
      entries.push_back(e);
      current[lbn] = e.new_entry;
      StoreStatus s = cache.update(lbn, e.new_entry, p.value);
      if (s.code() == StoreErrc::kNoSpace) {
        commit_and_advance();
        s = cache.update(lbn, e.new_entry, p.value);
      }
      ASSERT_TRUE(s.ok()) << s.to_string();
      if (rng.below(4) == 0) commit_and_advance();
    }
    dev.never_cut();
    fault.crash({.keep_ppm = 300'000, .tear_ppm = 300'000});
    auto r = open_volume(dev);
    ASSERT_TRUE(r.ok()) << r.status.to_string();
    MetadataUpdater reader(dev, r.value.sb);
    std::vector<MapEntry> got(kLogical);
    for (uint64_t l = 0; l < kLogical; ++l) got[l] = reader.map_entry(l).value;
    std::vector<MapEntry> prefix(kLogical);
    for (size_t i = 0; i < committed; ++i) prefix[entries[i].lbn] = entries[i].new_entry;
    bool matched = prefix == got;
    for (size_t i = committed; !matched && i < submitted; ++i) {
      prefix[entries[i].lbn] = entries[i].new_entry;
      matched = prefix == got;
    }
    ASSERT_TRUE(matched) << committed << " committed, " << submitted << " submitted";
  }
}

}  // namespace
}  // namespace accz::store
