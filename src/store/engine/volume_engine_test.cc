#include "store/engine/volume_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/backing/fault_backing.h"
#include "store/backing/memory_backing.h"
#include "store/format/endian.h"
#include "store/volume/checker.h"
#include "store/volume/cutoff_backing_for_test.h"
#include "store/volume/superblock_io.h"
#include "util/rng.h"

namespace accz::store {
namespace {

constexpr uint64_t kB = kVolumeBlockSize;

Accel* test_accel() {
  static std::unique_ptr<Accel> accel = [] {
    AccelOptions o;
    o.cpu_instances = 2;
    std::string err;
    auto a = Accel::open(o, &err);
    EXPECT_NE(a, nullptr) << err;
    return a;
  }();
  return accel.get();
}

// Words from a small vocabulary, a 512-byte phrase repeated, tagged so each block is
// distinct: compresses to a few hundred bytes with every algorithm, lz4 included.
std::vector<uint8_t> text_block(uint64_t seed) {
  static const char* const kWords[] = {"block ",  "store ",    "journal ", "extent ",
                                       "packer ", "fragment ", "dedupe ",  "volume "};
  std::vector<uint8_t> b;
  Rng rng(seed);
  const std::string tag = "#" + std::to_string(seed) + " ";
  b.insert(b.end(), tag.begin(), tag.end());
  while (b.size() < 512) {
    for (const char* w = kWords[rng.below(8)]; *w != 0 && b.size() < 512; ++w) {
      b.push_back(static_cast<uint8_t>(*w));
    }
  }
  while (b.size() < kB) b.insert(b.end(), b.begin(), b.begin() + 512);
  return b;
}

std::vector<uint8_t> random_block(uint64_t seed) {
  std::vector<uint8_t> b(kB);
  Rng rng(seed);
  for (size_t i = 0; i < kB; i += 8) le::store64(b.data() + i, rng.next());
  return b;
}

struct Fixture {
  explicit Fixture(uint64_t dev_blocks = 4096, uint64_t logical = 8192,
                   VolumeAlgorithm alg = VolumeAlgorithm::kLz4, bool dedupe = true,
                   uint64_t index_blocks = 8)
      : mem(std::make_shared<MemoryBacking>(dev_blocks * kB)) {
    CreateOptions c;
    c.logical_blocks = logical;
    c.journal_blocks = 64;
    c.index_blocks = index_blocks;
    c.algorithm = alg;
    c.dedupe = dedupe;
    c.nonce = 99;
    EXPECT_TRUE(create_volume(*mem, c).ok());
  }
  VolumeOptions options() const {
    VolumeOptions o;
    o.accel = test_accel();
    o.map_cache_pages = 8;
    return o;
  }
  std::unique_ptr<Volume> open(BackingStore& dev) {
    auto v = Volume::open(dev, options());
    EXPECT_TRUE(v.ok()) << v.status.to_string();
    return std::move(v.value);
  }
  std::shared_ptr<MemoryBacking> mem;
};

void expect_consistent(BackingStore& dev) {
  auto sb = load_superblock(dev);
  ASSERT_TRUE(sb.ok()) << sb.status.to_string();
  auto r = check_volume(dev, sb.value);
  ASSERT_TRUE(r.ok()) << r.status.to_string();
  for (const auto& p : r.value.problems) ADD_FAILURE() << p;
}

std::vector<uint8_t> read_back(Volume& v, uint64_t lbn, uint64_t blocks = 1) {
  std::vector<uint8_t> out(blocks * kB, 0xEE);
  EXPECT_TRUE(v.read_sync(lbn * kB, out).ok());
  return out;
}

class EngineAlgorithms : public ::testing::TestWithParam<VolumeAlgorithm> {};

TEST_P(EngineAlgorithms, WritesReadBackBeforeAndAfterFlushAndReopen) {
  Fixture f(4096, 8192, GetParam());
  std::vector<std::vector<uint8_t>> data;
  for (uint64_t i = 0; i < 300; ++i) {
    data.push_back(i % 3 == 2 ? random_block(i) : text_block(i));
  }
  {
    auto v = f.open(*f.mem);
    for (uint64_t i = 0; i < data.size(); ++i) ASSERT_TRUE(v->write_sync(i * kB, data[i]).ok());
    for (uint64_t i = 0; i < data.size(); ++i) ASSERT_EQ(read_back(*v, i), data[i]) << i;
    ASSERT_TRUE(v->flush_sync().ok());
    for (uint64_t i = 0; i < data.size(); ++i) ASSERT_EQ(read_back(*v, i), data[i]) << i;
    const VolumeStats s = v->stats();
    EXPECT_EQ(s.logical_blocks_used, data.size());
    EXPECT_EQ(s.writes, data.size());
    if (GetParam() == VolumeAlgorithm::kNone) {
      EXPECT_EQ(s.compressed_fragments_written, 0u);
      EXPECT_EQ(s.data_blocks_used, data.size());
    } else {
      EXPECT_EQ(s.compressed_fragments_written, 200u);
      EXPECT_GE(s.incompressible_blocks, 100u);
      EXPECT_LT(s.data_blocks_used, 150u);
      EXPECT_GT(s.saving_percent, 40.0);
    }
    // One multi-block read across everything.
    std::vector<uint8_t> all(data.size() * kB);
    ASSERT_TRUE(v->read_sync(0, all).ok());
    for (uint64_t i = 0; i < data.size(); ++i) {
      ASSERT_TRUE(std::equal(data[i].begin(), data[i].end(), all.begin() + i * kB)) << i;
    }
    ASSERT_TRUE(v->close().ok());
  }
  expect_consistent(*f.mem);
  auto v = f.open(*f.mem);
  for (uint64_t i = 0; i < data.size(); ++i) ASSERT_EQ(read_back(*v, i), data[i]) << i;
  EXPECT_EQ(v->stats().logical_blocks_used, data.size());
  ASSERT_TRUE(v->close().ok());
}

INSTANTIATE_TEST_SUITE_P(All, EngineAlgorithms,
                         ::testing::Values(VolumeAlgorithm::kNone, VolumeAlgorithm::kLz4,
                                           VolumeAlgorithm::kDeflate, VolumeAlgorithm::kZstd),
                         [](const auto& param_info) {
                           return std::string(to_string(param_info.param));
                         });

TEST(Engine, ZeroBlocksTakeNoSpace) {
  Fixture f;
  auto v = f.open(*f.mem);
  const std::vector<uint8_t> zeros(16 * kB, 0);
  ASSERT_TRUE(v->write_sync(0, zeros).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  const VolumeStats s = v->stats();
  EXPECT_EQ(s.zero_blocks_written, 16u);
  EXPECT_EQ(s.data_blocks_used, 0u);
  EXPECT_EQ(s.logical_blocks_used, 0u);
  EXPECT_EQ(read_back(*v, 0, 16), zeros);
  auto ext = v->extents(0, 32 * kB);
  ASSERT_TRUE(ext.ok());
  ASSERT_EQ(ext.value.size(), 2u);
  EXPECT_EQ(ext.value[0].length, 16 * kB);
  EXPECT_TRUE(ext.value[0].zero);
  EXPECT_FALSE(ext.value[0].hole);
  EXPECT_TRUE(ext.value[1].hole);
  ASSERT_TRUE(v->close().ok());
  expect_consistent(*f.mem);
}

TEST(Engine, DuplicatesShareBlocksAfterByteComparison) {
  for (VolumeAlgorithm alg : {VolumeAlgorithm::kNone, VolumeAlgorithm::kLz4}) {
    Fixture f(4096, 8192, alg);
    auto v = f.open(*f.mem);
    const auto a = random_block(1);
    const auto b = text_block(2);
    ASSERT_TRUE(v->write_sync(0, a).ok());
    ASSERT_TRUE(v->write_sync(kB, b).ok());
    ASSERT_TRUE(v->flush_sync().ok());  // seal b's bin: the index learns it
    for (uint64_t i = 2; i < 42; ++i) {
      ASSERT_TRUE(v->write_sync(i * kB, i % 2 == 0 ? a : b).ok());
    }
    ASSERT_TRUE(v->flush_sync().ok());
    const VolumeStats s = v->stats();
    EXPECT_EQ(s.dedupe_advice_valid, 40u) << to_string(alg);
    EXPECT_EQ(s.data_blocks_used, 2u);
    EXPECT_EQ(s.logical_blocks_used, 42u);
    EXPECT_NEAR(s.saving_percent, 100.0 * (1 - 2.0 / 42), 0.01);
    for (uint64_t i = 0; i < 42; ++i) ASSERT_EQ(read_back(*v, i), i % 2 == 0 ? a : b);
    ASSERT_TRUE(v->close().ok());
    expect_consistent(*f.mem);
  }
}

TEST(Engine, DedupeOffStoresEveryCopy) {
  Fixture f(4096, 8192, VolumeAlgorithm::kNone, /*dedupe=*/false);
  auto v = f.open(*f.mem);
  const auto a = random_block(1);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(v->write_sync(i * kB, a).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  EXPECT_EQ(v->stats().data_blocks_used, 10u);
  EXPECT_EQ(v->stats().dedupe_advice_valid, 0u);
  ASSERT_TRUE(v->close().ok());
}

TEST(Engine, OverwritesKeepTheLastAndFreeSpace) {
  Fixture f;
  auto v = f.open(*f.mem);
  for (int round = 0; round < 5; ++round) {
    for (uint64_t i = 0; i < 50; ++i) {
      ASSERT_TRUE(v->write_sync(i * kB, random_block(round * 1000 + i)).ok());
    }
  }
  ASSERT_TRUE(v->flush_sync().ok());
  for (uint64_t i = 0; i < 50; ++i) ASSERT_EQ(read_back(*v, i), random_block(4000 + i));
  EXPECT_EQ(v->stats().data_blocks_used, 50u);
  ASSERT_TRUE(v->close().ok());
  expect_consistent(*f.mem);
}

TEST(Engine, ReadsSeeWritesStillInThePacker) {
  Fixture f;
  VolumeOptions o = f.options();
  o.packer_timeout_ms = 60'000;  // nothing leaves a bin unless it fills or is flushed
  auto opened = Volume::open(*f.mem, o);
  ASSERT_TRUE(opened.ok());
  Volume& v = *opened.value;
  for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(v.write_sync(i * kB, text_block(i)).ok());
  EXPECT_GT(v.stats().packer_fragments_waiting, 0u);
  for (uint64_t i = 0; i < 4; ++i) ASSERT_EQ(read_back(v, i), text_block(i));
  // Overwrite one of them while the first version is still binned: the newer one wins.
  ASSERT_TRUE(v.write_sync(kB, text_block(77)).ok());
  ASSERT_EQ(read_back(v, 1), text_block(77));
  ASSERT_TRUE(v.write_zeroes_sync(2 * kB, kB).ok());
  ASSERT_EQ(read_back(v, 2), std::vector<uint8_t>(kB, 0));
  ASSERT_TRUE(v.flush_sync().ok());
  EXPECT_EQ(read_back(v, 0), text_block(0));
  EXPECT_EQ(read_back(v, 1), text_block(77));
  EXPECT_EQ(read_back(v, 2), std::vector<uint8_t>(kB, 0));
  EXPECT_EQ(read_back(v, 3), text_block(3));
  EXPECT_EQ(v.stats().packer_fragments_waiting, 0u);
  ASSERT_TRUE(v.close().ok());
  expect_consistent(*f.mem);
}

TEST(Engine, ConcurrentOverlappingWritesEndWithTheLastIssued) {
  Fixture f;
  auto v = f.open(*f.mem);
  // Alternate compressible and zero / incompressible versions of the same blocks, queued
  // back to back, so later versions often map before earlier ones finish compressing.
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 0;
  std::vector<std::vector<uint8_t>> versions;
  for (int k = 0; k < 64; ++k) {
    versions.push_back(k % 4 == 3 ? std::vector<uint8_t>(kB, 0)
                                  : (k % 4 == 1 ? random_block(k) : text_block(k)));
  }
  for (uint64_t lbn = 0; lbn < 16; ++lbn) {
    for (int k = 0; k < 64; ++k) {
      {
        std::lock_guard lk(mu);
        ++outstanding;
      }
      v->write(lbn * kB, versions[(k + lbn) % 64], false, [&](StoreStatus s) {
        EXPECT_TRUE(s.ok()) << s.to_string();
        std::lock_guard lk(mu);
        --outstanding;
        cv.notify_one();
      });
    }
  }
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return outstanding == 0; });
  }
  for (uint64_t lbn = 0; lbn < 16; ++lbn) EXPECT_EQ(read_back(*v, lbn), versions[(63 + lbn) % 64]);
  ASSERT_TRUE(v->flush_sync().ok());
  for (uint64_t lbn = 0; lbn < 16; ++lbn) EXPECT_EQ(read_back(*v, lbn), versions[(63 + lbn) % 64]);
  ASSERT_TRUE(v->close().ok());
  expect_consistent(*f.mem);
}

TEST(Engine, TrimAndWriteZeroesReadZerosAndFreeSpace) {
  Fixture f;
  auto v = f.open(*f.mem);
  for (uint64_t i = 0; i < 40; ++i) ASSERT_TRUE(v->write_sync(i * kB, random_block(i)).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  EXPECT_EQ(v->stats().data_blocks_used, 40u);
  ASSERT_TRUE(v->trim_sync(0, 10 * kB).ok());
  ASSERT_TRUE(v->write_zeroes_sync(10 * kB, 10 * kB, /*fua=*/true).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  const std::vector<uint8_t> zeros(20 * kB, 0);
  EXPECT_EQ(read_back(*v, 0, 20), zeros);
  EXPECT_EQ(read_back(*v, 20), random_block(20));
  const VolumeStats s = v->stats();
  EXPECT_EQ(s.data_blocks_used, 20u);
  EXPECT_EQ(s.logical_blocks_used, 20u);
  EXPECT_EQ(s.trims, 1u);
  EXPECT_EQ(s.write_zeroes, 1u);
  auto ext = v->extents(0, 40 * kB);
  ASSERT_TRUE(ext.ok());
  ASSERT_EQ(ext.value.size(), 3u);
  EXPECT_TRUE(ext.value[0].hole);
  EXPECT_TRUE(ext.value[1].zero && !ext.value[1].hole);
  EXPECT_FALSE(ext.value[2].zero);
  EXPECT_EQ(ext.value[2].length, 20 * kB);
  ASSERT_TRUE(v->close().ok());
  expect_consistent(*f.mem);
}

TEST(Engine, RangesAreChecked) {
  Fixture f(4096, 100);
  auto v = f.open(*f.mem);
  std::vector<uint8_t> buf(kB);
  EXPECT_EQ(v->read_sync(100 * kB, buf).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(v->write_sync(1, buf).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(v->trim_sync(99 * kB, 2 * kB).code(), StoreErrc::kInvalidArgument);
  EXPECT_TRUE(v->write_sync(99 * kB, buf).ok());
  EXPECT_TRUE(v->trim_sync(100 * kB, 0).ok());
  EXPECT_FALSE(v->extents(0, 101 * kB).ok());
  ASSERT_TRUE(v->close().ok());
}

}  // namespace
}  // namespace accz::store
