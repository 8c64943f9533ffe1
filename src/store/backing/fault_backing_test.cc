#include "store/backing/fault_backing.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "store/backing/memory_backing.h"

namespace accz::store {
namespace {

constexpr uint64_t kStoreSize = 256 * 1024;

std::vector<uint8_t> filled(size_t n, uint8_t v) { return std::vector<uint8_t>(n, v); }

class FaultBackingTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryBacking> base_ = std::make_shared<MemoryBacking>(kStoreSize);
  FaultBacking dev_{base_, 42};

  std::vector<uint8_t> read_dev(uint64_t offset, size_t n) {
    std::vector<uint8_t> out(n);
    EXPECT_TRUE(dev_.read(offset, out).ok());
    return out;
  }
  std::vector<uint8_t> read_base(uint64_t offset, size_t n) {
    std::vector<uint8_t> out(n);
    EXPECT_TRUE(base_->read(offset, out).ok());
    return out;
  }
};

TEST_F(FaultBackingTest, UnflushedWritesAreVisibleButNotDurable) {
  ASSERT_TRUE(dev_.write(4096, filled(4096, 1)).ok());
  ASSERT_TRUE(dev_.write(4096 + 1024, filled(512, 2)).ok());  // newer overlaps older
  auto seen = read_dev(4096, 4096);
  for (size_t i = 0; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i], (i >= 1024 && i < 1536) ? 2 : 1) << i;
  }
  EXPECT_EQ(read_base(4096, 4096), filled(4096, 0));
  EXPECT_EQ(dev_.stats().unflushed_writes, 2u);
}

TEST_F(FaultBackingTest, CrashDropsUnflushedAndKeepsFlushed) {
  ASSERT_TRUE(dev_.write(0, filled(4096, 1)).ok());
  ASSERT_TRUE(dev_.flush().ok());
  EXPECT_EQ(read_base(0, 4096), filled(4096, 1));
  ASSERT_TRUE(dev_.write(0, filled(4096, 9)).ok());     // overwrite, unflushed
  ASSERT_TRUE(dev_.write(8192, filled(4096, 3)).ok());  // new, unflushed
  CrashReport r = dev_.crash();
  EXPECT_EQ(r.dropped, 2u);
  EXPECT_EQ(r.kept + r.torn, 0u);
  EXPECT_EQ(read_dev(0, 4096), filled(4096, 1));
  EXPECT_EQ(read_dev(8192, 4096), filled(4096, 0));
  EXPECT_EQ(dev_.stats().unflushed_writes, 0u);
  EXPECT_EQ(dev_.stats().crashes, 1u);
  // The restarted device works normally.
  ASSERT_TRUE(dev_.write(8192, filled(4096, 4)).ok());
  ASSERT_TRUE(dev_.flush().ok());
  dev_.crash();
  EXPECT_EQ(read_dev(8192, 4096), filled(4096, 4));
}

TEST_F(FaultBackingTest, CrashCanKeepEveryUnflushedWriteInOrder) {
  ASSERT_TRUE(dev_.write(0, filled(4096, 1)).ok());
  ASSERT_TRUE(dev_.write(0, filled(2048, 2)).ok());
  CrashReport r = dev_.crash({.keep_ppm = kPpmAlways});
  EXPECT_EQ(r.kept, 2u);
  auto got = read_dev(0, 4096);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], i < 2048 ? 2 : 1) << i;
}

TEST_F(FaultBackingTest, RandomSubsetKeepsSomeWritesWholeAndDropsOthers) {
  constexpr int kWrites = 40;
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_TRUE(dev_.write(uint64_t(i) * 4096, filled(4096, uint8_t(i + 1))).ok());
  }
  CrashReport r = dev_.crash({.keep_ppm = kPpmAlways / 2});
  EXPECT_EQ(r.kept + r.dropped, uint64_t(kWrites));
  EXPECT_GT(r.kept, 0u);
  EXPECT_GT(r.dropped, 0u);
  uint64_t kept = 0;
  for (int i = 0; i < kWrites; ++i) {
    auto got = read_dev(uint64_t(i) * 4096, 4096);
    if (got == filled(4096, uint8_t(i + 1))) {
      ++kept;
    } else {
      EXPECT_EQ(got, filled(4096, 0)) << "write " << i << " is neither kept nor dropped";
    }
  }
  EXPECT_EQ(kept, r.kept);
}

TEST_F(FaultBackingTest, TornWritesMixOldAndNewSectors) {
  constexpr size_t kLen = 64 * 1024;
  ASSERT_TRUE(dev_.write(0, filled(kLen, 0xAA)).ok());
  ASSERT_TRUE(dev_.flush().ok());
  ASSERT_TRUE(dev_.write(0, filled(kLen, 0x55)).ok());
  CrashReport r = dev_.crash({.tear_ppm = kPpmAlways});
  EXPECT_EQ(r.torn, 1u);
  auto got = read_dev(0, kLen);
  size_t old_sectors = 0, new_sectors = 0;
  for (size_t s = 0; s < kLen / kSectorSize; ++s) {
    std::vector<uint8_t> sector(got.begin() + s * kSectorSize, got.begin() + (s + 1) * kSectorSize);
    if (sector == filled(kSectorSize, 0xAA)) {
      ++old_sectors;
    } else {
      ASSERT_EQ(sector, filled(kSectorSize, 0x55)) << "sector " << s << " is mixed inside";
      ++new_sectors;
    }
  }
  // 128 sectors each kept with probability 1/2: both kinds appear (for this seed, surely).
  EXPECT_GT(old_sectors, 0u);
  EXPECT_GT(new_sectors, 0u);
}

TEST_F(FaultBackingTest, SameSeedSameCrash) {
  auto run = [](uint64_t seed) {
    auto base = std::make_shared<MemoryBacking>(kStoreSize);
    FaultBacking dev(base, seed);
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(dev.write(uint64_t(i) * 8192, filled(8192, uint8_t(i + 1))).ok());
    }
    dev.crash({.keep_ppm = 300'000, .tear_ppm = 400'000});
    return base->snapshot();
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST_F(FaultBackingTest, InjectedWriteFailureReturnsEioAndChangesNothing) {
  ASSERT_TRUE(dev_.write(0, filled(4096, 1)).ok());
  ASSERT_TRUE(dev_.flush().ok());
  FaultRule rule;
  rule.ops = kFaultWrite;
  rule.skip = 2;
  rule.count = 1;
  dev_.add_rule(rule);
  EXPECT_TRUE(dev_.write(4096, filled(4096, 2)).ok());
  EXPECT_TRUE(dev_.write(8192, filled(4096, 3)).ok());
  StoreStatus s = dev_.write(0, filled(4096, 4));  // the third write fails
  EXPECT_EQ(s.code(), StoreErrc::kIoError);
  EXPECT_EQ(s.posix_errno(), EIO);
  EXPECT_EQ(read_dev(0, 4096), filled(4096, 1));
  EXPECT_TRUE(dev_.write(0, filled(4096, 5)).ok());  // count exhausted
  EXPECT_EQ(dev_.stats().injected_failures, 1u);
  ASSERT_TRUE(dev_.flush().ok());
  dev_.crash();
  EXPECT_EQ(read_dev(0, 4096), filled(4096, 5));
  EXPECT_EQ(read_dev(4096, 4096), filled(4096, 2));
}

TEST_F(FaultBackingTest, FaultsByOffsetRange) {
  FaultRule rule;
  rule.ops = kFaultRead | kFaultWrite;
  rule.offset_begin = 16384;
  rule.offset_end = 20480;
  int id = dev_.add_rule(rule);
  EXPECT_TRUE(dev_.write(12288, filled(4096, 1)).ok());  // ends where the range begins
  EXPECT_EQ(dev_.write(12288, filled(8192, 1)).code(), StoreErrc::kIoError);  // overlaps
  EXPECT_EQ(dev_.write(19968, filled(512, 1)).code(), StoreErrc::kIoError);
  EXPECT_TRUE(dev_.write(20480, filled(512, 1)).ok());
  std::vector<uint8_t> out(4096);
  EXPECT_EQ(dev_.read(16384, out).code(), StoreErrc::kIoError);
  EXPECT_TRUE(dev_.flush().ok());  // the rule does not select flushes
  dev_.remove_rule(id);
  EXPECT_TRUE(dev_.read(16384, out).ok());
  EXPECT_EQ(out, filled(4096, 0));
}

TEST_F(FaultBackingTest, FailedFlushLeavesWritesUnflushed) {
  ASSERT_TRUE(dev_.write(0, filled(4096, 1)).ok());
  FaultRule rule;
  rule.ops = kFaultFlush;
  rule.count = 1;
  dev_.add_rule(rule);
  EXPECT_EQ(dev_.flush().code(), StoreErrc::kIoError);
  EXPECT_EQ(read_base(0, 4096), filled(4096, 0));
  EXPECT_EQ(dev_.stats().unflushed_writes, 1u);
  EXPECT_TRUE(dev_.flush().ok());
  EXPECT_EQ(read_base(0, 4096), filled(4096, 1));
}

TEST_F(FaultBackingTest, ProbabilisticFaultsAreSeededAndPartial) {
  auto failures = [](uint64_t seed) {
    auto base = std::make_shared<MemoryBacking>(kStoreSize);
    FaultBacking dev(base, seed);
    FaultRule rule;
    rule.ops = kFaultRead;
    rule.probability_ppm = 250'000;
    dev.add_rule(rule);
    std::vector<bool> failed;
    std::vector<uint8_t> out(512);
    for (int i = 0; i < 400; ++i) failed.push_back(!dev.read(0, out).ok());
    return failed;
  };
  auto a = failures(1);
  EXPECT_EQ(a, failures(1));
  size_t n = 0;
  for (bool f : a) n += f;
  EXPECT_GT(n, 50u);  // about 100 expected
  EXPECT_LT(n, 160u);
}

TEST_F(FaultBackingTest, StopWritingDiscardsFromAChosenWrite) {
  ASSERT_TRUE(dev_.write(0, filled(4096, 1)).ok());
  ASSERT_TRUE(dev_.flush().ok());
  dev_.stop_writing_after(2);
  EXPECT_TRUE(dev_.write(4096, filled(4096, 2)).ok());
  EXPECT_TRUE(dev_.write(8192, filled(4096, 3)).ok());
  EXPECT_FALSE(dev_.stopped());
  EXPECT_TRUE(dev_.write(12288, filled(4096, 4)).ok());  // acknowledged, discarded
  EXPECT_TRUE(dev_.stopped());
  EXPECT_TRUE(dev_.flush().ok());  // acknowledged, but it never reaches the device
  EXPECT_EQ(read_dev(12288, 4096), filled(4096, 0));
  EXPECT_EQ(read_base(4096, 4096), filled(4096, 0));
  dev_.crash({.keep_ppm = kPpmAlways});  // the two allowed writes were in the cache
  EXPECT_FALSE(dev_.stopped());
  EXPECT_EQ(read_dev(0, 4096), filled(4096, 1));
  EXPECT_EQ(read_dev(4096, 4096), filled(4096, 2));
  EXPECT_EQ(read_dev(8192, 4096), filled(4096, 3));
  EXPECT_EQ(read_dev(12288, 4096), filled(4096, 0));
  EXPECT_EQ(dev_.stats().discarded_after_stop, 2u);
}

TEST_F(FaultBackingTest, StopWritingCanFailInstead) {
  dev_.stop_writing_after(0, FaultBacking::StopMode::kFail);
  EXPECT_EQ(dev_.write(0, filled(512, 1)).code(), StoreErrc::kIoError);
  EXPECT_EQ(dev_.flush().code(), StoreErrc::kIoError);
  std::vector<uint8_t> out(512);
  EXPECT_TRUE(dev_.read(0, out).ok());  // reads still work
  dev_.crash();
  EXPECT_TRUE(dev_.write(0, filled(512, 1)).ok());
}

TEST_F(FaultBackingTest, ChecksArgumentsLikeEveryBackingStore) {
  EXPECT_EQ(dev_.write(3, filled(512, 1)).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(dev_.write(kStoreSize, filled(512, 1)).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(dev_.stats().unflushed_writes, 0u);
  EXPECT_EQ(dev_.size(), kStoreSize);
}

}  // namespace
}  // namespace accz::store
