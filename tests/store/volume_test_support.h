// tests/store/volume_test_support.h — what the Volume tests share: a pool of block contents,
// a model of the logical blocks, asynchronous request tracking, a thread-safe power-cut
// wrapper, one Accel for every volume a test opens, and iteration scaling for sanitizer
// builds.
//
// Promise: everything is deterministic given its seed except the engine's own thread timing;
// helpers never call the Volume from inside a completion callback (volume.h forbids it).
//
// Thread-safety: Pending and SerialCutoff may be used from any thread (completion callbacks
// run on engine threads); the rest belongs to the test thread.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "accz/accel.h"
#include "store/backing/backing_store.h"
#include "store/engine/volume.h"
#include "store/volume/cutoff_backing_for_test.h"
#include "util/datagen.h"
#include "util/rng.h"

namespace accz::store::testing {

// Sanitizer builds (3–10× slower) divide iteration counts by this; tests/store/CMakeLists.txt
// defines ACCZ_STORE_TEST_SANITIZED for them.
#ifdef ACCZ_STORE_TEST_SANITIZED
inline constexpr int kScale = 4;
#else
inline constexpr int kScale = 1;
#endif

// ACCZ_STORE_SOAK=N runs N times the seeds (a soak run by hand; CI uses 1).
inline int soak() {
  const char* env = std::getenv("ACCZ_STORE_SOAK");
  const int n = env ? std::atoi(env) : 1;
  return n > 0 ? n : 1;
}

constexpr uint64_t kBlock = kVolumeBlockSize;

// One Accel (CPU provider, one worker per core) shared by every volume of a test binary, so
// opening a volume does not start and stop worker threads each time.
inline Accel* shared_accel() {
  static std::unique_ptr<Accel> accel = [] {
    std::string err;
    auto a = Accel::open({}, &err);
    if (!a) ADD_FAILURE() << "Accel::open: " << err;
    return a;
  }();
  return accel.get();
}

// What a logical block holds in a model: a pool content id (>= 0), or one of these.
inline constexpr int kHole = -2;   // never written or trimmed
inline constexpr int kZeros = -1;  // written zeros or write_zeroes()

// The kinds of content a pool mixes so that compression, packing, whole writes, zero
// elimination and dedupe all happen.
enum class ContentKind : uint8_t {
  kText,     // compresses to roughly 1/3–1/2 (lz4 a little worse)
  kHalf,     // half random, half a repeated byte: about 50%
  kSmall,    // a little random, mostly repeated: a few hundred bytes
  kRandom,   // incompressible: stored whole
  kAllZero,  // all zero bytes written with write(): no space
};

// A fixed set of distinct 4 KiB blocks. Content ids index it; id 0 is always all zeros, so a
// write of content 0 exercises zero elimination through write().
class ContentPool {
 public:
  ContentPool(size_t size, uint64_t seed) {
    Rng rng(seed);
    blocks_.push_back(std::vector<uint8_t>(kBlock, 0));
    kinds_.push_back(ContentKind::kAllZero);
    for (size_t i = 1; i < size; ++i) {
      const auto kind = static_cast<ContentKind>(rng.below(4));
      blocks_.push_back(make(kind, seed * 1'000'003 + i));
      kinds_.push_back(kind);
    }
  }

  static std::vector<uint8_t> make(ContentKind kind, uint64_t seed) {
    std::vector<uint8_t> b(kBlock, 0);
    switch (kind) {
      case ContentKind::kText:
        b = datagen::text(kBlock, seed);
        break;
      case ContentKind::kHalf:
        datagen::fill({datagen::Kind::kRandom, seed, 0}, MutableByteSpan(b).first(kBlock / 2));
        std::fill(b.begin() + kBlock / 2, b.end(), static_cast<uint8_t>(seed | 1));
        break;
      case ContentKind::kSmall:
        datagen::fill({datagen::Kind::kRandom, seed, 0}, MutableByteSpan(b).first(300));
        std::fill(b.begin() + 300, b.end(), static_cast<uint8_t>(seed | 1));
        break;
      case ContentKind::kRandom:
        b = datagen::random(kBlock, seed);
        break;
      case ContentKind::kAllZero:
        break;
    }
    // Distinct seeds must give distinct blocks even where the generator's prefix repeats.
    if (kind != ContentKind::kAllZero) std::memcpy(b.data(), &seed, sizeof seed);
    return b;
  }

  size_t size() const { return blocks_.size(); }
  ByteSpan block(int id) const { return blocks_.at(static_cast<size_t>(id)); }
  ContentKind kind(int id) const { return kinds_.at(static_cast<size_t>(id)); }

  // The id whose bytes equal `data`, kZeros for all zeros, or nullopt for anything else.
  std::optional<int> identify(ByteSpan data) const {
    if (std::all_of(data.begin(), data.end(), [](uint8_t c) { return c == 0; })) return kZeros;
    for (size_t i = 1; i < blocks_.size(); ++i) {
      if (std::equal(data.begin(), data.end(), blocks_[i].begin())) return static_cast<int>(i);
    }
    return std::nullopt;
  }

 private:
  std::vector<std::vector<uint8_t>> blocks_;
  std::vector<ContentKind> kinds_;
};

// Reads compare on what a block reads as: a hole and written zeros both read as zeros.
inline int as_read(int v) { return v == kHole || v == 0 ? kZeros : v; }

inline std::string describe(int v) {
  if (v == kHole) return "hole";
  if (v == kZeros) return "zeros";
  return "content " + std::to_string(v);
}

// Completion tracking for asynchronous requests: each request gets a slot for its status;
// wait() returns when every request issued so far has completed. Callbacks only store and
// notify, as volume.h requires.
class Pending {
 public:
  struct Slot {
    StoreStatus status;
    bool done = false;
    bool cut_at_completion = false;  // set by the caller's probe, if any
  };

  // A callback that completes `slot`. `probe` runs inside the callback (it must not touch
  // the Volume); the tests use it to learn whether power was already cut at completion.
  VolumeCallback track(std::shared_ptr<Slot> slot, std::function<bool()> probe = nullptr) {
    {
      std::lock_guard lock(mu_);
      ++outstanding_;
    }
    return [this, slot, probe = std::move(probe)](StoreStatus s) {
      const bool cut = probe ? probe() : false;
      std::lock_guard lock(mu_);
      if (slot->done) {
        ++double_completions_;
      }
      slot->status = std::move(s);
      slot->cut_at_completion = cut;
      slot->done = true;
      if (--outstanding_ == 0) cv_.notify_all();
    };
  }

  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return outstanding_ == 0; });
  }

  uint64_t double_completions() const {
    std::lock_guard lock(mu_);
    return double_completions_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t outstanding_ = 0;
  uint64_t double_completions_ = 0;
};

// CutoffBacking is for one test thread; the engine does I/O from its own threads, so this
// serialises it with a mutex and counts the writes and flushes that reach it (the sweep's
// length).
//
// With tear_at_cut(), the write the power cut lands on is torn instead of lost: a seeded
// random subset of its 512-byte sectors reaches the base (power failing in the middle of a
// data, journal or metadata write).
class SerialCutoff final : public BackingStore {
 public:
  explicit SerialCutoff(BackingStore& base) : base_(base), cutoff_(base) {}

  void tear_at_cut(uint64_t seed) {
    std::lock_guard lock(mu_);
    tear_seed_ = seed;
    tear_ = true;
  }

  void cut_after(uint64_t ops) {
    std::lock_guard lock(mu_);
    cutoff_.cut_after(ops);
  }
  // Cuts power now unless it is already off (re-arming would let a later write be torn).
  void cut_now() {
    std::lock_guard lock(mu_);
    if (!cutoff_.cut()) cutoff_.cut_after(0);
  }
  void never_cut() {
    std::lock_guard lock(mu_);
    cutoff_.never_cut();
  }
  bool cut() const {
    std::lock_guard lock(mu_);
    return cutoff_.cut();
  }
  uint64_t ops() const {
    std::lock_guard lock(mu_);
    return ops_;
  }

  StoreStatus read(uint64_t offset, MutableByteSpan out) override {
    std::lock_guard lock(mu_);
    return cutoff_.read(offset, out);
  }
  StoreStatus write(uint64_t offset, ByteSpan data) override {
    std::lock_guard lock(mu_);
    ++ops_;
    const bool was_cut = cutoff_.cut();
    StoreStatus s = cutoff_.write(offset, data);
    if (tear_ && !was_cut && cutoff_.cut()) {
      tear_ = false;  // only the write the power failed in; nothing after it lands
      Rng rng(tear_seed_);
      for (uint64_t at = 0; at < data.size(); at += kSectorSize) {
        if (rng.chance(1, 2)) {
          (void)base_.write(offset + at, data.subspan(at, kSectorSize));
          ++torn_sectors_;
        }
      }
    }
    return s;
  }
  uint64_t torn_sectors() const {
    std::lock_guard lock(mu_);
    return torn_sectors_;
  }
  StoreStatus flush() override {
    std::lock_guard lock(mu_);
    ++ops_;
    return cutoff_.flush();
  }
  uint64_t size() const override { return cutoff_.size(); }

 private:
  BackingStore& base_;
  mutable std::mutex mu_;
  CutoffBacking cutoff_;  // guarded by mu_
  uint64_t ops_ = 0;      // guarded by mu_
  bool tear_ = false;     // guarded by mu_
  uint64_t tear_seed_ = 0;
  uint64_t torn_sectors_ = 0;
};

// One request of a random batch. Its buffer lives here until the batch has completed.
struct Op {
  enum Kind { kWrite, kRead, kTrim, kZeroes, kFlush } kind = kFlush;
  uint64_t lbn = 0, count = 0;
  bool fua = false;
  std::vector<int> contents;  // kWrite: the pool id of each block
  std::vector<uint8_t> buf;
  std::shared_ptr<Pending::Slot> slot = std::make_shared<Pending::Slot>();
};

// Relative weights of the request kinds in a batch, and how often a write, trim or
// write_zeroes carries FUA (per 100).
struct OpMix {
  uint32_t write = 50, read = 28, trim = 8, zeroes = 8, flush = 6;
  uint32_t fua_percent = 10;
};

// 1–max_ops requests on disjoint ranges, to be put in flight together: their order of
// completion then cannot change what a model says. Three in four land in the first `hot`
// blocks, so overwrites, rewrites of the same content and reads of fresh writes are
// frequent.
inline std::vector<Op> make_batch(Rng& rng, const ContentPool& pool, uint64_t logical, uint64_t hot,
                                  const OpMix& mix, uint32_t max_ops = 8) {
  std::vector<Op> batch(rng.between(1, max_ops));
  std::vector<bool> busy(logical, false);
  const uint32_t total = mix.write + mix.read + mix.trim + mix.zeroes + mix.flush;
  for (Op& op : batch) {
    uint32_t r = rng.below(total);
    op.kind = r < mix.write                  ? Op::kWrite
              : (r -= mix.write) < mix.read  ? Op::kRead
              : (r -= mix.read) < mix.trim   ? Op::kTrim
              : (r -= mix.trim) < mix.zeroes ? Op::kZeroes
                                             : Op::kFlush;
    if (op.kind == Op::kFlush) continue;
    op.count = rng.between(1, 8);
    const uint64_t span = rng.chance(3, 4) ? hot : logical;
    op.lbn = rng.below(static_cast<uint32_t>(span - op.count + 1));
    bool clash = false;
    for (uint64_t i = 0; i < op.count; ++i) clash = clash || busy[op.lbn + i];
    if (clash) {
      op.kind = Op::kFlush;
      op.count = 0;
      continue;
    }
    for (uint64_t i = 0; i < op.count; ++i) busy[op.lbn + i] = true;
    op.fua = op.kind != Op::kRead && rng.chance(mix.fua_percent, 100);
    op.buf.resize(op.count * kBlock);
    if (op.kind == Op::kWrite) {
      for (uint64_t i = 0; i < op.count; ++i) {
        // Content 0 is all zeros: some write blocks take the zero path.
        const int id = static_cast<int>(rng.below(static_cast<uint32_t>(pool.size())));
        op.contents.push_back(id);
        const ByteSpan src = pool.block(id);
        std::copy(src.begin(), src.end(), op.buf.begin() + static_cast<long>(i * kBlock));
      }
    }
  }
  return batch;
}

// The value a write, trim or write_zeroes leaves in block i of its range.
inline int op_value(const Op& op, uint64_t i) {
  if (op.kind == Op::kWrite) return op.contents[i];
  return op.kind == Op::kTrim ? kHole : kZeros;
}

inline void issue(Volume& v, Op& op, VolumeCallback done) {
  switch (op.kind) {
    case Op::kWrite:
      v.write(op.lbn * kBlock, op.buf, op.fua, std::move(done));
      break;
    case Op::kRead:
      v.read(op.lbn * kBlock, op.buf, std::move(done));
      break;
    case Op::kTrim:
      v.trim(op.lbn * kBlock, op.count * kBlock, op.fua, std::move(done));
      break;
    case Op::kZeroes:
      v.write_zeroes(op.lbn * kBlock, op.count * kBlock, op.fua, std::move(done));
      break;
    case Op::kFlush:
      v.flush(std::move(done));
      break;
  }
}

inline const char* to_string(Op::Kind k) {
  switch (k) {
    case Op::kWrite:
      return "write";
    case Op::kRead:
      return "read";
    case Op::kTrim:
      return "trim";
    case Op::kZeroes:
      return "write_zeroes";
    case Op::kFlush:
      return "flush";
  }
  return "?";
}

// Reads every block of the volume (in runs of up to 64 blocks) and reports what each reads
// as through `pool.identify` (nullopt: bytes that are no pool content and not zeros).
inline std::vector<std::optional<int>> read_all(Volume& v, const ContentPool& pool,
                                                StoreStatus* status) {
  const uint64_t blocks = v.logical_bytes() / kBlock;
  std::vector<std::optional<int>> out(blocks);
  std::vector<uint8_t> buf(64 * kBlock);
  for (uint64_t lbn = 0; lbn < blocks; lbn += 64) {
    const uint64_t n = std::min<uint64_t>(64, blocks - lbn);
    StoreStatus s = v.read_sync(lbn * kBlock, MutableByteSpan(buf).first(n * kBlock));
    if (!s.ok()) {
      *status = s;
      return out;
    }
    for (uint64_t i = 0; i < n; ++i) {
      out[lbn + i] = pool.identify(ByteSpan(buf).subspan(i * kBlock, kBlock));
    }
  }
  *status = StoreStatus::Ok();
  return out;
}

}  // namespace accz::store::testing
