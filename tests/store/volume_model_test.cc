// Randomised model-based tests of the Volume engine: thousands of random writes (1–8 blocks
// from a small pool of contents, so dedupe happens), overwrites, trims, write_zeroes,
// flushes and reads, several in flight at once, against a plain array that says what every
// logical block must read as. Every read is checked the moment it completes; at the end the
// volume is closed, checked with check_volume(), reopened and read back whole.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/backing/memory_backing.h"
#include "store/volume/checker.h"
#include "store/volume/superblock_io.h"
#include "volume_test_support.h"

namespace accz::store {
namespace {

using testing::ContentPool;
using testing::kBlock;
using testing::kHole;
using testing::kZeros;
using testing::Op;
using testing::Pending;

constexpr uint64_t kLogical = 1024;      // 3 map pages against a cache of 2
constexpr uint64_t kDevBlocks = 2560;    // room for every LBN to hold a distinct block
constexpr uint64_t kJournalBlocks = 32;  // small: the ring wraps and forces checkpoints

struct Case {
  VolumeAlgorithm algorithm;
  bool dedupe;
  // Distinct contents written. A handful makes duplicates of writes still in flight (in the
  // packer, or being compressed) the common case.
  size_t pool = 48;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(to_string(info.param.algorithm)) +
         (info.param.dedupe ? "_dedupe" : "_nodedupe") +
         (info.param.pool != 48 ? "_pool" + std::to_string(info.param.pool) : "");
}

VolumeOptions small_options() {
  VolumeOptions o;
  o.map_cache_pages = 2;
  o.dedup_index_bytes = 1 << 20;
  o.packer_bins = 4;
  o.accel = testing::shared_accel();
  return o;
}

// The volume every test here creates: kLogical blocks with a kJournalBlocks journal, pinned
// to `nonce` so that images are reproducible.
CreateOptions model_volume(VolumeAlgorithm algorithm, uint64_t nonce) {
  CreateOptions c;
  c.logical_blocks = kLogical;
  c.journal_blocks = kJournalBlocks;
  c.algorithm = algorithm;
  c.nonce = nonce;
  return c;
}

class VolumeModel : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    CreateOptions c = model_volume(GetParam().algorithm, 77);
    c.dedupe = GetParam().dedupe;
    auto sb = create_volume(dev_, c);
    ASSERT_TRUE(sb.ok()) << sb.status.to_string();
  }

  // Checks one read buffer against the model; returns false after the first mismatch.
  bool check_read(uint64_t lbn, ByteSpan data, const char* what) {
    for (uint64_t i = 0; i * kBlock < data.size(); ++i) {
      const int want = model_[lbn + i];
      const ByteSpan got = data.subspan(i * kBlock, kBlock);
      const ByteSpan expect = want >= 0 ? pool_.block(want) : pool_.block(0);
      if (!std::equal(got.begin(), got.end(), expect.begin())) {
        const auto is = pool_.identify(got);
        ADD_FAILURE() << what << ": lbn " << lbn + i << " should read as "
                      << testing::describe(want) << ", reads as "
                      << (is ? testing::describe(*is) : std::string("garbage"));
        return false;
      }
    }
    return true;
  }

  MemoryBacking dev_{kDevBlocks * kBlock};
  ContentPool pool_{GetParam().pool, 5};
  std::vector<int> model_ = std::vector<int>(kLogical, kHole);
};

TEST_P(VolumeModel, RandomOperationsMatchTheModel) {
  const uint64_t seed = 1000 + static_cast<uint64_t>(GetParam().algorithm) * 10 +
                        (GetParam().dedupe ? 1 : 0) + GetParam().pool * 100;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Rng rng(seed);
  const int batches = 700 / testing::kScale;
  uint64_t ops_done = 0, fua_writes = 0;
  {
    auto opened = Volume::open(dev_, small_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    Volume& v = *opened.value;
    ASSERT_EQ(v.logical_bytes(), kLogical * kBlock);
    Pending pending;
    for (int b = 0; b < batches && !HasFailure(); ++b) {
      std::vector<Op> batch = testing::make_batch(rng, pool_, kLogical, 160, {});
      for (Op& op : batch) {
        fua_writes += op.kind == Op::kWrite && op.fua;
        testing::issue(v, op, pending.track(op.slot));
      }
      pending.wait();
      for (Op& op : batch) {
        ++ops_done;
        ASSERT_TRUE(op.slot->status.ok())
            << "batch " << b << " " << testing::to_string(op.kind) << " lbn " << op.lbn << " count "
            << op.count << ": " << op.slot->status.to_string();
        if (op.kind == Op::kRead && !check_read(op.lbn, op.buf, "async read")) break;
      }
      for (Op& op : batch) {
        if (op.kind == Op::kRead || op.kind == Op::kFlush) continue;
        for (uint64_t i = 0; i < op.count; ++i) model_[op.lbn + i] = testing::op_value(op, i);
      }
      // Read-your-write: the writes just completed may still be in the packer or being
      // compressed; a read now must see them.
      for (Op& op : batch) {
        if (op.kind != Op::kWrite || !rng.chance(1, 3)) continue;
        std::vector<uint8_t> back(op.count * kBlock);
        ASSERT_TRUE(v.read_sync(op.lbn * kBlock, back).ok());
        if (!check_read(op.lbn, back, "read after write")) break;
      }
    }
    EXPECT_EQ(pending.double_completions(), 0u);
    ASSERT_FALSE(HasFailure());

    // Stats count a write as mapped once its bin is written: flush first.
    ASSERT_TRUE(v.flush_sync().ok());
    const VolumeStats st = v.stats();
    uint64_t used = 0;
    for (int m : model_) used += m > 0;
    EXPECT_EQ(st.logical_blocks, kLogical);
    EXPECT_EQ(st.logical_blocks_used, used);
    EXPECT_FALSE(st.read_only);
    EXPECT_GE(st.fua_writes, fua_writes);
    if (!GetParam().dedupe) {
      EXPECT_EQ(st.dedupe_advice_valid, 0u);
    }
    if (GetParam().dedupe) {
      EXPECT_GT(st.dedupe_advice_valid, 0u);
    }
    if (GetParam().algorithm == VolumeAlgorithm::kNone) {
      EXPECT_EQ(st.compressed_fragments_written, 0u);
    } else {
      EXPECT_GT(st.compressed_fragments_written, 0u);
      EXPECT_GT(st.compressed_blocks_written, 0u);
    }
    EXPECT_LE(st.data_blocks_used, used);
    ASSERT_TRUE(v.close().ok());
  }
  EXPECT_GT(ops_done, 1000u / testing::kScale);

  auto sb = load_superblock(dev_);
  ASSERT_TRUE(sb.ok()) << sb.status.to_string();
  EXPECT_EQ(sb.value.state, VolumeState::kClean);
  auto report = check_volume(dev_, sb.value);
  ASSERT_TRUE(report.ok()) << report.status.to_string();
  for (const auto& p : report.value.problems) ADD_FAILURE() << "checker: " << p;

  uint64_t mapped = 0, zero = 0;
  for (int m : model_) {
    mapped += m > 0;
    zero += m == kZeros || m == 0;
  }
  EXPECT_EQ(report.value.lbns_mapped, mapped);
  EXPECT_EQ(report.value.lbns_zero, zero);

  auto reopened = Volume::open(dev_, small_options());
  ASSERT_TRUE(reopened.ok()) << reopened.status.to_string();
  Volume& v = *reopened.value;
  EXPECT_EQ(v.stats().data_blocks_used, report.value.blocks_in_use);
  std::vector<uint8_t> all(kLogical * kBlock);
  ASSERT_TRUE(v.read_sync(0, all).ok());
  EXPECT_TRUE(check_read(0, all, "after reopen"));

  // extents(): holes are exactly the never-written or trimmed blocks; zero covers written
  // zeros too.
  auto ext = v.extents(0, kLogical * kBlock);
  ASSERT_TRUE(ext.ok()) << ext.status.to_string();
  uint64_t lbn = 0;
  for (const VolumeExtent& e : ext.value) {
    ASSERT_EQ(e.length % kBlock, 0u);
    for (uint64_t i = 0; i < e.length / kBlock; ++i, ++lbn) {
      ASSERT_LT(lbn, kLogical);
      const int m = model_[lbn];
      EXPECT_EQ(e.hole, m == kHole) << "lbn " << lbn << " is " << testing::describe(m);
      EXPECT_EQ(e.zero, m == kHole || m == kZeros || m == 0)
          << "lbn " << lbn << " is " << testing::describe(m);
    }
  }
  EXPECT_EQ(lbn, kLogical);
  EXPECT_TRUE(v.close().ok());

  // A read-only open serves the same data and refuses every change.
  auto before = load_superblock(dev_);
  ASSERT_TRUE(before.ok());
  VolumeOptions ro = small_options();
  ro.read_only = true;
  auto readonly = Volume::open(dev_, ro);
  ASSERT_TRUE(readonly.ok()) << readonly.status.to_string();
  std::fill(all.begin(), all.end(), 0xee);
  ASSERT_TRUE(readonly.value->read_sync(0, all).ok());
  EXPECT_TRUE(check_read(0, all, "read-only open"));
  EXPECT_EQ(readonly.value->write_sync(0, pool_.block(1)).code(), StoreErrc::kReadOnly);
  EXPECT_EQ(readonly.value->trim_sync(0, kBlock).code(), StoreErrc::kReadOnly);
  EXPECT_EQ(readonly.value->write_zeroes_sync(0, kBlock).code(), StoreErrc::kReadOnly);
  EXPECT_TRUE(readonly.value->stats().read_only);
  EXPECT_TRUE(readonly.value->close().ok());
  auto after = load_superblock(dev_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.value, before.value) << "a read-only session changed the superblock";
}

INSTANTIATE_TEST_SUITE_P(
    AllAlgorithms, VolumeModel,
    ::testing::Values(Case{VolumeAlgorithm::kLz4, true}, Case{VolumeAlgorithm::kLz4, false},
                      Case{VolumeAlgorithm::kDeflate, true}, Case{VolumeAlgorithm::kDeflate, false},
                      Case{VolumeAlgorithm::kZstd, true}, Case{VolumeAlgorithm::kZstd, false},
                      Case{VolumeAlgorithm::kNone, true}, Case{VolumeAlgorithm::kNone, false},
                      Case{VolumeAlgorithm::kLz4, true, 6},
                      Case{VolumeAlgorithm::kDeflate, true, 6}),
    case_name);

// Several writer threads at once on disjoint regions (the NBD server's many connections):
// each thread checks its own region, so any cross-talk between concurrent writes shows.
TEST(VolumeModelThreads, ConcurrentWritersOnDisjointRegions) {
  MemoryBacking dev(kDevBlocks * kBlock);
  ASSERT_TRUE(create_volume(dev, model_volume(VolumeAlgorithm::kLz4, 78)).ok());
  const ContentPool pool(32, 9);
  constexpr int kThreads = 4;
  const uint64_t region = kLogical / kThreads;
  std::vector<std::vector<int>> models(kThreads, std::vector<int>(region, kHole));
  {
    auto opened = Volume::open(dev, small_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    Volume& v = *opened.value;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Rng rng(300 + static_cast<uint64_t>(t));
        std::vector<int>& model = models[static_cast<size_t>(t)];
        const uint64_t base = static_cast<uint64_t>(t) * region;
        std::vector<uint8_t> buf(kBlock);
        for (int i = 0; i < 600 / testing::kScale; ++i) {
          const uint64_t lbn = rng.below(static_cast<uint32_t>(region));
          const uint32_t r = rng.below(10);
          StoreStatus s;
          if (r < 6) {
            const int id = static_cast<int>(rng.below(static_cast<uint32_t>(pool.size())));
            s = v.write_sync((base + lbn) * kBlock, pool.block(id), rng.chance(1, 20));
            model[lbn] = id;
          } else if (r < 7) {
            s = v.trim_sync((base + lbn) * kBlock, kBlock);
            model[lbn] = kHole;
          } else if (r < 8) {
            s = v.flush_sync();
          } else {
            s = v.read_sync((base + lbn) * kBlock, buf);
            const int want = model[lbn] >= 0 ? model[lbn] : 0;
            const ByteSpan expect = pool.block(want);
            if (s.ok() && !std::equal(buf.begin(), buf.end(), expect.begin())) {
              ADD_FAILURE() << "thread " << t << " lbn " << base + lbn << " should read as "
                            << testing::describe(model[lbn]);
              ++failures;
            }
          }
          if (!s.ok()) {
            ADD_FAILURE() << "thread " << t << ": " << s.to_string();
            ++failures;
          }
          if (failures > 0) return;
        }
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_EQ(failures.load(), 0);
    ASSERT_TRUE(v.close().ok());
  }
  auto sb = load_superblock(dev);
  ASSERT_TRUE(sb.ok());
  auto report = check_volume(dev, sb.value);
  ASSERT_TRUE(report.ok());
  for (const auto& p : report.value.problems) ADD_FAILURE() << "checker: " << p;
  auto reopened = Volume::open(dev, small_options());
  ASSERT_TRUE(reopened.ok()) << reopened.status.to_string();
  std::vector<uint8_t> buf(region * kBlock);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(reopened.value->read_sync(static_cast<uint64_t>(t) * region * kBlock, buf).ok());
    for (uint64_t l = 0; l < region; ++l) {
      const int m = models[static_cast<size_t>(t)][l];
      const ByteSpan expect = pool.block(m >= 0 ? m : 0);
      EXPECT_TRUE(std::equal(expect.begin(), expect.end(), buf.begin() + l * kBlock))
          << "lbn " << static_cast<uint64_t>(t) * region + l << " after reopen";
    }
  }
}

// close() while other threads are still writing: requests the volume accepted complete (ok,
// or refused as closed), close() waits for them, and every write that completed ok is on
// disk after reopen — none is lost between the last flush and the clean superblock.
TEST(VolumeModelThreads, CloseWhileWritesAreInFlight) {
  MemoryBacking dev(kDevBlocks * kBlock);
  ASSERT_TRUE(create_volume(dev, model_volume(VolumeAlgorithm::kLz4, 83)).ok());
  const ContentPool pool(32, 83);
  constexpr int kThreads = 3;
  const uint64_t region = kLogical / kThreads;
  std::vector<std::vector<int>> acked(kThreads, std::vector<int>(region, kHole));
  {
    auto opened = Volume::open(dev, small_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    Volume& v = *opened.value;
    std::atomic<int> started{0};
    std::vector<StoreErrc> last(kThreads, StoreErrc::kOk);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Rng rng(400 + static_cast<uint64_t>(t));
        const uint64_t base = static_cast<uint64_t>(t) * region;
        for (int i = 0;; ++i) {
          if (i == 20) ++started;
          const uint64_t lbn = rng.below(static_cast<uint32_t>(region));
          const int id = 1 + static_cast<int>(rng.below(static_cast<uint32_t>(pool.size() - 1)));
          const StoreStatus s = v.write_sync((base + lbn) * kBlock, pool.block(id));
          if (!s.ok()) {
            last[static_cast<size_t>(t)] = s.code();
            return;
          }
          acked[static_cast<size_t>(t)][lbn] = id;
        }
      });
    }
    while (started < kThreads) std::this_thread::yield();
    const StoreStatus closed = v.close();
    for (auto& th : threads) th.join();
    ASSERT_TRUE(closed.ok()) << closed.to_string();
    for (int t = 0; t < kThreads; ++t) {
      EXPECT_NE(last[static_cast<size_t>(t)], StoreErrc::kOk);
      EXPECT_NE(last[static_cast<size_t>(t)], StoreErrc::kIoError) << "thread " << t;
    }
  }
  auto sb = load_superblock(dev);
  ASSERT_TRUE(sb.ok());
  EXPECT_EQ(sb.value.state, VolumeState::kClean);
  auto report = check_volume(dev, sb.value);
  ASSERT_TRUE(report.ok());
  for (const auto& p : report.value.problems) ADD_FAILURE() << "checker: " << p;
  auto reopened = Volume::open(dev, small_options());
  ASSERT_TRUE(reopened.ok()) << reopened.status.to_string();
  StoreStatus s;
  const auto got = testing::read_all(*reopened.value, pool, &s);
  ASSERT_TRUE(s.ok());
  int bad = 0;
  for (int t = 0; t < kThreads && bad < 8; ++t) {
    for (uint64_t l = 0; l < region && bad < 8; ++l) {
      const uint64_t lbn = static_cast<uint64_t>(t) * region + l;
      const int want = testing::as_read(acked[static_cast<size_t>(t)][l]);
      if (got[lbn] != want) {
        ++bad;
        ADD_FAILURE() << "lbn " << lbn << " was acknowledged as " << testing::describe(want)
                      << " before close, reads as "
                      << (got[lbn] ? testing::describe(*got[lbn]) : std::string("garbage"));
      }
    }
  }
}

// One content written to far more LBNs than a block's count allows (254, format §5): the
// engine makes new copies, every LBN still reads it back, and the counts check.
TEST(VolumeModelLimits, ReferenceLimitMakesNewCopies) {
  MemoryBacking dev(kDevBlocks * kBlock);
  ASSERT_TRUE(create_volume(dev, model_volume(VolumeAlgorithm::kNone, 79)).ok());
  const std::vector<uint8_t> block = ContentPool::make(testing::ContentKind::kRandom, 4);
  constexpr uint64_t kCopies = 600;
  {
    auto opened = Volume::open(dev, small_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    Volume& v = *opened.value;
    for (uint64_t l = 0; l < kCopies; ++l) ASSERT_TRUE(v.write_sync(l * kBlock, block).ok());
    ASSERT_TRUE(v.flush_sync().ok());
    const VolumeStats st = v.stats();
    EXPECT_EQ(st.logical_blocks_used, kCopies);
    EXPECT_EQ(st.data_blocks_used, (kCopies + 253) / 254);
    EXPECT_GE(st.reference_limit_copies, 2u);
    ASSERT_TRUE(v.close().ok());
  }
  auto sb = load_superblock(dev);
  ASSERT_TRUE(sb.ok());
  auto report = check_volume(dev, sb.value);
  ASSERT_TRUE(report.ok());
  for (const auto& p : report.value.problems) ADD_FAILURE() << "checker: " << p;
  auto reopened = Volume::open(dev, small_options());
  ASSERT_TRUE(reopened.ok());
  std::vector<uint8_t> buf(kBlock);
  for (uint64_t l = 0; l < kCopies; ++l) {
    ASSERT_TRUE(reopened.value->read_sync(l * kBlock, buf).ok());
    ASSERT_EQ(buf, block) << "lbn " << l;
  }
}

// Requests on the same blocks in flight together complete in an unspecified order, but the
// volume must then settle on one answer: what a read returns afterwards is one of the
// requests' values, and the same value survives close and reopen (memory and disk agree).
TEST(VolumeModelLimits, OverlappingRequestsSettleTheSameInMemoryAndOnDisk) {
  MemoryBacking dev(kDevBlocks * kBlock);
  ASSERT_TRUE(create_volume(dev, model_volume(VolumeAlgorithm::kLz4, 82)).ok());
  const ContentPool pool(24, 82);
  std::vector<int> settled(kLogical, kHole);
  Rng rng(82);
  {
    auto opened = Volume::open(dev, small_options());
    ASSERT_TRUE(opened.ok());
    Volume& v = *opened.value;
    Pending pending;
    for (int round = 0; round < 300 / testing::kScale; ++round) {
      // 2–4 requests over a 16-block window, overlapping freely.
      const uint64_t base = rng.below(static_cast<uint32_t>(kLogical - 16));
      std::vector<Op> ops(rng.between(2, 4));
      for (Op& op : ops) {
        op.lbn = base + rng.below(12);
        op.count = rng.between(1, 4);
        const uint32_t r = rng.below(10);
        op.kind = r < 7 ? Op::kWrite : r < 9 ? Op::kTrim : Op::kZeroes;
        op.buf.resize(op.count * kBlock);
        if (op.kind == Op::kWrite) {
          for (uint64_t i = 0; i < op.count; ++i) {
            const int id = 1 + static_cast<int>(rng.below(static_cast<uint32_t>(pool.size() - 1)));
            op.contents.push_back(id);
            std::copy(pool.block(id).begin(), pool.block(id).end(),
                      op.buf.begin() + static_cast<long>(i * kBlock));
          }
        }
      }
      for (Op& op : ops) testing::issue(v, op, pending.track(op.slot));
      pending.wait();
      std::vector<uint8_t> buf(16 * kBlock);
      ASSERT_TRUE(v.read_sync(base * kBlock, buf).ok());
      for (uint64_t i = 0; i < 16; ++i) {
        const uint64_t lbn = base + i;
        const auto got = pool.identify(ByteSpan(buf).subspan(i * kBlock, kBlock));
        ASSERT_TRUE(got.has_value()) << "lbn " << lbn << " reads as garbage";
        // Allowed: the value before the round, or any request's value for this block.
        bool ok = *got == testing::as_read(settled[lbn]);
        for (const Op& op : ops) {
          ASSERT_TRUE(op.slot->status.ok()) << op.slot->status.to_string();
          if (lbn >= op.lbn && lbn < op.lbn + op.count) {
            ok = ok || *got == testing::as_read(testing::op_value(op, lbn - op.lbn));
          }
        }
        bool touched = false;
        for (const Op& op : ops) touched = touched || (lbn >= op.lbn && lbn < op.lbn + op.count);
        if (!touched) ok = *got == testing::as_read(settled[lbn]);
        ASSERT_TRUE(ok) << "round " << round << " lbn " << lbn << " reads as "
                        << testing::describe(*got);
        settled[lbn] = *got;
      }
    }
    ASSERT_TRUE(v.close().ok());
  }
  auto sb = load_superblock(dev);
  ASSERT_TRUE(sb.ok());
  auto report = check_volume(dev, sb.value);
  ASSERT_TRUE(report.ok());
  for (const auto& p : report.value.problems) ADD_FAILURE() << "checker: " << p;
  auto reopened = Volume::open(dev, small_options());
  ASSERT_TRUE(reopened.ok());
  StoreStatus s;
  const auto got = testing::read_all(*reopened.value, pool, &s);
  ASSERT_TRUE(s.ok());
  int bad = 0;
  for (uint64_t l = 0; l < kLogical && bad < 8; ++l) {
    if (got[l] != testing::as_read(settled[l])) {
      ++bad;
      ADD_FAILURE() << "lbn " << l << " read as " << testing::describe(settled[l])
                    << " before close, as "
                    << (got[l] ? testing::describe(*got[l]) : std::string("garbage"))
                    << " after reopen";
    }
  }
}

// Backpressure: with room for two requests in flight, a caller that keeps submitting is held
// back (write() and read() block) rather than queueing without bound, requests larger than
// the whole limit still go through, and everything completes with the right data.
TEST(VolumeModelLimits, SmallInFlightLimitHoldsCallersBackAndCompletesEverything) {
  MemoryBacking dev(kDevBlocks * kBlock);
  ASSERT_TRUE(create_volume(dev, model_volume(VolumeAlgorithm::kLz4, 84)).ok());
  const ContentPool pool(24, 84);
  VolumeOptions o = small_options();
  o.max_in_flight = 2;
  auto opened = Volume::open(dev, o);
  ASSERT_TRUE(opened.ok());
  Volume& v = *opened.value;
  Rng rng(84);
  std::vector<Op> ops(120);
  std::vector<int> model(kLogical, kHole);
  Pending pending;
  for (size_t i = 0; i < ops.size(); ++i) {
    Op& op = ops[i];
    op.kind = Op::kWrite;
    op.lbn = i * 8;  // disjoint: 120 × 8 blocks
    op.count = 1 + rng.below(8);
    op.buf.resize(op.count * kBlock);
    for (uint64_t b = 0; b < op.count; ++b) {
      const int id = 1 + static_cast<int>(rng.below(static_cast<uint32_t>(pool.size() - 1)));
      op.contents.push_back(id);
      model[op.lbn + b] = id;
      std::copy(pool.block(id).begin(), pool.block(id).end(),
                op.buf.begin() + static_cast<long>(b * kBlock));
    }
    testing::issue(v, op, pending.track(op.slot));
    EXPECT_LE(v.stats().in_flight, o.max_in_flight) << "request " << i;
  }
  pending.wait();
  for (const Op& op : ops) ASSERT_TRUE(op.slot->status.ok()) << op.slot->status.to_string();
  std::vector<Op> reads(ops.size());
  for (size_t i = 0; i < reads.size(); ++i) {
    reads[i].kind = Op::kRead;
    reads[i].lbn = ops[i].lbn;
    reads[i].count = 8;
    reads[i].buf.resize(8 * kBlock);
    testing::issue(v, reads[i], pending.track(reads[i].slot));
  }
  pending.wait();
  for (const Op& r : reads) {
    ASSERT_TRUE(r.slot->status.ok()) << r.slot->status.to_string();
    for (uint64_t b = 0; b < 8; ++b) {
      const int want = model[r.lbn + b];
      const ByteSpan expect = pool.block(want >= 0 ? want : 0);
      EXPECT_TRUE(std::equal(expect.begin(), expect.end(), r.buf.begin() + b * kBlock))
          << "lbn " << r.lbn + b;
    }
  }
  EXPECT_TRUE(v.close().ok());
}

// Dedupe advice that has gone stale — the block it names was freed and now holds other data —
// must be caught by the byte comparison: the new write gets its own data, never the block's
// current contents.
TEST(VolumeModelLimits, StaleDedupeAdviceIsVerified) {
  MemoryBacking dev(kDevBlocks * kBlock);
  // Whole blocks: a freed block is reused whole.
  ASSERT_TRUE(create_volume(dev, model_volume(VolumeAlgorithm::kNone, 81)).ok());
  auto opened = Volume::open(dev, small_options());
  ASSERT_TRUE(opened.ok());
  Volume& v = *opened.value;
  const std::vector<uint8_t> a = ContentPool::make(testing::ContentKind::kRandom, 21);
  ASSERT_TRUE(v.write_sync(0, a, true).ok());
  ASSERT_TRUE(v.trim_sync(0, kBlock, true).ok());  // A's block is free; the index still names it
  ASSERT_TRUE(v.flush_sync().ok());
  // Fill the volume's free blocks in order, so A's old block gets new contents.
  std::vector<std::vector<uint8_t>> others;
  for (uint64_t l = 1; l < 300; ++l) {
    others.push_back(ContentPool::make(testing::ContentKind::kRandom, 1000 + l));
    ASSERT_TRUE(v.write_sync(l * kBlock, others.back()).ok());
  }
  ASSERT_TRUE(v.flush_sync().ok());
  ASSERT_TRUE(v.write_sync(400 * kBlock, a).ok());
  std::vector<uint8_t> buf(kBlock);
  ASSERT_TRUE(v.read_sync(400 * kBlock, buf).ok());
  EXPECT_EQ(buf, a);
  for (uint64_t l = 1; l < 300; ++l) {
    ASSERT_TRUE(v.read_sync(l * kBlock, buf).ok());
    ASSERT_EQ(buf, others[l - 1]) << "lbn " << l;
  }
  std::printf("stale dedupe advice caught: %llu\n",
              static_cast<unsigned long long>(v.stats().dedupe_advice_stale));
  EXPECT_TRUE(v.close().ok());
}

// Requests outside the contract's ranges complete with kInvalidArgument and change nothing.
TEST(VolumeModelLimits, MisalignedAndOutOfRangeRequestsAreRefused) {
  MemoryBacking dev(kDevBlocks * kBlock);
  ASSERT_TRUE(create_volume(dev, model_volume(VolumeAlgorithm::kLz4, 80)).ok());
  auto opened = Volume::open(dev, small_options());
  ASSERT_TRUE(opened.ok());
  Volume& v = *opened.value;
  const std::vector<uint8_t> block = ContentPool::make(testing::ContentKind::kText, 1);
  ASSERT_TRUE(v.write_sync(0, block).ok());
  std::vector<uint8_t> buf(2 * kBlock);
  EXPECT_EQ(v.write_sync(512, block).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(v.write_sync(kLogical * kBlock, block).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(v.read_sync((kLogical - 1) * kBlock, buf).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(v.read_sync(0, MutableByteSpan(buf).first(100)).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(v.trim_sync(0, 100).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(v.write_zeroes_sync(kLogical * kBlock, kBlock).code(), StoreErrc::kInvalidArgument);
  EXPECT_TRUE(v.write_sync(kBlock, ByteSpan()).ok());  // zero length: ok, nothing
  ASSERT_TRUE(v.flush_sync().ok());
  ASSERT_TRUE(v.read_sync(0, MutableByteSpan(buf).first(kBlock)).ok());
  EXPECT_TRUE(std::equal(block.begin(), block.end(), buf.begin()));
  EXPECT_EQ(v.stats().logical_blocks_used, 1u);
  EXPECT_TRUE(v.close().ok());
}

}  // namespace
}  // namespace accz::store
