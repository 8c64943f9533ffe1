// VolumeExport against a strict in-memory Volume: byte-granular I/O turned into aligned
// block I/O, no lost updates between concurrent read-modify-writes of one block, errors
// mapped to errno, and base:allocation from the volume's extents. The fake completes on its
// own thread after a random delay, and fails the test if called back from a completion.
#include "nbd/volume_export.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "util/rng.h"

namespace accz::nbd {
namespace {

using store::StoreStatus;
using store::VolumeCallback;

constexpr uint64_t kB = store::kVolumeBlockSize;

thread_local bool t_in_completion = false;

class FakeVolume final : public store::Volume {
 public:
  explicit FakeVolume(uint64_t blocks, bool async = true)
      : data_(blocks * kB, 0), state_(blocks, kHole), async_(async), rng_(7) {
    sb_.geometry.logical_blocks = blocks;
    if (async_) completer_ = std::thread([this] { run(); });
  }
  ~FakeVolume() override {
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (completer_.joinable()) completer_.join();
  }

  void read(uint64_t offset, MutableByteSpan out, VolumeCallback done) override {
    enter();
    StoreStatus s = check(offset, out.size());
    if (s.ok()) {
      std::lock_guard l(data_mu_);
      std::memcpy(out.data(), data_.data() + offset, out.size());
      ++reads;
    }
    finish(std::move(s), std::move(done));
  }
  void write(uint64_t offset, ByteSpan data, bool fua, VolumeCallback done) override {
    enter();
    StoreStatus s = check(offset, data.size());
    if (s.ok() && fail_writes_from != ~0ull && offset + data.size() > fail_writes_from) {
      s = StoreStatus::NoSpace("full");
    }
    if (s.ok()) {
      std::lock_guard l(data_mu_);
      std::memcpy(data_.data() + offset, data.data(), data.size());
      for (uint64_t b = offset / kB; b < (offset + data.size()) / kB; ++b) state_[b] = kData;
      ++writes;
      if (fua) ++fua_writes;
    }
    finish(std::move(s), std::move(done));
  }
  void trim(uint64_t offset, uint64_t length, bool fua, VolumeCallback done) override {
    zero(offset, length, kHole, std::move(done));
    ++trims;
  }
  void write_zeroes(uint64_t offset, uint64_t length, bool fua, VolumeCallback done) override {
    zero(offset, length, kZero, std::move(done));
    ++zeroes;
  }
  void flush(VolumeCallback done) override {
    enter();
    ++flushes;
    finish({}, std::move(done));
  }
  store::StoreResult<std::vector<store::VolumeExtent>> extents(uint64_t offset,
                                                               uint64_t length) override {
    enter();
    store::StoreResult<std::vector<store::VolumeExtent>> r;
    r.status = check(offset, length);
    if (!r.ok()) return r;
    std::lock_guard l(data_mu_);
    for (uint64_t b = offset / kB; b < (offset + length) / kB; ++b) {
      store::VolumeExtent e{kB, state_[b] == kHole, state_[b] != kData};
      if (!r.value.empty() && r.value.back().hole == e.hole && r.value.back().zero == e.zero) {
        r.value.back().length += kB;
      } else {
        r.value.push_back(e);
      }
    }
    return r;
  }
  store::VolumeStats stats() const override {
    store::VolumeStats s;
    s.read_only = read_only;
    return s;
  }
  const store::Superblock& superblock() const override { return sb_; }
  StoreStatus close() override { return {}; }

  std::vector<uint8_t> contents() {
    std::lock_guard l(data_mu_);
    return data_;
  }
  void drain() {
    std::unique_lock l(mu_);
    idle_cv_.wait(l, [&] { return queue_.empty() && !busy_; });
  }

  std::atomic<uint64_t> reads{0}, writes{0}, fua_writes{0}, trims{0}, zeroes{0}, flushes{0};
  std::atomic<uint64_t> misaligned{0}, reentered{0};
  uint64_t fail_writes_from = ~0ull;
  bool read_only = false;

 private:
  enum State : uint8_t { kHole, kZero, kData };

  void enter() {
    if (t_in_completion) ++reentered;
  }
  StoreStatus check(uint64_t offset, uint64_t length) {
    if (offset % kB != 0 || length % kB != 0 || offset > data_.size() ||
        length > data_.size() - offset) {
      ++misaligned;
      return StoreStatus::InvalidArgument("misaligned");
    }
    return {};
  }
  void zero(uint64_t offset, uint64_t length, State st, VolumeCallback done) {
    enter();
    StoreStatus s = check(offset, length);
    if (s.ok()) {
      std::lock_guard l(data_mu_);
      std::memset(data_.data() + offset, 0, length);
      for (uint64_t b = offset / kB; b < (offset + length) / kB; ++b) state_[b] = st;
    }
    finish(std::move(s), std::move(done));
  }
  void finish(StoreStatus s, VolumeCallback done) {
    if (!async_) {
      done(std::move(s));
      return;
    }
    {
      std::lock_guard l(mu_);
      // Completions go out in a shuffled order, as an engine's would.
      size_t at = queue_.empty() ? 0 : rng_.below(static_cast<uint32_t>(queue_.size() + 1));
      queue_.insert(queue_.begin() + static_cast<ptrdiff_t>(at), {std::move(s), std::move(done)});
    }
    cv_.notify_all();
  }
  void run() {
    std::unique_lock l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [s, done] = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      l.unlock();
      t_in_completion = true;
      done(std::move(s));
      t_in_completion = false;
      l.lock();
      busy_ = false;
      if (queue_.empty()) idle_cv_.notify_all();
    }
  }

  store::Superblock sb_;
  std::mutex data_mu_;
  std::vector<uint8_t> data_;
  std::vector<State> state_;
  const bool async_;
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::pair<StoreStatus, VolumeCallback>> queue_;
  bool busy_ = false;
  bool stop_ = false;
  Rng rng_;
  std::thread completer_;
};

int sync(const std::function<void(ExportCallback)>& op) {
  std::promise<int> p;
  op([&p](int err) { p.set_value(err); });
  return p.get_future().get();
}

TEST(VolumeExport, MatchesAByteModelUnderRandomUnalignedIo) {
  FakeVolume vol(64);
  VolumeExport exp(vol);
  ASSERT_EQ(exp.size(), 64 * kB);
  std::vector<uint8_t> model(64 * kB, 0);
  Rng rng(42);
  for (int i = 0; i < 600; ++i) {
    uint64_t off = rng.below(static_cast<uint32_t>(model.size()));
    uint64_t len =
        rng.below(static_cast<uint32_t>(std::min<uint64_t>(model.size() - off, 3 * kB)) + 1);
    switch (rng.below(4)) {
      case 0: {
        std::vector<uint8_t> d(len);
        for (auto& b : d) b = static_cast<uint8_t>(rng.next());
        ASSERT_EQ(sync([&](ExportCallback cb) { exp.write(off, d, rng.chance(1, 4), cb); }), 0);
        std::copy(d.begin(), d.end(), model.begin() + static_cast<ptrdiff_t>(off));
        break;
      }
      case 1: {
        std::vector<uint8_t> got(len, 0xcc);
        ASSERT_EQ(sync([&](ExportCallback cb) { exp.read(off, got, cb); }), 0);
        ASSERT_TRUE(std::equal(got.begin(), got.end(), model.begin() + static_cast<ptrdiff_t>(off)))
            << "read " << off << "+" << len;
        break;
      }
      case 2: {
        bool may_trim = rng.chance(1, 2);
        ASSERT_EQ(sync([&](ExportCallback cb) { exp.write_zeroes(off, len, false, may_trim, cb); }),
                  0);
        std::fill_n(model.begin() + static_cast<ptrdiff_t>(off), len, 0);
        break;
      }
      case 3: {
        ASSERT_EQ(sync([&](ExportCallback cb) { exp.trim(off, len, false, cb); }), 0);
        // Only whole blocks inside the range are discarded.
        uint64_t s = (off + kB - 1) / kB * kB, e = (off + len) / kB * kB;
        if (s < e)
          std::fill(model.begin() + static_cast<ptrdiff_t>(s),
                    model.begin() + static_cast<ptrdiff_t>(e), 0);
        break;
      }
    }
  }
  vol.drain();
  EXPECT_EQ(vol.contents(), model);
  EXPECT_EQ(vol.misaligned, 0u);
  EXPECT_EQ(vol.reentered, 0u);
}

TEST(VolumeExport, ConcurrentUnalignedWritesToOneBlockLoseNothing) {
  FakeVolume vol(4);
  VolumeExport exp(vol);
  // Eight writers own interleaved 100-byte slices of the same two blocks and rewrite them
  // over and over; every final slice must hold its writer's last pattern.
  constexpr int kWriters = 8;
  constexpr uint64_t kSlice = 100;
  constexpr int kRounds = 60;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < kRounds; ++round) {
        std::vector<std::future<int>> f;
        std::vector<std::vector<uint8_t>> bufs;
        for (uint64_t s = static_cast<uint64_t>(w); s * kSlice + kSlice <= 2 * kB; s += kWriters) {
          bufs.emplace_back(kSlice, static_cast<uint8_t>(w * kRounds + round));
        }
        std::vector<std::promise<int>> ps(bufs.size());
        size_t k = 0;
        for (uint64_t s = static_cast<uint64_t>(w); s * kSlice + kSlice <= 2 * kB;
             s += kWriters, ++k) {
          f.push_back(ps[k].get_future());
          exp.write(kB / 2 + s * kSlice, bufs[k], false, [&ps, k](int e) { ps[k].set_value(e); });
        }
        for (auto& x : f) ASSERT_EQ(x.get(), 0);
      }
    });
  }
  for (auto& t : threads) t.join();
  vol.drain();
  auto all = vol.contents();
  for (uint64_t s = 0; s * kSlice + kSlice <= 2 * kB; ++s) {
    int w = static_cast<int>(s % kWriters);
    auto want = static_cast<uint8_t>(w * kRounds + kRounds - 1);
    for (uint64_t i = 0; i < kSlice; ++i) {
      ASSERT_EQ(all[kB / 2 + s * kSlice + i], want) << "slice " << s;
    }
  }
  EXPECT_EQ(vol.reentered, 0u);
}

TEST(VolumeExport, BlockStatusFromExtents) {
  FakeVolume vol(16, false);
  VolumeExport exp(vol);
  std::vector<uint8_t> d(2 * kB, 1);
  ASSERT_EQ(sync([&](ExportCallback cb) { exp.write(2 * kB, d, false, cb); }), 0);
  ASSERT_EQ(sync([&](ExportCallback cb) { exp.write_zeroes(4 * kB, kB, false, false, cb); }), 0);
  std::vector<ExportExtent> got;
  int err = -1;
  exp.block_status(kB + 100, 5 * kB, [&](int e, std::vector<ExportExtent> x) {
    err = e;
    got = std::move(x);
  });
  ASSERT_EQ(err, 0);
  std::vector<ExportExtent> want{
      {kB - 100, true, true}, {2 * kB, false, false}, {kB, false, true}, {kB + 100, true, true}};
  EXPECT_EQ(got, want);
  exp.block_status(15 * kB, 2 * kB, [&](int e, std::vector<ExportExtent>) { err = e; });
  EXPECT_EQ(err, EINVAL);
}

TEST(VolumeExport, ErrorsAndFeatures) {
  FakeVolume vol(8, false);
  vol.fail_writes_from = 4 * kB;
  {
    VolumeExport exp(vol);
    EXPECT_FALSE(exp.features().read_only);
    EXPECT_TRUE(exp.features().multi_conn);
    EXPECT_EQ(exp.block_sizes().preferred, kB);
    std::vector<uint8_t> d(kB, 3);
    EXPECT_EQ(sync([&](ExportCallback cb) { exp.write(5 * kB, d, false, cb); }), ENOSPC);
    EXPECT_EQ(sync([&](ExportCallback cb) { exp.write(5 * kB + 7, d, false, cb); }), ENOSPC);
    EXPECT_EQ(sync([&](ExportCallback cb) { exp.write(0, d, true, cb); }), 0);
    EXPECT_EQ(vol.fua_writes, 1u);
    EXPECT_EQ(sync([&](ExportCallback cb) { exp.flush(cb); }), 0);
    EXPECT_EQ(vol.flushes, 1u);
  }
  VolumeExportOptions ro;
  ro.read_only = true;
  EXPECT_TRUE(VolumeExport(vol, ro).features().read_only);
  vol.read_only = true;
  EXPECT_TRUE(VolumeExport(vol).features().read_only);
}

}  // namespace
}  // namespace accz::nbd
