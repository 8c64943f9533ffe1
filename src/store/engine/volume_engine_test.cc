#include "store/engine/volume_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/backing/fault_backing.h"
#include "store/backing/memory_backing.h"
#include "store/format/endian.h"
#include "store/volume/checker.h"
#include "store/volume/cutoff_backing_for_test.h"
#include "store/volume/superblock_io.h"
#include "store/volume/volume_metadata.h"
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
  std::unique_ptr<Volume> open(BackingStore& dev) { return open(dev, options()); }
  // Bins written out only by FLUSH (the timer is a minute), so a test sees how they pack.
  std::unique_ptr<Volume> open_flush_only(BackingStore& dev) {
    VolumeOptions o = options();
    o.packer_timeout_ms = 60'000;
    return open(dev, o);
  }
  std::unique_ptr<Volume> open(BackingStore& dev, const VolumeOptions& o) {
    auto v = Volume::open(dev, o);
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
      // The 200 text blocks are fragments, packed together or, when one happens to leave
      // its bin alone, stored whole like the 100 random ones.
      EXPECT_EQ(s.compressed_fragments_written + s.incompressible_blocks, 300u);
      EXPECT_GT(s.compressed_fragments_written, 0u);
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

namespace accz::store {
namespace {

// A volume on a FaultBacking over memory, for crash and error tests.
struct FaultFixture {
  explicit FaultFixture(uint64_t dev_blocks = 4096, uint64_t logical = 8192,
                        VolumeAlgorithm alg = VolumeAlgorithm::kLz4, uint64_t seed = 5)
      : mem(std::make_shared<MemoryBacking>(dev_blocks * kB)), fb(mem, seed) {
    CreateOptions c;
    c.logical_blocks = logical;
    c.journal_blocks = 32;
    c.index_blocks = 4;
    c.algorithm = alg;
    c.nonce = 7;
    auto s = create_volume(fb, c);
    EXPECT_TRUE(s.ok());
    sb = s.value;
  }
  std::unique_ptr<Volume> open() {
    VolumeOptions o;
    o.accel = test_accel();
    o.map_cache_pages = 4;
    auto v = Volume::open(fb, o);
    EXPECT_TRUE(v.ok()) << v.status.to_string();
    return std::move(v.value);
  }
  // Power cut: the volume's object goes away without reaching the device, then the device
  // loses, keeps or tears what was not flushed.
  void crash(std::unique_ptr<Volume> v, uint32_t keep_ppm = 300'000, uint32_t tear_ppm = 300'000) {
    fb.stop_writing_after(0, FaultBacking::StopMode::kDiscard);
    v.reset();
    fb.crash({keep_ppm, tear_ppm});
  }
  uint64_t data_offset() const { return sb.geometry.data_start * kB; }

  std::shared_ptr<MemoryBacking> mem;
  FaultBacking fb;
  Superblock sb;
};

std::vector<uint8_t> content(uint64_t i) { return i % 2 == 0 ? text_block(i) : random_block(i); }

TEST(EngineDurability, FlushedAndFuaWritesSurviveACrash) {
  for (uint64_t seed : {1, 2, 3}) {
    FaultFixture f(4096, 8192, VolumeAlgorithm::kLz4, seed);
    auto v = f.open();
    for (uint64_t i = 0; i < 120; ++i) ASSERT_TRUE(v->write_sync(i * kB, content(i)).ok());
    ASSERT_TRUE(v->trim_sync(0, 4 * kB).ok());
    ASSERT_TRUE(v->flush_sync().ok());
    // After the flush: a FUA write is durable when acknowledged; the rest may go either way.
    ASSERT_TRUE(v->write_sync(200 * kB, content(200), /*fua=*/true).ok());
    for (uint64_t i = 4; i < 60; ++i) ASSERT_TRUE(v->write_sync(i * kB, content(1000 + i)).ok());
    f.crash(std::move(v));

    expect_consistent(f.fb);
    v = f.open();
    EXPECT_EQ(read_back(*v, 0, 4), std::vector<uint8_t>(4 * kB, 0));
    EXPECT_EQ(read_back(*v, 200), content(200)) << "FUA write lost, seed " << seed;
    for (uint64_t i = 4; i < 120; ++i) {
      const auto got = read_back(*v, i);
      if (i < 60) {
        EXPECT_TRUE(got == content(i) || got == content(1000 + i)) << i << " seed " << seed;
      } else {
        EXPECT_EQ(got, content(i)) << i << " seed " << seed;
      }
    }
    ASSERT_TRUE(v->close().ok());
    expect_consistent(f.fb);
  }
}

TEST(EngineDurability, PowerCutAtEveryWriteOrFlushKeepsWhatWasFlushed) {
  // Count the device operations of one run, then cut power after each prefix of them.
  auto run = [](CutoffBacking& dev, std::vector<int>* flushed_upto) {
    // `flushed_upto`: the writes whose flush completed before the power went.
    VolumeOptions o;
    o.accel = test_accel();
    o.map_cache_pages = 2;
    auto opened = Volume::open(dev, o);
    if (!opened.ok()) return;
    Volume& v = *opened.value;
    for (int i = 0; i < 24; ++i) {
      if (!v.write_sync((i % 12) * kB, content(i)).ok()) return;
      if (i % 5 == 4) {
        if (!v.flush_sync().ok()) return;
        if (flushed_upto != nullptr && !dev.cut()) flushed_upto->push_back(i);
      }
    }
    (void)v.close();
  };
  MemoryBacking probe_mem(1024 * kB);
  CreateOptions c;
  c.logical_blocks = 64;
  c.journal_blocks = 16;
  c.nonce = 3;
  ASSERT_TRUE(create_volume(probe_mem, c).ok());
  const std::vector<uint8_t> image = [&] {
    std::vector<uint8_t> b(probe_mem.size());
    EXPECT_TRUE(probe_mem.read(0, b).ok());
    return b;
  }();
  struct Counter final : BackingStore {
    explicit Counter(BackingStore& b) : base(b) {}
    StoreStatus read(uint64_t o, MutableByteSpan out) override { return base.read(o, out); }
    StoreStatus write(uint64_t o, ByteSpan d) override {
      ++ops;
      return base.write(o, d);
    }
    StoreStatus flush() override {
      ++ops;
      return base.flush();
    }
    uint64_t size() const override { return base.size(); }
    BackingStore& base;
    std::atomic<uint64_t> ops{0};
  } counter(probe_mem);
  {
    CutoffBacking uncut(counter);
    run(uncut, nullptr);
  }
  const uint64_t total = counter.ops;
  ASSERT_GT(total, 20u);
  for (uint64_t cut = 0; cut < total; cut += std::max<uint64_t>(1, total / 60)) {
    MemoryBacking mem(image);
    CutoffBacking dev(mem);
    dev.cut_after(cut);
    std::vector<int> flushed;
    run(dev, &flushed);
    auto v = Volume::open(mem, {.accel = test_accel()});
    ASSERT_TRUE(v.ok()) << "cut " << cut << ": " << v.status.to_string();
    if (!flushed.empty()) {
      // Every LBN written at or before the last completed flush reads as its last such write
      // or a later one.
      const int last = flushed.back();
      for (uint64_t lbn = 0; lbn < 12; ++lbn) {
        const auto got = read_back(*v.value, lbn);
        int newest_flushed = -1;
        for (int i = 0; i <= last; ++i) {
          if (static_cast<uint64_t>(i % 12) == lbn) newest_flushed = i;
        }
        if (newest_flushed < 0) continue;
        bool ok = false;
        for (int i = newest_flushed; i < 24; ++i) {
          if (static_cast<uint64_t>(i % 12) == lbn && got == content(i)) ok = true;
        }
        EXPECT_TRUE(ok) << "cut " << cut << " lbn " << lbn;
      }
    }
    ASSERT_TRUE(v.value->close().ok());
    expect_consistent(mem);
  }
}

}  // namespace
}  // namespace accz::store

namespace accz::store {
namespace {

TEST(EngineErrors, FullVolumeSaysNoSpaceAndKeepsEarlierData) {
  // About 40 data blocks; incompressible unique blocks fill it.
  FaultFixture f(2 + 32 + 2 + 2 + 8 + 40, 1000, VolumeAlgorithm::kLz4);
  const uint64_t data_blocks = f.sb.geometry.data_blocks;
  auto v = f.open();
  uint64_t written = 0;
  StoreStatus s;
  for (; written < 1000; ++written) {
    s = v->write_sync(written * kB, random_block(written));
    if (!s.ok()) break;
  }
  ASSERT_EQ(s.code(), StoreErrc::kNoSpace) << s.to_string();
  EXPECT_LE(written, data_blocks);
  EXPECT_GE(written + 2, data_blocks);
  EXPECT_EQ(read_back(*v, written), std::vector<uint8_t>(kB, 0)) << "failed write changed it";
  for (uint64_t i = 0; i < written; ++i) ASSERT_EQ(read_back(*v, i), random_block(i));
  VolumeStats st = v->stats();
  EXPECT_GE(st.no_space_errors, 1u);
  EXPECT_FALSE(st.read_only);
  // Compressible data and zeros still fit nowhere / need nothing.
  EXPECT_TRUE(v->write_zeroes_sync(900 * kB, 10 * kB).ok());
  // Freeing space makes room again (after the frees commit, which allocation forces).
  ASSERT_TRUE(v->trim_sync(0, 5 * kB).ok());
  for (uint64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(v->write_sync((500 + i) * kB, random_block(500 + i)).ok()) << i;
  }
  ASSERT_TRUE(v->close().ok());
  expect_consistent(f.fb);
}

TEST(EngineErrors, FailedDataWriteFailsThatWriteOnly) {
  FaultFixture f(4096, 8192, VolumeAlgorithm::kNone);
  auto v = f.open();
  ASSERT_TRUE(v->write_sync(0, random_block(0)).ok());
  FaultRule r;
  r.ops = kFaultWrite;
  r.offset_begin = f.data_offset();
  r.count = 1;
  const int id = f.fb.add_rule(r);
  EXPECT_EQ(v->write_sync(kB, random_block(1)).code(), StoreErrc::kIoError);
  f.fb.remove_rule(id);
  ASSERT_TRUE(v->write_sync(2 * kB, random_block(2)).ok());
  EXPECT_EQ(read_back(*v, 1), std::vector<uint8_t>(kB, 0));
  EXPECT_EQ(read_back(*v, 2), random_block(2));
  EXPECT_EQ(v->stats().write_errors, 1u);
  EXPECT_FALSE(v->stats().read_only);
  FaultRule rr;
  rr.ops = kFaultRead;
  rr.offset_begin = f.data_offset();
  rr.count = 1;
  const int read_rule = f.fb.add_rule(rr);
  std::vector<uint8_t> buf(kB);
  EXPECT_EQ(v->read_sync(2 * kB, buf).code(), StoreErrc::kIoError);
  f.fb.remove_rule(read_rule);
  EXPECT_EQ(v->stats().read_errors, 1u);
  ASSERT_TRUE(v->flush_sync().ok());
  ASSERT_TRUE(v->close().ok());
  expect_consistent(f.fb);
  v = f.open();
  EXPECT_EQ(read_back(*v, 0), random_block(0));
  EXPECT_EQ(read_back(*v, 2), random_block(2));
  ASSERT_TRUE(v->close().ok());
}

TEST(EngineErrors, FailedPackedBlockIsReportedByTheNextFlush) {
  FaultFixture f;
  auto v = f.open();
  FaultRule r;
  r.ops = kFaultWrite;
  r.offset_begin = f.data_offset();
  r.count = 1;
  f.fb.add_rule(r);
  // Acknowledged once binned: the loss shows at the flush, like a disk's cache failing.
  ASSERT_TRUE(v->write_sync(0, text_block(1)).ok());
  EXPECT_EQ(v->flush_sync().code(), StoreErrc::kIoError);
  EXPECT_TRUE(v->flush_sync().ok());  // reported once
  ASSERT_TRUE(v->write_sync(kB, text_block(2), /*fua=*/true).ok());
  EXPECT_EQ(read_back(*v, 1), text_block(2));
  EXPECT_FALSE(v->stats().read_only);
  ASSERT_TRUE(v->close().ok());
  expect_consistent(f.fb);
}

TEST(EngineErrors, FailedJournalWriteTurnsReadOnlyAndReopenRecovers) {
  FaultFixture f;
  auto v = f.open();
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(v->write_sync(i * kB, content(i)).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  FaultRule r;
  r.ops = kFaultWrite;
  r.offset_begin = f.sb.geometry.journal_start * kB;
  r.offset_end = (f.sb.geometry.journal_start + f.sb.geometry.journal_blocks) * kB;
  f.fb.add_rule(r);
  ASSERT_TRUE(v->write_sync(20 * kB, random_block(20)).ok());
  EXPECT_FALSE(v->flush_sync().ok());
  EXPECT_TRUE(v->stats().read_only);
  EXPECT_EQ(v->write_sync(21 * kB, random_block(21)).code(), StoreErrc::kReadOnly);
  EXPECT_EQ(read_back(*v, 3), content(3));
  EXPECT_FALSE(v->close().ok());
  v.reset();
  f.fb.clear_rules();
  f.fb.crash();
  v = f.open();
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(read_back(*v, i), content(i));
  ASSERT_TRUE(v->close().ok());
  expect_consistent(f.fb);
}

TEST(EngineIndex, CloseSavesTheDedupIndexAndOpenLoadsIt) {
  Fixture f;
  {
    auto v = f.open(*f.mem);
    for (uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(v->write_sync(i * kB, content(i)).ok());
    ASSERT_TRUE(v->close().ok());
  }
  auto sb = load_superblock(*f.mem);
  ASSERT_TRUE(sb.ok());
  EXPECT_NE(sb.value.index_generation, 0u);
  auto v = f.open(*f.mem);
  EXPECT_EQ(v->stats().dedup_index_entries, 20u);
  const uint64_t before = v->stats().data_blocks_used;
  for (uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(v->write_sync((100 + i) * kB, content(i)).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  EXPECT_EQ(v->stats().dedupe_advice_valid, 20u);
  EXPECT_EQ(v->stats().data_blocks_used, before);
  ASSERT_TRUE(v->close().ok());
  expect_consistent(*f.mem);
}

TEST(EngineIndex, StaleAdviceIsCaughtByTheByteComparison) {
  Fixture f(4096, 8192, VolumeAlgorithm::kNone);
  auto v = f.open(*f.mem);
  ASSERT_TRUE(v->write_sync(0, random_block(1)).ok());
  ASSERT_TRUE(v->trim_sync(0, kB).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  // The block that held random_block(1) is free and may be reused; reuse it.
  for (uint64_t i = 1; i < 4000 && v->stats().data_blocks_used < 5; ++i) {
    ASSERT_TRUE(v->write_sync(i * kB, random_block(100 + i)).ok());
  }
  ASSERT_TRUE(v->write_sync(10 * kB, random_block(1)).ok());
  EXPECT_EQ(read_back(*v, 10), random_block(1));
  EXPECT_EQ(v->stats().dedupe_advice_valid, 0u);
  EXPECT_GE(v->stats().dedupe_advice_stale, 1u);
  ASSERT_TRUE(v->close().ok());
  expect_consistent(*f.mem);
}

TEST(EngineIndex, ReferenceLimitMakesANewCopy) {
  Fixture f(4096, 8192, VolumeAlgorithm::kNone);
  auto v = f.open(*f.mem);
  const auto a = random_block(9);
  for (uint64_t i = 0; i < 300; ++i) ASSERT_TRUE(v->write_sync(i * kB, a).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  const VolumeStats s = v->stats();
  EXPECT_EQ(s.data_blocks_used, 2u);
  EXPECT_EQ(s.reference_limit_copies, 1u);
  EXPECT_EQ(s.dedupe_advice_valid, 298u);
  ASSERT_TRUE(v->close().ok());
  expect_consistent(*f.mem);
}

TEST(EngineOpen, ReadOnlyServesReadsAndRefusesWrites) {
  Fixture f;
  {
    auto v = f.open(*f.mem);
    ASSERT_TRUE(v->write_sync(0, content(0)).ok());
    ASSERT_TRUE(v->close().ok());
  }
  VolumeOptions o = f.options();
  o.read_only = true;
  auto v = Volume::open(*f.mem, o);
  ASSERT_TRUE(v.ok()) << v.status.to_string();
  EXPECT_EQ(read_back(*v.value, 0), content(0));
  EXPECT_EQ(v.value->write_sync(kB, content(1)).code(), StoreErrc::kReadOnly);
  EXPECT_EQ(v.value->trim_sync(0, kB).code(), StoreErrc::kReadOnly);
  EXPECT_TRUE(v.value->stats().read_only);
  ASSERT_TRUE(v.value->close().ok());
  EXPECT_EQ(v.value->write_sync(kB, content(1)).code(), StoreErrc::kReadOnly);
}

TEST(EngineOpen, ReadOnlyRefusesADirtyVolume) {
  FaultFixture f;
  auto v = f.open();
  ASSERT_TRUE(v->write_sync(0, content(0)).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  f.crash(std::move(v));
  VolumeOptions o;
  o.accel = test_accel();
  o.read_only = true;
  EXPECT_EQ(Volume::open(f.fb, o).status.code(), StoreErrc::kReadOnly);
  v = f.open();  // a writable open replays
  EXPECT_EQ(read_back(*v, 0), content(0));
  ASSERT_TRUE(v->close().ok());
}

// A clean close records how many LBNs map to data, and the next open takes it from the
// superblock instead of reading every map page; after a crash it is counted again.
TEST(EngineOpen, TheMappedCountComesFromACleanCloseAndIsRecountedAfterACrash) {
  Fixture f;
  {
    auto v = f.open(*f.mem);
    for (uint64_t i = 0; i < 30; ++i) ASSERT_TRUE(v->write_sync(i * kB, text_block(i)).ok());
    ASSERT_TRUE(v->write_sync(40 * kB, std::vector<uint8_t>(kB, 0)).ok());  // zeros: not data
    ASSERT_TRUE(v->trim_sync(3 * kB, 2 * kB).ok());
    ASSERT_TRUE(v->flush_sync().ok());
    ASSERT_TRUE(v->close().ok());
  }
  auto sb = load_superblock(*f.mem);
  ASSERT_TRUE(sb.ok());
  ASSERT_EQ(sb.value.mapped_at_close, 28u);
  expect_consistent(*f.mem);
  // Trusted as recorded: a wrong count shows in stats (and the checker says so).
  Superblock wrong = sb.value;
  wrong.mapped_at_close = 31;
  ASSERT_TRUE(write_superblock(*f.mem, &wrong).ok());
  std::vector<uint8_t> crashed;
  {
    auto v = f.open(*f.mem);
    EXPECT_EQ(v->stats().logical_blocks_used, 31u);
    crashed = f.mem->snapshot();  // as a crash would leave it: dirty, count unknown
  }
  {
    MemoryBacking after_crash(crashed);
    auto v = f.open(after_crash);
    EXPECT_EQ(v->stats().logical_blocks_used, 28u);
    ASSERT_TRUE(v->close().ok());
    EXPECT_EQ(load_superblock(after_crash).value.mapped_at_close, 28u);
    expect_consistent(after_crash);
  }
  // The session that trusted 31 closed cleanly and recorded it: the checker catches it.
  auto report = check_volume(*f.mem, load_superblock(*f.mem).value);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report.value.problems.size(), 1u);
  EXPECT_NE(report.value.problems[0].find("31 LBNs mapped at the last clean close, but the map "
                                          "has 28"),
            std::string::npos)
      << report.value.problems[0];
}

TEST(EngineOpen, OwnAccelWhenNoneIsGiven) {
  Fixture f(4096, 8192, VolumeAlgorithm::kDeflate);
  auto v = Volume::open(*f.mem, {});
  ASSERT_TRUE(v.ok());
  // Two blocks in one request share a bin (one alone would be stored whole).
  std::vector<uint8_t> two = text_block(3);
  const std::vector<uint8_t> second = text_block(4);
  two.insert(two.end(), second.begin(), second.end());
  ASSERT_TRUE(v.value->write_sync(0, two).ok());
  ASSERT_TRUE(v.value->flush_sync().ok());
  EXPECT_EQ(read_back(*v.value, 0, 2), two);
  EXPECT_EQ(v.value->stats().compressed_fragments_written, 2u);
}

TEST(EngineStats, CountersFollowTheRequests) {
  Fixture f;
  auto v = f.open(*f.mem);
  std::vector<uint8_t> two(2 * kB);
  std::copy_n(text_block(1).begin(), kB, two.begin());
  std::copy_n(random_block(2).begin(), kB, two.begin() + kB);
  ASSERT_TRUE(v->write_sync(0, two, /*fua=*/true).ok());
  ASSERT_TRUE(v->write_sync(4 * kB, two).ok());  // both duplicates
  ASSERT_TRUE(v->flush_sync().ok());
  std::vector<uint8_t> back(6 * kB);
  ASSERT_TRUE(v->read_sync(0, back).ok());
  const VolumeStats s = v->stats();
  EXPECT_EQ(s.logical_blocks, 8192u);
  EXPECT_EQ(s.writes, 2u);
  EXPECT_EQ(s.fua_writes, 1u);
  EXPECT_EQ(s.flushes, 1u);
  EXPECT_EQ(s.reads, 1u);
  EXPECT_EQ(s.bytes_read, 6 * kB);
  EXPECT_EQ(s.bytes_written, 4 * kB);
  EXPECT_EQ(s.logical_blocks_used, 4u);
  EXPECT_EQ(s.data_blocks_used, 2u);
  EXPECT_EQ(s.dedupe_advice_valid, 2u);
  // The FUA write's flush seals the text block's bin with it alone: it is stored whole.
  EXPECT_EQ(s.compressed_fragments_written, 0u);
  EXPECT_EQ(s.compressed_blocks_written, 0u);
  EXPECT_EQ(s.incompressible_blocks, 2u);
  EXPECT_DOUBLE_EQ(s.saving_percent, 50.0);
  EXPECT_GT(s.journal_entries, 0u);
  EXPECT_GT(s.journal_commits, 0u);
  EXPECT_EQ(s.dedup_index_entries, 2u);
  EXPECT_GT(s.dedup_index_capacity, 0u);
  EXPECT_GT(s.overhead_blocks, 0u);
  EXPECT_EQ(s.physical_blocks + s.overhead_blocks, 4096u);
  EXPECT_EQ(s.in_flight, 0u);
  ASSERT_TRUE(v->close().ok());
}

}  // namespace
}  // namespace accz::store

namespace accz::store {
namespace {

// Writes queued together with the same contents: the index cannot know the first before it
// lands, so the others follow it in flight.
TEST(EngineIndex, DuplicatesInFlightShareTheFirstCopy) {
  for (VolumeAlgorithm alg : {VolumeAlgorithm::kLz4, VolumeAlgorithm::kNone}) {
    for (bool compressible : {true, false}) {
      Fixture f(4096, 8192, alg);
      auto v = f.open(*f.mem);
      const auto a = compressible ? text_block(5) : random_block(5);
      std::mutex mu;
      std::condition_variable cv;
      int outstanding = 64;
      for (uint64_t i = 0; i < 64; ++i) {
        v->write(i * kB, a, /*fua=*/i % 16 == 15, [&](StoreStatus s) {
          EXPECT_TRUE(s.ok()) << s.to_string();
          std::lock_guard lk(mu);
          if (--outstanding == 0) cv.notify_one();
        });
      }
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return outstanding == 0; });
      }
      for (uint64_t i = 0; i < 64; ++i) ASSERT_EQ(read_back(*v, i), a) << i;
      ASSERT_TRUE(v->flush_sync().ok());
      const VolumeStats s = v->stats();
      EXPECT_EQ(s.data_blocks_used, 1u) << to_string(alg) << " " << compressible;
      EXPECT_EQ(s.dedupe_advice_valid, 63u);
      EXPECT_EQ(s.logical_blocks_used, 64u);
      ASSERT_TRUE(v->close().ok());
      expect_consistent(*f.mem);
      v = f.open(*f.mem);
      for (uint64_t i = 0; i < 64; ++i) ASSERT_EQ(read_back(*v, i), a) << i;
    }
  }
}

}  // namespace
}  // namespace accz::store

namespace accz::store {
namespace {

// Writers and readers on several threads at once: every read returns some version written to
// that block (versions are tagged with their block), and the last write of each writer wins.
TEST(EngineThreads, ConcurrentWritersAndReaders) {
  Fixture f(4096, 8192, VolumeAlgorithm::kLz4);
  auto v = f.open(*f.mem);
  constexpr uint64_t kBlocks = 32;  // per writer
  constexpr int kRounds = 20;
  auto version = [](uint64_t lbn, int round) {
    return round % 3 == 2 ? random_block(lbn * 100 + round) : text_block(lbn * 100 + round);
  };
  std::atomic<bool> stop{false};
  std::atomic<int> bad_reads{0};
  std::vector<std::thread> threads;
  for (uint64_t w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int r = 0; r < kRounds; ++r) {
        for (uint64_t i = 0; i < kBlocks; ++i) {
          const uint64_t lbn = w * kBlocks + i;
          EXPECT_TRUE(v->write_sync(lbn * kB, version(lbn, r), r % 7 == 6).ok());
        }
        if (r % 5 == 4) {
          EXPECT_TRUE(v->flush_sync().ok());
        }
      }
    });
  }
  for (int rd = 0; rd < 2; ++rd) {
    threads.emplace_back([&, rd] {
      Rng rng(rd);
      std::vector<uint8_t> buf(4 * kB);
      while (!stop) {
        const uint64_t lbn = rng.below(2 * kBlocks - 4);
        if (!v->read_sync(lbn * kB, buf).ok()) {
          ++bad_reads;
          continue;
        }
        for (uint64_t k = 0; k < 4; ++k) {
          const std::vector<uint8_t> got(buf.begin() + k * kB, buf.begin() + (k + 1) * kB);
          bool known = got == std::vector<uint8_t>(kB, 0);
          for (int r = 0; r < kRounds && !known; ++r) known = got == version(lbn + k, r);
          if (!known) ++bad_reads;
        }
      }
    });
  }
  threads[0].join();
  threads[1].join();
  stop = true;
  threads[2].join();
  threads[3].join();
  EXPECT_EQ(bad_reads.load(), 0);
  for (uint64_t lbn = 0; lbn < 2 * kBlocks; ++lbn) {
    ASSERT_EQ(read_back(*v, lbn), version(lbn, kRounds - 1)) << lbn;
  }
  ASSERT_TRUE(v->close().ok());
  expect_consistent(*f.mem);
}

}  // namespace
}  // namespace accz::store

namespace accz::store {
namespace {

MapEntry mapped(BackingStore& dev, uint64_t lbn) {
  auto meta = VolumeMetadata::open(dev, {.map_cache_pages = 4, .read_only = true});
  EXPECT_TRUE(meta.ok()) << meta.status.to_string();
  if (!meta.ok()) return {};
  auto e = meta.value->lookup(lbn);
  EXPECT_TRUE(e.ok()) << e.status.to_string();
  return e.value;
}

// A bin written out holding one fragment saves nothing: the block goes to disk whole, and
// reads of it need no decompression. Two fragments that share a bin stay packed.
TEST(EnginePacker, LoneFragmentsAreWrittenWhole) {
  Fixture f;
  {
    auto v = f.open_flush_only(*f.mem);
    ASSERT_TRUE(v->write_sync(0, text_block(1)).ok());
    EXPECT_EQ(v->stats().packer_fragments_waiting, 1u);
    ASSERT_TRUE(v->flush_sync().ok());
    VolumeStats s = v->stats();
    EXPECT_EQ(s.incompressible_blocks, 1u);
    EXPECT_EQ(s.compressed_blocks_written, 0u);
    EXPECT_EQ(s.compressed_fragments_written, 0u);
    EXPECT_EQ(s.data_blocks_used, 1u);
    EXPECT_EQ(read_back(*v, 0), text_block(1));

    std::vector<uint8_t> two = text_block(3);
    const std::vector<uint8_t> second = text_block(4);
    two.insert(two.end(), second.begin(), second.end());
    ASSERT_TRUE(v->write_sync(2 * kB, two).ok());
    ASSERT_TRUE(v->flush_sync().ok());
    s = v->stats();
    EXPECT_EQ(s.compressed_blocks_written, 1u);
    EXPECT_EQ(s.compressed_fragments_written, 2u);
    EXPECT_EQ(s.data_blocks_used, 2u);
    EXPECT_EQ(read_back(*v, 2, 2), two);
    ASSERT_TRUE(v->close().ok());
  }
  {
    auto v = f.open(*f.mem);  // default 5 ms timer: the timer writes the lone bin
    ASSERT_TRUE(v->write_sync(kB, text_block(2)).ok());
    while (v->stats().packer_fragments_waiting != 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(v->stats().incompressible_blocks, 1u);
    EXPECT_EQ(read_back(*v, 1), text_block(2));
    // A duplicate of the lone block finds it through the index, mapped whole.
    ASSERT_TRUE(v->write_sync(6 * kB, text_block(2)).ok());
    ASSERT_TRUE(v->flush_sync().ok());
    EXPECT_EQ(v->stats().dedupe_advice_valid, 1u);
    ASSERT_TRUE(v->close().ok());
  }
  expect_consistent(*f.mem);
  const MapEntry a = mapped(*f.mem, 0);
  const MapEntry b = mapped(*f.mem, 1);
  EXPECT_EQ(a.kind, MapEntry::Kind::kWhole);
  EXPECT_EQ(b.kind, MapEntry::Kind::kWhole);
  EXPECT_EQ(mapped(*f.mem, 6), b);
  const MapEntry c = mapped(*f.mem, 2);
  const MapEntry d = mapped(*f.mem, 3);
  EXPECT_EQ(c.kind, MapEntry::Kind::kFragment);
  EXPECT_EQ(d.kind, MapEntry::Kind::kFragment);
  EXPECT_EQ(c.pbn, d.pbn);
  EXPECT_NE(c.slot, d.slot);
  auto v = f.open(*f.mem);
  EXPECT_EQ(read_back(*v, 0), text_block(1));
  EXPECT_EQ(read_back(*v, 1), text_block(2));
  EXPECT_EQ(read_back(*v, 6), text_block(2));
  EXPECT_EQ(read_back(*v, 2), text_block(3));
  EXPECT_EQ(read_back(*v, 3), text_block(4));
  ASSERT_TRUE(v->close().ok());
}

// As fio's buffer_compress_percentage=50 writes a block: every 512-byte chunk half random
// bytes, half one repeated byte. Its fragment is just over 2 KiB, so two never share a block.
std::vector<uint8_t> half_chunk_block(uint64_t seed) {
  std::vector<uint8_t> b = random_block(seed);
  for (size_t chunk = 0; chunk < kB; chunk += 512) std::fill_n(b.begin() + chunk + 256, 256, 0x5a);
  return b;
}

// Thirteen such fragments share a seven-block extent (docs/format.md §8); its blocks are freed
// as the fragments in them die, the first (the header) last; and a fragment whose blocks were
// freed is no dedupe target even while its extent lives.
TEST(EnginePacker, FragmentsOverHalfABlockShareExtents) {
  Fixture f;
  {
    auto v = f.open_flush_only(*f.mem);
    std::vector<uint8_t> all;
    for (uint64_t i = 0; i < 26; ++i) {
      const std::vector<uint8_t> b = half_chunk_block(100 + i);
      all.insert(all.end(), b.begin(), b.end());
    }
    ASSERT_TRUE(v->write_sync(0, all).ok());
    ASSERT_TRUE(v->flush_sync().ok());
    VolumeStats s = v->stats();
    EXPECT_EQ(s.compressed_extents_written, 2u);
    EXPECT_EQ(s.compressed_blocks_written, 14u);
    EXPECT_EQ(s.compressed_fragments_written, 26u);
    EXPECT_EQ(s.data_blocks_used, 14u);
    EXPECT_EQ(read_back(*v, 0, 26), all);
    ASSERT_TRUE(v->close().ok());
  }
  expect_consistent(*f.mem);
  // Where the first extent's fragments lie: slot k holds bytes from about 40 + 2085k.
  std::vector<MapEntry> e(13);
  for (uint64_t i = 0; i < 13; ++i) e[i] = mapped(*f.mem, i);
  for (uint64_t i = 0; i < 13; ++i) {
    ASSERT_EQ(e[i].kind, MapEntry::Kind::kFragment) << i;
    EXPECT_EQ(e[i].pbn, e[0].pbn);
    EXPECT_EQ(e[i].slot, i);
    EXPECT_EQ(e[i].extent, 6);
  }
  EXPECT_EQ(e[0].first, 0);
  EXPECT_TRUE(e[1].spans);  // the first block holds one fragment and part of the next
  EXPECT_EQ(e[12].first + e[12].spans, 6);  // the last fragment ends in the last block
  std::vector<uint64_t> users;              // the slots whose bytes are in the extent's last block
  for (uint64_t i = 0; i < 13; ++i) {
    if (e[i].first + e[i].spans == 6) users.push_back(i);
  }
  ASSERT_FALSE(users.empty());
  auto v = f.open(*f.mem);
  for (uint64_t lbn : users) ASSERT_TRUE(v->write_sync(lbn * kB, random_block(900 + lbn)).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  // The overwrites take a block each; the extent gives back its last block.
  EXPECT_EQ(v->stats().data_blocks_used, 14u + users.size() - 1);
  const uint64_t stale_before = v->stats().dedupe_advice_stale;
  // The dead fragment's bytes are still on disk, but its block is free: no sharing.
  ASSERT_TRUE(v->write_sync(40 * kB, half_chunk_block(100 + users.back())).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  EXPECT_EQ(v->stats().dedupe_advice_stale, stale_before + 1);
  // A live fragment of the same extent still dedupes.
  const uint64_t valid_before = v->stats().dedupe_advice_valid;
  ASSERT_TRUE(v->write_sync(41 * kB, half_chunk_block(100)).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  EXPECT_EQ(v->stats().dedupe_advice_valid, valid_before + 1);
  for (uint64_t i = 0; i < 26; ++i) {
    const bool overwritten = std::find(users.begin(), users.end(), i) != users.end();
    EXPECT_EQ(read_back(*v, i), overwritten ? random_block(900 + i) : half_chunk_block(100 + i))
        << i;
  }
  EXPECT_EQ(read_back(*v, 40), half_chunk_block(100 + users.back()));
  EXPECT_EQ(read_back(*v, 41), half_chunk_block(100));
  ASSERT_TRUE(v->close().ok());
  expect_consistent(*f.mem);
  EXPECT_EQ(mapped(*f.mem, 41), e[0]);
}

}  // namespace
}  // namespace accz::store

namespace accz::store {
namespace {

// Reads whose map pages are cached are served on the caller's thread: `done` runs before
// read() returns. The others go to the engine, which completes them on its own threads.
struct ReadOutcome {
  StoreStatus status;
  bool inline_done = false;
};

ReadOutcome read_noting_thread(Volume& v, uint64_t lbn, MutableByteSpan out) {
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  ReadOutcome r;
  const auto caller = std::this_thread::get_id();
  bool returned = false;
  v.read(lbn * kB, out, [&](StoreStatus s) {
    std::lock_guard lk(mu);
    r.status = std::move(s);
    r.inline_done = !returned && std::this_thread::get_id() == caller;
    finished = true;
    cv.notify_one();
  });
  std::unique_lock lk(mu);
  returned = true;
  cv.wait(lk, [&] { return finished; });
  return r;
}

TEST(EngineReads, CachedReadsCompleteOnTheCallersThread) {
  Fixture f;
  VolumeOptions o = f.options();
  o.packer_timeout_ms = 60'000;
  auto opened = Volume::open(*f.mem, o);
  ASSERT_TRUE(opened.ok());
  Volume& v = *opened.value;
  // 24 text blocks (fragments sharing bins), 4 random ones (whole), a zero block.
  std::vector<uint8_t> data;
  for (uint64_t i = 0; i < 24; ++i) {
    const auto b = text_block(i);
    data.insert(data.end(), b.begin(), b.end());
  }
  for (uint64_t i = 0; i < 4; ++i) {
    const auto b = random_block(i);
    data.insert(data.end(), b.begin(), b.end());
  }
  data.resize(data.size() + kB, 0);
  ASSERT_TRUE(v.write_sync(0, data).ok());
  // The first 14 fragments filled a bin and are mapped; the other 10 are still in flight
  // (binned): read-your-write from their in-flight copies.
  std::vector<uint8_t> back(data.size());
  ReadOutcome r = read_noting_thread(v, 0, back);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(back, data);
  EXPECT_GT(v.stats().packer_fragments_waiting, 0u);
  r = read_noting_thread(v, 16, MutableByteSpan(back.data(), 13 * kB));
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_TRUE(std::equal(back.begin(), back.begin() + 13 * kB, data.begin() + 16 * kB));
  EXPECT_TRUE(r.inline_done);
  ASSERT_TRUE(v.flush_sync().ok());
  EXPECT_EQ(v.stats().packer_fragments_waiting, 0u);
  EXPECT_GT(v.stats().compressed_blocks_written, 0u);
  // Mapped now: many fragments, a few, whole blocks, zeros, a block never written.
  for (const auto& [first, count] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 30}, {0, 24}, {3, 5}, {22, 4}, {24, 4}, {26, 1}, {28, 2}, {29, 1}}) {
    std::vector<uint8_t> part(count * kB, 0xEE);
    std::vector<uint8_t> want(count * kB, 0);
    for (uint64_t k = 0; k < count; ++k) {
      if (first + k < 29) {
        std::copy_n(data.begin() + (first + k) * kB, kB, want.begin() + k * kB);
      }
    }
    r = read_noting_thread(v, first, part);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_EQ(part, want) << first << " +" << count;
    // Fragments complete on a device thread; the rest completes before read() returns.
    if (first >= 24) {
      EXPECT_TRUE(r.inline_done) << first << " +" << count;
    }
  }
  const VolumeStats s = v.stats();
  EXPECT_EQ(s.reads, 10u);
  EXPECT_EQ(s.bytes_read, (29 + 13 + 30 + 24 + 5 + 4 + 4 + 1 + 2 + 1) * kB);
  EXPECT_EQ(s.read_errors, 0u);
  EXPECT_EQ(s.in_flight, 0u);
  ASSERT_TRUE(v.close().ok());
  // After close a read fails cleanly, wherever it would have been served.
  std::vector<uint8_t> one(kB);
  EXPECT_EQ(v.read_sync(0, one).code(), StoreErrc::kReadOnly);
}

TEST(EngineReads, PagesNotCachedGoToTheEngineAndAreCachedForTheNext) {
  Fixture f(4096, 16 * kMapEntriesPerPage);
  VolumeOptions o = f.options();
  o.map_cache_pages = 2;
  auto opened = Volume::open(*f.mem, o);
  ASSERT_TRUE(opened.ok());
  Volume& v = *opened.value;
  auto lbn_of = [](uint64_t page) { return page * kMapEntriesPerPage + 7; };
  for (uint64_t page = 0; page < 16; ++page) {
    ASSERT_TRUE(v.write_sync(lbn_of(page) * kB, random_block(page)).ok());
  }
  ASSERT_TRUE(v.flush_sync().ok());
  for (uint64_t page = 0; page < 16; ++page) {
    std::vector<uint8_t> got(kB);
    const uint64_t misses = v.stats().map_cache_misses;
    const ReadOutcome first = read_noting_thread(v, lbn_of(page), got);
    ASSERT_TRUE(first.status.ok());
    EXPECT_EQ(got, random_block(page)) << page;
    // The engine cached the page: the same block again is served here (once the engine's
    // turn is over, which also publishes its stats).
    const ReadOutcome again = read_noting_thread(v, lbn_of(page), got);
    ASSERT_TRUE(again.status.ok());
    EXPECT_EQ(got, random_block(page)) << page;
    EXPECT_TRUE(again.inline_done) << page;
    if (!first.inline_done) {
      EXPECT_GT(v.stats().map_cache_misses, misses) << page;
    }
  }
  // Two pages cached, sixteen read: most of the first reads missed.
  EXPECT_GE(v.stats().map_cache_misses, 14u);
  ASSERT_TRUE(v.close().ok());
  expect_consistent(*f.mem);
}

// Readers on the fast path against a writer, a trimmer and a flusher on the same few LBNs:
// blocks are freed and handed out again all the time, and every read must still return a
// version that was written to that very block (or zeros), never another block's bytes.
TEST(EngineReads, ConcurrentReadsNeverSeeAReusedBlock) {
  Fixture f(4096, 8192, VolumeAlgorithm::kLz4);
  VolumeOptions o = f.options();
  o.packer_timeout_ms = 1;
  auto opened = Volume::open(*f.mem, o);
  ASSERT_TRUE(opened.ok());
  Volume& v = *opened.value;
  constexpr uint64_t kBlocks = 16;
  constexpr int kRounds = 100;
  // Mixed: fragments that pack, lone fragments stored whole, random blocks, duplicates.
  std::vector<std::vector<std::vector<uint8_t>>> versions(kBlocks);
  for (uint64_t lbn = 0; lbn < kBlocks; ++lbn) {
    for (int r = 0; r < kRounds; ++r) {
      const uint64_t seed = lbn * 1000 + static_cast<uint64_t>(r);
      versions[lbn].push_back(r % 4 == 1   ? random_block(seed)
                              : r % 4 == 2 ? text_block(seed - 2)  // a copy of round r - 2
                                           : text_block(seed));
    }
  }
  auto version = [&](uint64_t lbn, int round) -> const std::vector<uint8_t>& {
    return versions[lbn][static_cast<size_t>(round)];
  };
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {  // writer
    Rng rng(1);
    for (int r = 0; r < kRounds; ++r) {
      const uint64_t first = rng.below(kBlocks);
      const uint64_t count = 1 + rng.below(std::min<uint64_t>(4, kBlocks - first));
      std::vector<uint8_t> buf;
      for (uint64_t k = 0; k < count; ++k) {
        const auto b = version(first + k, r);
        buf.insert(buf.end(), b.begin(), b.end());
      }
      EXPECT_TRUE(v.write_sync(first * kB, buf, r % 9 == 8).ok());
    }
  });
  threads.emplace_back([&] {  // trimmer and zeroer
    Rng rng(2);
    while (!stop) {
      const uint64_t lbn = rng.below(kBlocks);
      if (rng.below(2) == 0) {
        EXPECT_TRUE(v.trim_sync(lbn * kB, kB).ok());
      } else {
        EXPECT_TRUE(v.write_zeroes_sync(lbn * kB, kB).ok());
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  threads.emplace_back([&] {  // flusher
    while (!stop) {
      EXPECT_TRUE(v.flush_sync().ok());
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  for (int rd = 0; rd < 2; ++rd) {
    threads.emplace_back([&, rd] {
      Rng rng(10 + rd);
      std::vector<uint8_t> buf(4 * kB);
      const std::vector<uint8_t> zeros(kB, 0);
      while (!stop) {
        const uint64_t count = 1 + rng.below(4);
        const uint64_t lbn = rng.below(kBlocks - count + 1);
        const MutableByteSpan span(buf.data(), count * kB);
        if (!v.read_sync(lbn * kB, span).ok()) {
          ++bad;
          continue;
        }
        ++reads;
        for (uint64_t k = 0; k < count; ++k) {
          const std::vector<uint8_t> got(buf.begin() + k * kB, buf.begin() + (k + 1) * kB);
          bool known = got == zeros;
          for (int r = 0; r < kRounds && !known; ++r) known = got == version(lbn + k, r);
          if (!known) ++bad;
        }
      }
    });
  }
  threads[0].join();
  stop = true;
  for (size_t t = 1; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0u);
  const VolumeStats s = v.stats();
  EXPECT_EQ(s.read_errors, 0u);
  EXPECT_GT(s.map_cache_hits, 0u);
  ASSERT_TRUE(v.close().ok());
  expect_consistent(*f.mem);
}

}  // namespace
}  // namespace accz::store

namespace accz::store {
namespace {

// A multi-block read issues one backing read per run of whole blocks at consecutive PBNs, and
// none for a block that shares the previous block's PBN (a duplicate written right after
// its original) or a compressed block already read for an earlier fragment.
TEST(EngineReads, SharedAndPackedBlocksAreReadOnce) {
  FaultFixture f;
  auto v = f.open();
  // LBN 0-1 one random block twice, 2-3 another twice, 4-9 six text blocks (one request:
  // they share a bin), 10 zero.
  std::vector<uint8_t> data;
  for (uint64_t k : {0, 0, 1, 1}) {
    const auto b = random_block(100 + k);
    data.insert(data.end(), b.begin(), b.end());
  }
  for (uint64_t k = 0; k < 6; ++k) {
    const auto b = text_block(200 + k);
    data.insert(data.end(), b.begin(), b.end());
  }
  data.resize(data.size() + kB, 0);
  ASSERT_TRUE(v->write_sync(0, data).ok());
  ASSERT_TRUE(v->flush_sync().ok());
  EXPECT_EQ(v->stats().data_blocks_used, 3u);
  // Once through the engine (caching the map page), then on the caller's thread.
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<uint8_t> back(data.size(), 0xEE);
    const uint64_t before = f.fb.stats().reads;
    ReadOutcome r = read_noting_thread(*v, 0, back);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_EQ(back, data) << pass;
    // Two whole blocks (adjacent PBNs or not) and one compressed block.
    EXPECT_LE(f.fb.stats().reads - before, 3u) << pass;
    EXPECT_GE(f.fb.stats().reads - before, 2u) << pass;
  }
  ASSERT_TRUE(v->close().ok());
  expect_consistent(f.fb);
}

}  // namespace
}  // namespace accz::store
