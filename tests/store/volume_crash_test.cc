// Crash and error tests of the Volume engine (volume.h's durability promise, docs/format.md
// §9): random workloads with flushes and FUA writes, cut off at every kind of point — power
// cuts after the Nth backing write or flush, the write it lands on lost or torn, during the
// workload, the close or the next replay (CutoffBacking); a device cache that drops, keeps
// or tears unflushed writes at 512 B, and a device that stops writing or dies
// (FaultBacking) — then reopened (replay). A model records
// for every logical block which values a crash may leave: the value made durable by the last
// completed flush or FUA write, plus every value written since. After recovery every block
// must read as one of them (flushed and FUA blocks exactly), and check_volume() must find the
// volume consistent. Then injected EIO and a full volume.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/backing/fault_backing.h"
#include "store/backing/memory_backing.h"
#include "store/volume/checker.h"
#include "store/volume/superblock_io.h"
#include "volume_test_support.h"

namespace accz::store {
namespace {

using testing::as_read;
using testing::ContentPool;
using testing::kBlock;
using testing::kHole;
using testing::kZeros;
using testing::Op;
using testing::Pending;

constexpr uint64_t kLogical = 512;  // 2 map pages against a cache of 1
constexpr uint64_t kDevBlocks = 1280;
constexpr uint64_t kJournalBlocks = 16;  // the minimum: the ring wraps, checkpoints are forced
constexpr uint64_t kHot = 96;

VolumeOptions crash_options() {
  VolumeOptions o;
  o.map_cache_pages = 1;
  o.dedup_index_bytes = 1 << 20;
  o.packer_bins = 4;
  o.accel = testing::shared_accel();
  return o;
}

// More flushes and FUA than the model test: durability points are what a crash tests.
testing::OpMix crash_mix() {
  testing::OpMix m;
  m.write = 55;
  m.read = 15;
  m.trim = 8;
  m.zeroes = 8;
  m.flush = 14;
  m.fua_percent = 15;
  return m;
}

// For every logical block: what it reads as now, and every value a crash may leave it with
// (as read: holes and written zeros both read as zeros).
struct CrashModel {
  std::vector<int> current = std::vector<int>(kLogical, kHole);
  std::vector<std::vector<int>> allowed = std::vector<std::vector<int>>(kLogical, {kZeros});
  // The last few events of each block, for failure messages.
  std::vector<std::string> history = std::vector<std::string>(kLogical);

  void note(uint64_t lbn, const std::string& what) {
    std::string& h = history[lbn];
    h += (h.empty() ? "" : ", ") + what;
    if (h.size() > 400) h.erase(0, h.size() - 400);
  }
  void written(uint64_t lbn, int v, const std::string& why = "") {
    current[lbn] = v;
    auto& a = allowed[lbn];
    if (std::find(a.begin(), a.end(), as_read(v)) == a.end()) a.push_back(as_read(v));
    if (!why.empty()) note(lbn, why + " " + testing::describe(v));
  }
  void durable(uint64_t lbn, int v, const std::string& why = "") {
    current[lbn] = v;
    allowed[lbn] = {as_read(v)};
    if (!why.empty()) note(lbn, why + " durable");
  }
  void all_durable(const std::string& why = "") {
    for (uint64_t l = 0; l < kLogical; ++l) {
      allowed[l] = {as_read(current[l])};
      if (!why.empty() && current[l] != kHole) note(l, why);
    }
  }
};

std::string allowed_list(const std::vector<int>& a) {
  std::string s;
  for (int v : a) s += (s.empty() ? "" : " or ") + testing::describe(v);
  return s;
}

// Runs random batches against the model. `power_off` says whether the device has already
// lost power (it runs inside completion callbacks, so a flush or FUA write that completes
// after the cut is not counted as durable, and reads after it are not checked: a real host
// would not have lived to see them). Stops after the batch in which power went.
// `before_batch(b)` may arm a fault before batch b.
void run_batches(Volume& v, Rng& rng, const ContentPool& pool, CrashModel& m, int batches,
                 const std::function<bool()>& power_off,
                 const std::function<void(int)>& before_batch = nullptr) {
  Pending pending;
  for (int b = 0; b < batches; ++b) {
    if (before_batch) before_batch(b);
    std::vector<Op> batch = testing::make_batch(rng, pool, kLogical, kHot, crash_mix());
    for (Op& op : batch) testing::issue(v, op, pending.track(op.slot, power_off));
    pending.wait();
    // A flush covers what completed before it was issued: the model before this batch.
    for (const Op& op : batch) {
      if (op.kind == Op::kFlush && op.slot->status.ok() && !op.slot->cut_at_completion) {
        m.all_durable("b" + std::to_string(b) + " flush");
      }
    }
    for (const Op& op : batch) {
      const bool live = !op.slot->cut_at_completion;
      if (live && !op.slot->status.ok()) {
        ADD_FAILURE() << "batch " << b << " " << testing::to_string(op.kind) << " lbn " << op.lbn
                      << " count " << op.count << ": " << op.slot->status.to_string();
      }
      if (op.kind == Op::kRead && live && op.slot->status.ok()) {
        for (uint64_t i = 0; i < op.count; ++i) {
          const auto got = pool.identify(ByteSpan(op.buf).subspan(i * kBlock, kBlock));
          const int want = as_read(m.current[op.lbn + i]);
          if (got != want) {
            ADD_FAILURE() << "batch " << b << " read lbn " << op.lbn + i << " should read as "
                          << testing::describe(want) << ", reads as "
                          << (got ? testing::describe(*got) : std::string("garbage"));
          }
        }
      }
      if (op.kind == Op::kRead || op.kind == Op::kFlush) continue;
      for (uint64_t i = 0; i < op.count; ++i) {
        // A request that failed after the cut may still have reached the disk.
        const std::string why = "b" + std::to_string(b) + " " + testing::to_string(op.kind) +
                                (op.fua ? "+fua" : "") + (live ? "" : " after cut") +
                                (op.slot->status.ok() ? "" : " failed");
        m.written(op.lbn + i, testing::op_value(op, i), why);
        if (op.fua && live && op.slot->status.ok()) {
          m.durable(op.lbn + i, testing::op_value(op, i), why);
        }
      }
    }
    if (power_off()) return;
  }
}

// Reads every block of a recovered volume: each must be one of the values the model allows;
// then the model takes what was read as the new durable state.
void verify_recovered(Volume& v, const ContentPool& pool, CrashModel& m) {
  StoreStatus s;
  const auto got = testing::read_all(v, pool, &s);
  ASSERT_TRUE(s.ok()) << "read after recovery: " << s.to_string();
  int bad = 0;
  for (uint64_t l = 0; l < kLogical && bad < 8; ++l) {
    const auto& a = m.allowed[l];
    if (!got[l]) {
      ADD_FAILURE() << "lbn " << l << " reads as garbage after recovery; allowed "
                    << allowed_list(a) << "; history: " << m.history[l];
      ++bad;
    } else if (std::find(a.begin(), a.end(), *got[l]) == a.end()) {
      ADD_FAILURE() << "lbn " << l << " reads as " << testing::describe(*got[l])
                    << " after recovery; allowed " << allowed_list(a)
                    << "; history: " << m.history[l];
      ++bad;
    }
  }
  for (uint64_t l = 0; l < kLogical; ++l) {
    if (got[l]) m.durable(l, *got[l], "recovered");
  }
}

void expect_consistent(BackingStore& dev) {
  auto sb = load_superblock(dev);
  ASSERT_TRUE(sb.ok()) << sb.status.to_string();
  EXPECT_EQ(sb.value.state, VolumeState::kClean);
  auto report = check_volume(dev, sb.value);
  ASSERT_TRUE(report.ok()) << report.status.to_string();
  for (const auto& p : report.value.problems) ADD_FAILURE() << "checker: " << p;
}

// Opens `dev` (replaying), checks every block against the model, closes cleanly and checks.
void recover_and_check(BackingStore& dev, const ContentPool& pool, CrashModel& m) {
  {
    auto opened = Volume::open(dev, crash_options());
    ASSERT_TRUE(opened.ok()) << "reopen after crash: " << opened.status.to_string();
    verify_recovered(*opened.value, pool, m);
    const StoreStatus closed = opened.value->close();
    ASSERT_TRUE(closed.ok()) << "close after recovery: " << closed.to_string();
  }
  expect_consistent(dev);
}

std::vector<uint8_t> fresh_image(VolumeAlgorithm algorithm, uint64_t nonce) {
  MemoryBacking dev(kDevBlocks * kBlock);
  CreateOptions c;
  c.logical_blocks = kLogical;
  c.journal_blocks = kJournalBlocks;
  c.algorithm = algorithm;
  c.nonce = nonce;
  auto sb = create_volume(dev, c);
  EXPECT_TRUE(sb.ok()) << sb.status.to_string();
  return dev.snapshot();
}

struct SweepCase {
  VolumeAlgorithm algorithm;
  // Distinct contents written: a handful makes duplicates of writes still in flight common.
  size_t pool = 40;
};

class CrashSweep : public ::testing::TestWithParam<SweepCase> {
 protected:
  void sweep(uint64_t seed);
};

// The same workload (one seed) with the power cut after its Nth backing write or flush, for
// every N from open's dirty superblock to the end of the run, so cuts land between data writes,
// their pre-flush, journal blocks, checkpoints of map pages and refcount blocks, and the flushes
// between them. At every other cut point the write the cut lands on is torn (a random half of
// its sectors written) rather than lost. Every third cut point also cuts power again during
// the replay that follows.
TEST_P(CrashSweep, PowerCutAfterAnyWriteOrFlush) {
  for (int round = 0; round < testing::soak() && !HasFailure(); ++round) {
    sweep(40 + static_cast<uint64_t>(GetParam().algorithm) + GetParam().pool * 100 +
          static_cast<uint64_t>(round) * 1000);
  }
}

void CrashSweep::sweep(uint64_t seed) {
  const VolumeAlgorithm algorithm = GetParam().algorithm;
  SCOPED_TRACE("seed " + std::to_string(seed));
  const ContentPool pool(GetParam().pool, seed);
  const std::vector<uint8_t> image = fresh_image(algorithm, seed);
  const int batches = 50;

  // A run without a cut measures the workload's length in backing writes and flushes, and
  // the clean close's after it.
  uint64_t workload = 0, total = 0;
  {
    MemoryBacking mem(image);
    testing::SerialCutoff dev(mem);
    CrashModel m;
    Rng rng(seed);
    auto opened = Volume::open(dev, crash_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    run_batches(*opened.value, rng, pool, m, batches, [&] { return dev.cut(); });
    ASSERT_FALSE(HasFailure());
    workload = dev.ops();
    ASSERT_TRUE(opened.value->close().ok());
    total = dev.ops();
  }
  ASSERT_GT(total, 40u);
  std::printf("%s: the workload makes %llu backing writes and flushes, close %llu more\n",
              std::string(to_string(algorithm)).c_str(), static_cast<unsigned long long>(workload),
              static_cast<unsigned long long>(total - workload));

  // Every cut point (every eighth under sanitizers, whose threads run 10–30× slower here),
  // through the close, and one past the end. A run whose workload finished before the cut
  // closes the volume (W6: the clean superblock must come last), so cuts land inside the
  // close as well.
  std::vector<uint64_t> cuts;
  const uint64_t stride = testing::kScale == 1 ? 1 : 2 * testing::kScale;
  for (uint64_t n = 0; n < total; n += stride) cuts.push_back(n);
  cuts.push_back(total + 5);

  for (size_t k = 0; k < cuts.size() && !HasFailure(); ++k) {
    const uint64_t cut = cuts[k];
    SCOPED_TRACE("cut after " + std::to_string(cut) + " of " + std::to_string(total) +
                 " writes and flushes");
    MemoryBacking mem(image);
    CrashModel m;
    {
      testing::SerialCutoff dev(mem);
      dev.cut_after(cut);
      if (k % 2 == 1) dev.tear_at_cut(seed + cut);
      Rng rng(seed);
      auto opened = Volume::open(dev, crash_options());
      if (!opened.ok()) {
        ASSERT_TRUE(dev.cut()) << "open failed without a cut: " << opened.status.to_string();
        continue;
      }
      run_batches(*opened.value, rng, pool, m, batches, [&] { return dev.cut(); });
      if (!dev.cut()) {
        const StoreStatus closed = opened.value->close();
        EXPECT_TRUE(closed.ok()) << "close: " << closed.to_string();
        if (closed.ok() && !dev.cut()) m.all_durable("closed");
      }
      dev.cut_now();  // the crash: nothing written after this lands
    }
    if (k % 3 == 1) {
      // Power fails again while the next open replays.
      testing::SerialCutoff dev(mem);
      dev.cut_after(k % 7);
      auto opened = Volume::open(dev, crash_options());
      dev.cut_now();
    }
    recover_and_check(mem, pool, m);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, CrashSweep,
    ::testing::Values(SweepCase{VolumeAlgorithm::kLz4}, SweepCase{VolumeAlgorithm::kDeflate},
                      SweepCase{VolumeAlgorithm::kNone}, SweepCase{VolumeAlgorithm::kLz4, 6}),
    [](const ::testing::TestParamInfo<SweepCase>& p) {
      return std::string(to_string(p.param.algorithm)) +
             (p.param.pool != 40 ? "_pool" + std::to_string(p.param.pool) : "");
    });

// FaultBacking's volatile cache: at a random point the device stops writing (a power cut the
// host has not noticed yet, or a device that fails every write from then on), or the
// workload simply ends; then crash() drops, keeps or tears
// (per 512 B sector) every write not covered by a flush, by a seeded policy. Two crash and
// recovery cycles per seed, the second on the recovered volume.
TEST(VolumeCrash, UnflushedWritesDroppedKeptOrTornAt512Bytes) {
  const int seeds = 24 / testing::kScale * testing::soak();
  for (int seed = 1; seed <= seeds && !HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto algorithm = seed % 3 == 0 ? VolumeAlgorithm::kDeflate : VolumeAlgorithm::kLz4;
    // Odd seeds write a handful of contents: duplicates of writes in flight are common.
    const ContentPool pool(seed % 2 ? 6 : 40, static_cast<uint64_t>(seed));
    auto base = std::make_shared<MemoryBacking>(fresh_image(algorithm, 500 + seed));
    FaultBacking fb(base, static_cast<uint64_t>(seed));
    Rng rng(static_cast<uint64_t>(seed) * 7919);
    CrashModel m;
    for (int cycle = 0; cycle < 2 && !HasFailure(); ++cycle) {
      SCOPED_TRACE("cycle " + std::to_string(cycle));
      {
        auto opened = Volume::open(fb, crash_options());
        ASSERT_TRUE(opened.ok()) << opened.status.to_string();
        const int batches = static_cast<int>(rng.between(8, 40));
        const int stop_at = rng.chance(1, 2) ? static_cast<int>(rng.below(batches)) : -1;
        const uint64_t writes_left = rng.below(40);
        // Either a power cut the host has not noticed (writes acknowledged and lost) or a
        // device that dies (writes and flushes fail with EIO, so the engine sees errors).
        const auto mode =
            rng.chance(1, 2) ? FaultBacking::StopMode::kDiscard : FaultBacking::StopMode::kFail;
        run_batches(
            *opened.value, rng, pool, m, batches, [&] { return fb.stopped(); },
            [&](int b) {
              if (b == stop_at) fb.stop_writing_after(writes_left, mode);
            });
        fb.stop_writing_after(0);
      }
      CrashPolicy policy;
      switch (rng.below(3)) {
        case 0:  // drop everything unflushed
          break;
        case 1:
          policy.keep_ppm = 300'000;
          policy.tear_ppm = 400'000;
          break;
        default:  // mostly torn
          policy.tear_ppm = 900'000;
          break;
      }
      const CrashReport r = fb.crash(policy);
      SCOPED_TRACE("crash dropped " + std::to_string(r.dropped) + " kept " +
                   std::to_string(r.kept) + " torn " + std::to_string(r.torn));
      recover_and_check(fb, pool, m);
    }
  }
}

// ---- Errors ----

struct ErrorFixture {
  explicit ErrorFixture(VolumeAlgorithm algorithm, uint64_t nonce, uint64_t dev_blocks = kDevBlocks,
                        uint64_t logical = kLogical)
      : base(std::make_shared<MemoryBacking>(dev_blocks * kBlock)), fb(base, nonce) {
    CreateOptions c;
    c.logical_blocks = logical;
    c.journal_blocks = kJournalBlocks;
    c.algorithm = algorithm;
    c.nonce = nonce;
    auto created = create_volume(*base, c);
    EXPECT_TRUE(created.ok()) << created.status.to_string();
    sb = created.value;
  }
  uint64_t region_begin(uint64_t pbn) const { return pbn * kBlock; }

  std::shared_ptr<MemoryBacking> base;
  FaultBacking fb;
  Superblock sb;
};

// Reads lbn and says whether it holds `want` (a block's bytes).
bool reads_as(Volume& v, uint64_t lbn, ByteSpan want) {
  std::vector<uint8_t> buf(kBlock);
  if (!v.read_sync(lbn * kBlock, buf).ok()) return false;
  return std::equal(buf.begin(), buf.end(), want.begin(), want.end());
}

// A failed data write (EIO) fails the write that needed it — FUA, or the flush that covers a
// non-FUA one — and nothing else: other blocks keep their data, the volume stays writable,
// and it closes, checks and reopens consistent.
TEST(VolumeErrors, FailedDataWriteFailsOnlyThatWrite) {
  for (const auto algorithm : {VolumeAlgorithm::kLz4, VolumeAlgorithm::kNone}) {
    SCOPED_TRACE(std::string(to_string(algorithm)));
    ErrorFixture f(algorithm, 61);
    const ContentPool pool(40, 61);
    const FaultRule data_write{kFaultWrite,
                               f.sb.geometry.data_start * kBlock,
                               (f.sb.geometry.data_start + f.sb.geometry.data_blocks) * kBlock,
                               0,
                               1,
                               kPpmAlways};
    std::vector<int> model(64);
    const std::vector<uint8_t> fresh[3] = {ContentPool::make(testing::ContentKind::kRandom, 901),
                                           ContentPool::make(testing::ContentKind::kText, 902),
                                           ContentPool::make(testing::ContentKind::kHalf, 903)};
    {
      auto opened = Volume::open(f.fb, crash_options());
      ASSERT_TRUE(opened.ok()) << opened.status.to_string();
      Volume& v = *opened.value;
      for (uint64_t l = 0; l < 64; ++l) {
        model[l] = 1 + static_cast<int>(l % (pool.size() - 1));
        ASSERT_TRUE(v.write_sync(l * kBlock, pool.block(model[l])).ok());
      }
      ASSERT_TRUE(v.flush_sync().ok());

      // FUA: the write itself reports the failure (a whole block, then a packed fragment).
      f.fb.add_rule(data_write);
      EXPECT_EQ(v.write_sync(10 * kBlock, fresh[0], true).code(), StoreErrc::kIoError);
      f.fb.clear_rules();
      f.fb.add_rule(data_write);
      EXPECT_EQ(v.write_sync(11 * kBlock, fresh[1], true).code(), StoreErrc::kIoError);
      f.fb.clear_rules();
      // Not FUA: the write may complete before its block is written, but then the flush
      // covering it must not claim it durable.
      f.fb.add_rule(data_write);
      const StoreStatus w = v.write_sync(12 * kBlock, fresh[2]);
      const StoreStatus fl = v.flush_sync();
      f.fb.clear_rules();
      EXPECT_FALSE(w.ok() && fl.ok())
          << "a data write failed, yet the write and the flush after it both succeeded";
      EXPECT_GE(f.fb.stats().injected_failures, 3u);
      EXPECT_FALSE(v.stats().read_only);

      for (uint64_t l = 0; l < 64; ++l) {
        if (l >= 10 && l <= 12) continue;
        EXPECT_TRUE(reads_as(v, l, pool.block(model[l]))) << "lbn " << l;
      }
      // The failed blocks read as before or as the failed write: never anything else.
      for (uint64_t l = 10; l <= 12; ++l) {
        EXPECT_TRUE(reads_as(v, l, pool.block(model[l])) || reads_as(v, l, fresh[l - 10]))
            << "lbn " << l;
      }
      // Still writable.
      ASSERT_TRUE(v.write_sync(20 * kBlock, fresh[0], true).ok());
      ASSERT_TRUE(v.write_sync(21 * kBlock, fresh[1]).ok());
      model[20] = -1;
      model[21] = -1;
      ASSERT_TRUE(v.close().ok());
    }
    expect_consistent(f.fb);
    auto opened = Volume::open(f.fb, crash_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    Volume& v = *opened.value;
    for (uint64_t l = 0; l < 64; ++l) {
      if (l >= 10 && l <= 12) {
        EXPECT_TRUE(reads_as(v, l, pool.block(model[l])) || reads_as(v, l, fresh[l - 10]))
            << "lbn " << l;
      } else if (model[l] >= 0) {
        EXPECT_TRUE(reads_as(v, l, pool.block(model[l]))) << "lbn " << l;
      }
    }
    EXPECT_TRUE(reads_as(v, 20, fresh[0]));
    EXPECT_TRUE(reads_as(v, 21, fresh[1]));
  }
}

// A failed journal write (EIO) fails the write and turns the volume read-only (format §9);
// reads still work; after a power cycle the journal replays to a consistent volume with
// every flushed block intact.
TEST(VolumeErrors, FailedJournalWriteTurnsReadOnlyAndReopenRecovers) {
  ErrorFixture f(VolumeAlgorithm::kLz4, 62);
  const ContentPool pool(40, 62);
  const FaultRule journal_write{
      kFaultWrite,
      f.sb.geometry.journal_start * kBlock,
      (f.sb.geometry.journal_start + f.sb.geometry.journal_blocks) * kBlock,
      0,
      UINT64_MAX,
      kPpmAlways};
  std::vector<int> model(64);
  const std::vector<uint8_t> fresh = ContentPool::make(testing::ContentKind::kText, 911);
  {
    auto opened = Volume::open(f.fb, crash_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    Volume& v = *opened.value;
    for (uint64_t l = 0; l < 64; ++l) {
      model[l] = 1 + static_cast<int>((l * 7) % (pool.size() - 1));
      ASSERT_TRUE(v.write_sync(l * kBlock, pool.block(model[l])).ok());
    }
    ASSERT_TRUE(v.flush_sync().ok());
    f.fb.add_rule(journal_write);
    const StoreStatus s = v.write_sync(5 * kBlock, fresh, true);
    EXPECT_TRUE(s.code() == StoreErrc::kIoError || s.code() == StoreErrc::kReadOnly)
        << s.to_string();
    EXPECT_TRUE(v.stats().read_only);
    EXPECT_EQ(v.write_sync(6 * kBlock, fresh).code(), StoreErrc::kReadOnly);
    EXPECT_EQ(v.trim_sync(7 * kBlock, kBlock).code(), StoreErrc::kReadOnly);
    for (uint64_t l = 0; l < 64; ++l) {
      if (l == 5) continue;
      EXPECT_TRUE(reads_as(v, l, pool.block(model[l]))) << "lbn " << l << " while read-only";
    }
    (void)v.close();  // fails: the journal cannot be written
  }
  f.fb.clear_rules();
  f.fb.crash();
  {
    auto opened = Volume::open(f.fb, crash_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    Volume& v = *opened.value;
    for (uint64_t l = 0; l < 64; ++l) {
      if (l == 5) {
        EXPECT_TRUE(reads_as(v, l, pool.block(model[l])) || reads_as(v, l, fresh));
      } else {
        EXPECT_TRUE(reads_as(v, l, pool.block(model[l]))) << "lbn " << l << " after reopen";
      }
    }
    ASSERT_TRUE(v.close().ok());
  }
  expect_consistent(f.fb);
}

// A failed block-map or refcount write-back (EIO) turns the volume read-only; requests
// after it are refused, never half done; after a power cycle every block flushed before the
// failure reads back and the volume checks consistent.
TEST(VolumeErrors, FailedMetadataWriteTurnsReadOnlyAndReopenRecovers) {
  ErrorFixture f(VolumeAlgorithm::kLz4, 64);
  const ContentPool pool(40, 64);
  const FaultRule metadata_write{kFaultWrite,
                                 f.sb.geometry.blockmap_start * kBlock,
                                 f.sb.geometry.index_start * kBlock,
                                 0,
                                 UINT64_MAX,
                                 kPpmAlways};
  CrashModel m;
  StoreStatus failure;
  {
    auto opened = Volume::open(f.fb, crash_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    Volume& v = *opened.value;
    for (uint64_t l = 0; l < kLogical; ++l) {
      const int id = 1 + static_cast<int>(l % (pool.size() - 1));
      ASSERT_TRUE(v.write_sync(l * kBlock, pool.block(id)).ok());
      m.written(l, id);
    }
    ASSERT_TRUE(v.flush_sync().ok());
    m.all_durable();
    f.fb.add_rule(metadata_write);
    // With one cached map page and a 16-block journal, write-backs come quickly.
    Rng rng(64);
    for (int i = 0; i < 4000 && failure.ok(); ++i) {
      const uint64_t l = rng.below(kLogical);
      const int id = 1 + static_cast<int>(rng.below(static_cast<uint32_t>(pool.size() - 1)));
      failure = v.write_sync(l * kBlock, pool.block(id));
      if (failure.ok()) {
        m.written(l, id);
        if (i % 8 == 7) {
          failure = v.flush_sync();
          if (failure.ok()) m.all_durable();
        }
      } else {
        m.written(l, id);  // a failed write may or may not have reached the disk
      }
    }
    ASSERT_FALSE(failure.ok()) << "no metadata write-back happened in 4000 writes";
    EXPECT_TRUE(failure.code() == StoreErrc::kIoError || failure.code() == StoreErrc::kReadOnly)
        << failure.to_string();
    EXPECT_TRUE(v.stats().read_only);
    EXPECT_EQ(v.write_sync(0, pool.block(1)).code(), StoreErrc::kReadOnly);
    EXPECT_EQ(v.write_zeroes_sync(0, kBlock).code(), StoreErrc::kReadOnly);
    (void)v.close();
  }
  f.fb.clear_rules();
  f.fb.crash();
  recover_and_check(f.fb, pool, m);
}

// A failed read of a data block (EIO) fails that read only; the volume stays writable and
// the same block reads fine once the device recovers.
TEST(VolumeErrors, FailedDataReadFailsOnlyThatRead) {
  ErrorFixture f(VolumeAlgorithm::kDeflate, 65);
  const ContentPool pool(40, 65);
  auto opened = Volume::open(f.fb, crash_options());
  ASSERT_TRUE(opened.ok()) << opened.status.to_string();
  Volume& v = *opened.value;
  for (uint64_t l = 0; l < 32; ++l) {
    ASSERT_TRUE(v.write_sync(l * kBlock, pool.block(1 + static_cast<int>(l))).ok());
  }
  ASSERT_TRUE(v.flush_sync().ok());
  FaultRule data_read{kFaultRead,
                      f.sb.geometry.data_start * kBlock,
                      (f.sb.geometry.data_start + f.sb.geometry.data_blocks) * kBlock,
                      0,
                      1,
                      kPpmAlways};
  f.fb.add_rule(data_read);
  std::vector<uint8_t> buf(kBlock);
  EXPECT_EQ(v.read_sync(3 * kBlock, buf).code(), StoreErrc::kIoError);
  f.fb.clear_rules();
  EXPECT_FALSE(v.stats().read_only);
  EXPECT_GE(v.stats().read_errors, 1u);
  for (uint64_t l = 0; l < 32; ++l) {
    EXPECT_TRUE(reads_as(v, l, pool.block(1 + static_cast<int>(l)))) << "lbn " << l;
  }
  EXPECT_TRUE(v.write_sync(40 * kBlock, pool.block(2), true).ok());
  EXPECT_TRUE(v.close().ok());
}

// A full volume: writes complete with kNoSpace and change nothing they cover; every write
// that completed earlier reads back, before and after reopen; freeing space (trim, then a
// flush commits the frees) makes writes succeed again. Whole blocks and packed fragments.
TEST(VolumeErrors, FullVolumeReturnsNoSpaceAndKeepsEarlierData) {
  for (const auto kind : {testing::ContentKind::kRandom, testing::ContentKind::kSmall}) {
    SCOPED_TRACE(kind == testing::ContentKind::kRandom ? "whole blocks" : "fragments");
    constexpr uint64_t kSmallLogical = 2048;
    // About 48 data blocks after the superblocks, journal, 5 map pages and 1 refcount block
    // (each metadata block twice).
    ErrorFixture f(VolumeAlgorithm::kLz4, 63, 2 + kJournalBlocks + 10 + 2 + 48, kSmallLogical);
    const uint64_t data_blocks = f.sb.geometry.data_blocks;
    ASSERT_GE(data_blocks, 16u);
    ASSERT_LE(data_blocks, 64u);
    const uint64_t flush_every = kind == testing::ContentKind::kRandom ? 4 : 64;
    auto content = [&](uint64_t i) { return ContentPool::make(kind, 7000 + i); };
    std::vector<bool> acked(kSmallLogical, false);
    uint64_t failed_lbn = UINT64_MAX;
    StoreStatus failure;
    {
      auto opened = Volume::open(f.fb, crash_options());
      ASSERT_TRUE(opened.ok()) << opened.status.to_string();
      Volume& v = *opened.value;
      for (uint64_t l = 0; l < kSmallLogical; ++l) {
        StoreStatus s = v.write_sync(l * kBlock, content(l));
        if (!s.ok()) {
          failure = s;
          failed_lbn = l;
          break;
        }
        acked[l] = true;
        // Flush often enough to test it, rarely enough that bins fill.
        if (l % flush_every == flush_every - 1) {
          s = v.flush_sync();
          if (!s.ok()) {
            failure = s;
            break;
          }
        }
      }
      ASSERT_EQ(failure.code(), StoreErrc::kNoSpace) << failure.to_string();
      const uint64_t n = static_cast<uint64_t>(std::count(acked.begin(), acked.end(), true));
      if (kind == testing::ContentKind::kRandom) {
        EXPECT_LE(n, data_blocks);
        EXPECT_GE(n + 8, data_blocks);
      } else {
        EXPECT_GT(n, data_blocks * 4) << "fragments of a few hundred bytes pack many per block";
      }
      EXPECT_GE(v.stats().no_space_errors, 1u);
      EXPECT_FALSE(v.stats().read_only);
      if (failed_lbn != UINT64_MAX) {
        EXPECT_TRUE(
            reads_as(v, failed_lbn, testing::ContentPool::make(testing::ContentKind::kAllZero, 0)))
            << "a write that failed with kNoSpace changed its block";
      }
      for (uint64_t l = 0; l < kSmallLogical; ++l) {
        if (acked[l]) {
          EXPECT_TRUE(reads_as(v, l, content(l))) << "lbn " << l << " when full";
        }
      }
      // Free the first half, commit the frees, and write again.
      const uint64_t half = n / 2;
      ASSERT_TRUE(v.trim_sync(0, half * kBlock).ok());
      ASSERT_TRUE(v.flush_sync().ok());
      for (uint64_t l = 0; l < half; ++l) acked[l] = false;
      for (uint64_t j = 0; j < half / 2; ++j) {
        const uint64_t l = kSmallLogical - 1 - j;
        const StoreStatus s = v.write_sync(l * kBlock, content(l));
        ASSERT_TRUE(s.ok()) << "write " << j << " after freeing " << half << ": " << s.to_string();
        acked[l] = true;
      }
      ASSERT_TRUE(v.close().ok());
    }
    expect_consistent(f.fb);
    auto opened = Volume::open(f.fb, crash_options());
    ASSERT_TRUE(opened.ok()) << opened.status.to_string();
    for (uint64_t l = 0; l < kSmallLogical; ++l) {
      if (acked[l]) {
        EXPECT_TRUE(reads_as(*opened.value, l, content(l))) << "lbn " << l;
      }
    }
  }
}

// volume.h: "A full volume completes writes with kNoSpace and changes nothing they cover" —
// for a multi-block write too: one that needs more blocks than are free fails as a whole.
TEST(VolumeErrors, MultiBlockWriteThatDoesNotFitChangesNothing) {
  constexpr uint64_t kSmallLogical = 2048;
  ErrorFixture f(VolumeAlgorithm::kNone, 66, 2 + kJournalBlocks + 10 + 2 + 48, kSmallLogical);
  auto content = [](uint64_t i) {
    return ContentPool::make(testing::ContentKind::kRandom, 8000 + i);
  };
  auto opened = Volume::open(f.fb, crash_options());
  ASSERT_TRUE(opened.ok()) << opened.status.to_string();
  Volume& v = *opened.value;
  uint64_t n = 0;
  for (; n < kSmallLogical; ++n) {
    const StoreStatus s = v.write_sync(n * kBlock, content(n));
    if (!s.ok()) {
      ASSERT_EQ(s.code(), StoreErrc::kNoSpace) << s.to_string();
      break;
    }
  }
  // Free three blocks and commit the frees: an eight-block write cannot fit.
  ASSERT_TRUE(v.trim_sync(0, 3 * kBlock).ok());
  ASSERT_TRUE(v.flush_sync().ok());
  std::vector<uint8_t> eight(8 * kBlock);
  for (uint64_t i = 0; i < 8; ++i) {
    const auto b = content(5000 + i);
    std::copy(b.begin(), b.end(), eight.begin() + static_cast<long>(i * kBlock));
  }
  const uint64_t at = 1000;
  EXPECT_EQ(v.write_sync(at * kBlock, eight).code(), StoreErrc::kNoSpace);
  const std::vector<uint8_t> zeros(kBlock, 0);
  for (uint64_t i = 0; i < 8; ++i) {
    EXPECT_TRUE(reads_as(v, at + i, zeros))
        << "block " << i << " of a write that failed with kNoSpace was changed";
  }
  // The freed blocks are still there for writes that fit.
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(v.write_sync((at + 100 + i) * kBlock, content(6000 + i)).ok()) << i;
  }
  EXPECT_TRUE(v.close().ok());
}

}  // namespace
}  // namespace accz::store
