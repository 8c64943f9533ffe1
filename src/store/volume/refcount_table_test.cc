#include "store/volume/refcount_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <vector>

#include "store/backing/fault_backing.h"
#include "store/backing/memory_backing.h"
#include "store/format/layout.h"
#include "store/volume/cutoff_backing_for_test.h"
#include "store/volume/journal_writer.h"
#include "store/volume/open_volume.h"
#include "store/volume/superblock_io.h"
#include "util/rng.h"

namespace accz::store {
namespace {

constexpr uint64_t kDevBlocks = 256;

class RefcountTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CreateOptions o;
    o.logical_blocks = 1000;
    o.journal_blocks = 16;
    o.nonce = 0xC0C0;
    ASSERT_TRUE(create_volume(dev_, o).ok());
    auto v = open_volume(dev_);
    ASSERT_TRUE(v.ok());
    sb_ = v.value.sb;
    p_ = journal_point(v.value.first_sequence, 0);
  }
  uint64_t data(uint64_t i) const { return sb_.geometry.data_start + i; }

  std::shared_ptr<MemoryBacking> base_ = std::make_shared<MemoryBacking>(kDevBlocks * kBlockSize);
  FaultBacking dev_{base_, 3};
  Superblock sb_;
  uint64_t p_ = 0;  // next journal point to use
};

TEST_F(RefcountTableTest, AFreshVolumeIsAllFreeAndAllocationRunsOut) {
  RefcountTable t(dev_, sb_);
  ASSERT_TRUE(t.load().ok());
  EXPECT_EQ(t.blocks_in_use(), 0u);
  EXPECT_EQ(t.blocks_allocatable(), sb_.geometry.data_blocks);
  std::set<uint64_t> got;
  for (uint64_t i = 0; i < sb_.geometry.data_blocks; ++i) {
    auto a = t.allocate();
    ASSERT_TRUE(a.ok());
    EXPECT_GE(a.value, sb_.geometry.data_start);
    EXPECT_TRUE(got.insert(a.value).second);
  }
  EXPECT_EQ(t.allocate().status.code(), StoreErrc::kNoSpace);
  t.release(*got.begin());
  EXPECT_EQ(t.allocate().value, *got.begin());
}

TEST_F(RefcountTableTest, AFreedBlockIsReusedOnlyOnceItsFreeIsCommitted) {
  RefcountTable t(dev_, sb_);
  ASSERT_TRUE(t.load().ok());
  auto a = t.allocate();
  ASSERT_TRUE(a.ok());
  const uint64_t pbn = a.value;
  ASSERT_TRUE(t.apply({1, MapEntry::whole(pbn), MapEntry::unmapped()}, p_).ok());
  ASSERT_TRUE(t.apply({2, MapEntry::whole(pbn), MapEntry::unmapped()}, p_ + 1).ok());
  EXPECT_EQ(t.count(pbn), 2);
  t.set_committed_end(p_ + 2);
  ASSERT_TRUE(t.apply({1, MapEntry::zero(), MapEntry::whole(pbn)}, p_ + 2).ok());
  ASSERT_TRUE(t.apply({2, MapEntry::zero(), MapEntry::whole(pbn)}, p_ + 3).ok());
  EXPECT_EQ(t.count(pbn), 0);
  EXPECT_EQ(t.blocks_in_use(), 0u);
  const uint64_t before = t.blocks_allocatable();
  t.set_committed_end(p_ + 3);  // the second free is not committed yet
  EXPECT_EQ(t.blocks_allocatable(), before);
  t.set_committed_end(p_ + 4);
  EXPECT_EQ(t.blocks_allocatable(), before + 1);
}

TEST_F(RefcountTableTest, OnlyTheNewestFreeOfABlockReleasesIt) {
  RefcountTable t(dev_, sb_);
  ASSERT_TRUE(t.load().ok());
  const uint64_t pbn = t.allocate().value;
  ASSERT_TRUE(t.apply({1, MapEntry::whole(pbn), MapEntry::unmapped()}, p_).ok());
  ASSERT_TRUE(t.apply({1, MapEntry::zero(), MapEntry::whole(pbn)}, p_ + 1).ok());      // free 1
  ASSERT_TRUE(t.apply({2, MapEntry::whole(pbn), MapEntry::unmapped()}, p_ + 2).ok());  // dedupe
  ASSERT_TRUE(t.apply({2, MapEntry::zero(), MapEntry::whole(pbn)}, p_ + 3).ok());      // free 2
  const uint64_t before = t.blocks_allocatable();
  t.set_committed_end(p_ + 2);  // free 1 committed, free 2 not
  EXPECT_EQ(t.blocks_allocatable(), before);
  t.set_committed_end(p_ + 4);
  EXPECT_EQ(t.blocks_allocatable(), before + 1);
}

TEST_F(RefcountTableTest, TheLimitStopsSharingAndOverflowIsRefused) {
  RefcountTable t(dev_, sb_);
  ASSERT_TRUE(t.load().ok());
  const uint64_t pbn = t.allocate().value;
  for (uint64_t i = 0; i < kRefcountLimit; ++i) {
    EXPECT_TRUE(i == 0 || t.can_share(pbn));
    ASSERT_TRUE(t.apply({i, MapEntry::whole(pbn), MapEntry::unmapped()}, p_ + i).ok());
  }
  EXPECT_EQ(t.count(pbn), kRefcountLimit);
  EXPECT_FALSE(t.can_share(pbn));
  auto s = t.apply({900, MapEntry::whole(pbn), MapEntry::unmapped()}, p_ + 1000);
  EXPECT_EQ(s.code(), StoreErrc::kCorruption);
  EXPECT_EQ(t.count(pbn), kRefcountLimit);
  // An overwrite onto the same block nets to zero, even at the limit.
  EXPECT_TRUE(t.apply({5, MapEntry::whole(pbn), MapEntry::whole(pbn)}, p_ + 1001).ok());
  EXPECT_EQ(t.count(pbn), kRefcountLimit);
}

TEST_F(RefcountTableTest, WritesBackOnlyCommittedChangesAndReloads) {
  RefcountTable t(dev_, sb_);
  ASSERT_TRUE(t.load().ok());
  ASSERT_TRUE(t.apply({1, MapEntry::whole(data(7)), MapEntry::unmapped()}, p_).ok());
  const auto before = base_->snapshot();
  ASSERT_TRUE(t.write_back_committed().ok());
  EXPECT_EQ(base_->snapshot(), before);
  EXPECT_EQ(t.oldest_unwritten_point(), p_);
  t.set_committed_end(p_ + 1);
  ASSERT_TRUE(t.write_back_committed().ok());
  EXPECT_EQ(t.oldest_unwritten_point(), UINT64_MAX);
  RefcountTable again(dev_, sb_);
  ASSERT_TRUE(again.load().ok());
  EXPECT_EQ(again.count(data(7)), 1);
  EXPECT_EQ(again.blocks_in_use(), 1u);
  // The next version goes to the other copy.
  ASSERT_TRUE(t.apply({2, MapEntry::whole(data(7)), MapEntry::unmapped()}, p_ + 1).ok());
  t.set_committed_end(p_ + 2);
  ASSERT_TRUE(t.write_back_committed().ok());
  for (int copy = 0; copy < 2; ++copy) {
    std::vector<uint8_t> b(kBlockSize);
    ASSERT_TRUE(dev_.read((sb_.geometry.refcount_start + copy) * kBlockSize, b).ok());
    RefcountArray c{};
    EXPECT_EQ(decode_refcount_block(b, 0, sb_.nonce, &c).point, p_ + uint64_t(copy)) << copy;
  }
}

TEST_F(RefcountTableTest, AllocationRotatesAndWrapsWithoutReusingUncommittedFrees) {
  RefcountTable t(dev_, sb_);
  ASSERT_TRUE(t.load().ok());
  const uint64_t n = sb_.geometry.data_blocks;
  ASSERT_GE(n, 8u);
  // The cursor walks forward: a released low block is not taken before the ones after it.
  for (uint64_t i = 0; i < n; ++i) EXPECT_EQ(t.allocate().value, data(i));
  EXPECT_EQ(t.allocate().status.code(), StoreErrc::kNoSpace);
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(t.apply({i, MapEntry::whole(data(i)), MapEntry::unmapped()}, p_ + i).ok());
  }
  t.set_committed_end(p_ + 3);
  // Slot 1 is freed by an uncommitted entry; slots 3 and n - 2 come back unused.
  ASSERT_TRUE(t.apply({1, MapEntry::zero(), MapEntry::whole(data(1))}, p_ + 3).ok());
  t.release(data(n - 2));
  t.release(data(3));
  EXPECT_EQ(t.blocks_allocatable(), 2u);
  EXPECT_EQ(t.allocate().value, data(3));
  EXPECT_EQ(t.allocate().value, data(n - 2));
  // The search wraps past the end and finds only slot 1, whose free is not committed (W5).
  EXPECT_EQ(t.allocate().status.code(), StoreErrc::kNoSpace);
  t.set_committed_end(p_ + 4);
  EXPECT_EQ(t.blocks_allocatable(), 1u);
  EXPECT_EQ(t.allocate().value, data(1));  // found after the wrap
  t.release(data(n - 2));
  EXPECT_EQ(t.allocate().value, data(n - 2));
}

// Holds only the blocks written, so a volume of millions of blocks costs what its metadata
// writes cost.
class SparseBacking : public BackingStore {
 public:
  explicit SparseBacking(uint64_t size) : size_(size) {}
  StoreStatus read(uint64_t offset, MutableByteSpan out) override {
    StoreStatus st = check_io_range("read", offset, out.size(), size_);
    if (!st.ok()) return st;
    for (uint64_t done = 0; done < out.size();) {
      const uint64_t at = offset + done;
      const uint64_t n = std::min<uint64_t>(kBlockSize - at % kBlockSize, out.size() - done);
      auto it = blocks_.find(at / kBlockSize);
      if (it == blocks_.end()) {
        std::memset(out.data() + done, 0, n);
      } else {
        std::memcpy(out.data() + done, it->second.data() + at % kBlockSize, n);
      }
      done += n;
    }
    return StoreStatus::Ok();
  }
  StoreStatus write(uint64_t offset, ByteSpan in) override {
    StoreStatus st = check_io_range("write", offset, in.size(), size_);
    if (!st.ok()) return st;
    for (uint64_t done = 0; done < in.size();) {
      const uint64_t at = offset + done;
      const uint64_t n = std::min<uint64_t>(kBlockSize - at % kBlockSize, in.size() - done);
      auto& b = blocks_[at / kBlockSize];
      b.resize(kBlockSize);
      std::memcpy(b.data() + at % kBlockSize, in.data() + done, n);
      done += n;
    }
    return StoreStatus::Ok();
  }
  StoreStatus flush() override { return StoreStatus::Ok(); }
  uint64_t size() const override { return size_; }

 private:
  uint64_t size_;
  std::unordered_map<uint64_t, std::vector<uint8_t>> blocks_;
};

// Millions of blocks: the table costs its count byte and bitmap bit per block whatever is
// free, and the cursor wraps around the whole volume without handing out an uncommitted free.
TEST(RefcountTableLarge, MemoryIsTheCountsAndBitmapAndTheWrapKeepsW5) {
  SparseBacking dev(uint64_t{1} << 22 << 12);  // 4 Mi blocks, 16 GiB
  CreateOptions o;
  o.logical_blocks = 1000;
  o.journal_blocks = 16;
  o.nonce = 0xB16;
  ASSERT_TRUE(create_volume(dev, o).ok());
  auto v = open_volume(dev);
  ASSERT_TRUE(v.ok());
  const Superblock sb = v.value.sb;
  const uint64_t n = sb.geometry.data_blocks;
  ASSERT_GE(n, uint64_t{4'000'000});
  uint64_t p = journal_point(v.value.first_sequence, 0);
  RefcountTable t(dev, sb);
  ASSERT_TRUE(t.load().ok());
  EXPECT_EQ(t.blocks_allocatable(), n);
  // One count byte and one bitmap bit per block, plus 32 bytes per refcount block (1/4096).
  const uint64_t bound = n + n / 8 + n / 64 + 4096;
  EXPECT_GE(t.memory_bytes(), n);
  EXPECT_LE(t.memory_bytes(), bound);

  const uint64_t d = sb.geometry.data_start;
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_EQ(t.allocate().value, d + i);
    ASSERT_TRUE(t.apply({i, MapEntry::whole(d + i), MapEntry::unmapped()}, p++).ok());
  }
  t.set_committed_end(p);
  ASSERT_TRUE(t.apply({1, MapEntry::zero(), MapEntry::whole(d + 1)}, p++).ok());  // uncommitted
  // Walk the whole volume, giving each block back: the allocations ascend to the end, then
  // wrap to slot 3, skipping slot 1 whose free is not committed.
  uint64_t want = 3;
  for (uint64_t i = 0; i < n - 3; ++i) {
    auto a = t.allocate();
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(a.value, d + want) << i;
    t.release(a.value);
    want = want + 1 == n ? 3 : want + 1;
  }
  ASSERT_EQ(want, 3u);
  EXPECT_EQ(t.allocate().value, d + 3);  // wrapped
  EXPECT_EQ(t.blocks_allocatable(), n - 4);
  EXPECT_LE(t.memory_bytes(), bound);
  t.set_committed_end(p);
  EXPECT_EQ(t.blocks_allocatable(), n - 3);
  EXPECT_LE(t.memory_bytes(), bound);
}

// The journal and the table under random remaps, the table written back at random and the
// head following its oldest unwritten change, with power cuts at any write or flush: after
// replay the counts equal those of a prefix holding every committed entry.
TEST(RefcountTableCrash, CountsRecoverToACommittedPrefix) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto base = std::make_shared<MemoryBacking>(kDevBlocks * kBlockSize);
    FaultBacking fault(base, seed);
    CutoffBacking dev(fault);
    CreateOptions o;
    o.logical_blocks = 300;
    o.journal_blocks = 16;
    o.nonce = seed;
    ASSERT_TRUE(create_volume(dev, o).ok());
    auto v = open_volume(dev);
    ASSERT_TRUE(v.ok());
    const Superblock sb = v.value.sb;
    JournalWriter jw(dev, sb, v.value.first_sequence);
    RefcountTable t(dev, sb);
    ASSERT_TRUE(t.load().ok());
    Rng rng(seed);
    std::vector<MapEntry> map(o.logical_blocks);
    std::vector<JournalEntry> entries;
    size_t committed = 0;
    size_t submitted = 0;  // entries handed to a commit: no others can reach the journal
    dev.cut_after(rng.below(250));
    auto commit = [&]() {
      submitted = entries.size();
      ASSERT_TRUE(jw.commit().ok());
      if (!dev.cut()) committed = entries.size();
      t.set_committed_end(jw.committed_point_end());
    };
    auto checkpoint = [&]() {
      ASSERT_TRUE(t.write_back_committed().ok());
      const uint64_t oldest = t.oldest_unwritten_point();
      jw.advance_head(oldest == UINT64_MAX ? jw.next_sequence() : oldest / 256);
    };
    for (int i = 0; i < 400 && !dev.cut(); ++i) {
      const uint64_t lbn = rng.below(static_cast<uint32_t>(o.logical_blocks));
      JournalEntry e{lbn, MapEntry::unmapped(), map[lbn]};
      const uint32_t kind = rng.below(10);
      const uint64_t other = map[rng.below(static_cast<uint32_t>(o.logical_blocks))].pbn;
      if (kind < 4) {
        auto a = t.allocate();
        if (a.ok()) e.new_entry = MapEntry::whole(a.value);
      } else if (kind < 7 && other != 0 && t.can_share(other)) {
        e.new_entry = MapEntry::fragment(other, 2);
      }
      auto p = jw.append(e);
      if (p.status.code() == StoreErrc::kNoSpace) {
        commit();
        checkpoint();
        p = jw.append(e);
      }
      ASSERT_TRUE(p.ok()) << p.status.to_string();
      ASSERT_TRUE(t.apply(e, p.value).ok());
      entries.push_back(e);
      map[lbn] = e.new_entry;
      if (rng.below(3) == 0) commit();
      if (rng.below(8) == 0) checkpoint();
    }
    dev.never_cut();
    fault.crash({.keep_ppm = 300'000, .tear_ppm = 300'000});
    auto r = open_volume(dev);
    ASSERT_TRUE(r.ok()) << r.status.to_string();
    RefcountTable got(dev, r.value.sb);
    ASSERT_TRUE(got.load().ok());
    auto counts_of = [&](size_t n) {
      std::map<uint64_t, int> c;
      for (size_t i = 0; i < n; ++i) {
        if (entries[i].new_entry.references_block()) ++c[entries[i].new_entry.pbn];
        if (entries[i].old_entry.references_block()) --c[entries[i].old_entry.pbn];
      }
      return c;
    };
    bool matched = false;
    for (size_t n = committed; !matched && n <= submitted; ++n) {
      const auto want = counts_of(n);
      matched = true;
      for (uint64_t s = 0; s < sb.geometry.data_blocks && matched; ++s) {
        const uint64_t pbn = sb.geometry.data_start + s;
        auto it = want.find(pbn);
        matched = got.count(pbn) == (it == want.end() ? 0 : it->second);
      }
    }
    ASSERT_TRUE(matched) << committed << " committed, " << submitted << " submitted";
  }
}

}  // namespace
}  // namespace accz::store
