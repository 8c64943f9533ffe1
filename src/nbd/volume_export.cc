#include "nbd/volume_export.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace accz::nbd {

namespace {

constexpr uint64_t kBlock = store::kVolumeBlockSize;
// One block_status call looks at most this much of the map, so a reply stays small; the
// protocol lets a reply describe less than was asked.
constexpr uint64_t kMaxStatusRange = uint64_t{256} << 20;

uint64_t round_down(uint64_t v) { return v / kBlock * kBlock; }
uint64_t round_up(uint64_t v) { return (v + kBlock - 1) / kBlock * kBlock; }

// A byte range cut at block boundaries: a partial head block, whole blocks, a partial tail.
struct Split {
  bool head = false;
  uint64_t head_block = 0, head_skip = 0, head_len = 0;
  uint64_t mid_offset = 0, mid_len = 0;
  bool tail = false;
  uint64_t tail_block = 0, tail_len = 0;
};

Split split(uint64_t offset, uint64_t length) {
  Split s;
  const uint64_t end = offset + length;
  uint64_t pos = offset;
  if (length == 0) return s;
  if (offset % kBlock != 0) {
    s.head = true;
    s.head_block = round_down(offset);
    s.head_skip = offset - s.head_block;
    s.head_len = std::min(end, s.head_block + kBlock) - offset;
    pos = offset + s.head_len;
  }
  if (pos >= end) return s;
  if (end % kBlock != 0) {
    s.tail = true;
    s.tail_block = round_down(end);
    s.tail_len = end - s.tail_block;
  }
  s.mid_offset = pos;
  s.mid_len = (s.tail ? s.tail_block : end) - pos;
  return s;
}

// Completes `done` once all parts have, with the first error any part reported.
class Join {
 public:
  explicit Join(ExportCallback done) : done_(std::move(done)) {}
  // One more part will report. Call before starting the part.
  void add() { left_.fetch_add(1); }
  void one(int err) {
    if (err != 0) {
      int none = 0;
      err_.compare_exchange_strong(none, err);
    }
    if (left_.fetch_sub(1) == 1) done_(err_.load());
  }

 private:
  ExportCallback done_;
  std::atomic<int> left_{1};  // the starter's own share, dropped by one(0) after starting parts
  std::atomic<int> err_{0};
};

}  // namespace

class VolumeExport::Impl {
 public:
  Impl(store::Volume& volume, VolumeExportOptions options)
      : vol_(volume),
        options_(options),
        stripes_(std::max<size_t>(1, options.lock_stripes)),
        worker_([this] { run_worker(); }) {}

  ~Impl() {
    {
      std::unique_lock lock(mu_);
      idle_cv_.wait(lock, [&] { return outstanding_ == 0; });
      stopping_ = true;
    }
    work_cv_.notify_all();
    worker_.join();
  }

  store::Volume& vol() { return vol_; }
  const VolumeExportOptions& options() const { return options_; }

  // Writes `len` bytes at `skip` inside the block at `block` (from `src`, or zeros when src
  // is null) by reading the block, patching it and writing it back, holding the block's
  // stripe lock from before the read until the write completes.
  void patch_block(uint64_t block, uint64_t skip, const uint8_t* src, uint64_t len, bool fua,
                   std::function<void(int)> done) {
    begin();
    size_t stripe = (block / kBlock) % stripes_.size();
    lock_stripe(stripe, [=, this] {
      std::shared_ptr<uint8_t[]> buf(new uint8_t[kBlock]);
      auto finish = [this, stripe, done](int err) {
        unlock_stripe(stripe);
        done(err);
        end();
      };
      vol_.read(block, MutableByteSpan(buf.get(), kBlock), [=, this](store::StoreStatus s) {
        if (!s.ok()) {
          finish(s.posix_errno());
          return;
        }
        // The Volume forbids calling it back from its own completion: patch and write on
        // our worker thread.
        post([=, this] {
          if (src != nullptr) {
            std::memcpy(buf.get() + skip, src, len);
          } else {
            std::memset(buf.get() + skip, 0, len);
          }
          vol_.write(block, ByteSpan(buf.get(), kBlock), fua,
                     [buf, finish](store::StoreStatus w) { finish(w.posix_errno()); });
        });
      });
    });
  }

 private:
  struct Stripe {
    bool held = false;
    std::deque<std::function<void()>> waiters;
  };

  void begin() {
    std::lock_guard lock(mu_);
    ++outstanding_;
  }
  void end() {
    std::lock_guard lock(mu_);
    if (--outstanding_ == 0) idle_cv_.notify_all();
  }

  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    work_cv_.notify_one();
  }

  void run_worker() {
    std::unique_lock lock(mu_);
    for (;;) {
      work_cv_.wait(lock, [&] { return !tasks_.empty() || stopping_; });
      if (tasks_.empty()) return;
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  // An asynchronous lock: a holder may release it from another thread (a Volume
  // completion), which std::mutex does not allow. A waiter is handed the lock on release
  // and resumed on the worker thread.
  void lock_stripe(size_t i, std::function<void()> then) {
    {
      std::lock_guard lock(stripe_mu_);
      Stripe& s = stripes_[i];
      if (s.held) {
        s.waiters.push_back(std::move(then));
        return;
      }
      s.held = true;
    }
    then();
  }

  void unlock_stripe(size_t i) {
    std::function<void()> next;
    {
      std::lock_guard lock(stripe_mu_);
      Stripe& s = stripes_[i];
      if (s.waiters.empty()) {
        s.held = false;
        return;
      }
      next = std::move(s.waiters.front());
      s.waiters.pop_front();
    }
    post(std::move(next));
  }

  store::Volume& vol_;
  const VolumeExportOptions options_;

  std::mutex stripe_mu_;
  std::vector<Stripe> stripes_;

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> tasks_;
  size_t outstanding_ = 0;
  bool stopping_ = false;
  std::thread worker_;  // last: started after everything it uses
};

VolumeExport::VolumeExport(store::Volume& volume, VolumeExportOptions options)
    : impl_(std::make_unique<Impl>(volume, options)) {}

VolumeExport::~VolumeExport() = default;

uint64_t VolumeExport::size() const { return impl_->vol().logical_bytes(); }

ExportFeatures VolumeExport::features() const {
  ExportFeatures f;
  f.read_only = impl_->options().read_only || impl_->vol().stats().read_only;
  f.fast_zero = true;
  f.cache = true;
  return f;
}

BlockSizes VolumeExport::block_sizes() const {
  BlockSizes b;
  b.minimum = 1;
  b.preferred = static_cast<uint32_t>(kBlock);
  b.maximum = std::max<uint32_t>(impl_->options().max_request_bytes, kBlock);
  return b;
}

void VolumeExport::read(uint64_t offset, MutableByteSpan out, ExportCallback done) {
  store::Volume& vol = impl_->vol();
  if (out.empty()) {  // even at the very end of the volume, where the Volume would refuse it
    done(0);
    return;
  }
  if (offset % kBlock == 0 && out.size() % kBlock == 0) {
    vol.read(offset, out, [done](store::StoreStatus s) { done(s.posix_errno()); });
    return;
  }
  if (offset > size() || out.size() > size() - offset) {
    done(EINVAL);
    return;
  }
  // Partial blocks are read whole into bounce buffers and copied out; the middle goes
  // straight into the caller's buffer.
  Split s = split(offset, out.size());
  auto join = std::make_shared<Join>(std::move(done));
  auto partial = [&](uint64_t block, uint64_t skip, uint64_t len, uint8_t* dst) {
    join->add();
    std::shared_ptr<uint8_t[]> buf(new uint8_t[kBlock]);
    vol.read(block, MutableByteSpan(buf.get(), kBlock),
             [join, buf, skip, len, dst](store::StoreStatus st) {
               if (st.ok()) std::memcpy(dst, buf.get() + skip, len);
               join->one(st.posix_errno());
             });
  };
  if (s.head) partial(s.head_block, s.head_skip, s.head_len, out.data());
  if (s.mid_len != 0) {
    join->add();
    vol.read(s.mid_offset, out.subspan(s.mid_offset - offset, s.mid_len),
             [join](store::StoreStatus st) { join->one(st.posix_errno()); });
  }
  if (s.tail) partial(s.tail_block, 0, s.tail_len, out.data() + (s.tail_block - offset));
  join->one(0);
}

void VolumeExport::write(uint64_t offset, ByteSpan data, bool fua, ExportCallback done) {
  store::Volume& vol = impl_->vol();
  if (data.empty()) {
    done(0);
    return;
  }
  if (offset % kBlock == 0 && data.size() % kBlock == 0) {
    vol.write(offset, data, fua, [done](store::StoreStatus s) { done(s.posix_errno()); });
    return;
  }
  if (offset > size() || data.size() > size() - offset) {
    done(ENOSPC);
    return;
  }
  Split s = split(offset, data.size());
  auto join = std::make_shared<Join>(std::move(done));
  auto part = [join](int err) { join->one(err); };
  if (s.head) {
    join->add();
    impl_->patch_block(s.head_block, s.head_skip, data.data(), s.head_len, fua, part);
  }
  if (s.mid_len != 0) {
    join->add();
    vol.write(s.mid_offset, data.subspan(s.mid_offset - offset, s.mid_len), fua,
              [join](store::StoreStatus st) { join->one(st.posix_errno()); });
  }
  if (s.tail) {
    join->add();
    impl_->patch_block(s.tail_block, 0, data.data() + (s.tail_block - offset), s.tail_len, fua,
                       part);
  }
  join->one(0);
}

void VolumeExport::flush(ExportCallback done) {
  impl_->vol().flush([done](store::StoreStatus s) { done(s.posix_errno()); });
}

void VolumeExport::trim(uint64_t offset, uint64_t length, bool fua, ExportCallback done) {
  if (offset > size() || length > size() - offset) {
    done(EINVAL);
    return;
  }
  // Only whole blocks can be unmapped; the protocol lets a trim round inward.
  uint64_t start = round_up(offset);
  uint64_t end = round_down(offset + length);
  if (start >= end) {
    done(0);
    return;
  }
  impl_->vol().trim(start, end - start, fua,
                    [done](store::StoreStatus s) { done(s.posix_errno()); });
}

void VolumeExport::write_zeroes(uint64_t offset, uint64_t length, bool fua, bool may_trim,
                                ExportCallback done) {
  if (offset > size() || length > size() - offset) {
    done(ENOSPC);
    return;
  }
  store::Volume& vol = impl_->vol();
  Split s = split(offset, length);
  auto join = std::make_shared<Join>(std::move(done));
  auto part = [join](int err) { join->one(err); };
  if (s.head) {
    join->add();
    impl_->patch_block(s.head_block, s.head_skip, nullptr, s.head_len, fua, part);
  }
  if (s.mid_len != 0) {
    join->add();
    auto cb = [join](store::StoreStatus st) { join->one(st.posix_errno()); };
    // Without NBD_CMD_FLAG_NO_HOLE the blocks may become a hole; with it they are mapped to
    // zero, which a thin, deduplicating volume stores without using space either way.
    if (may_trim) {
      vol.trim(s.mid_offset, s.mid_len, fua, cb);
    } else {
      vol.write_zeroes(s.mid_offset, s.mid_len, fua, cb);
    }
  }
  if (s.tail) {
    join->add();
    impl_->patch_block(s.tail_block, 0, nullptr, s.tail_len, fua, part);
  }
  join->one(0);
}

void VolumeExport::cache(uint64_t offset, uint64_t length, ExportCallback done) {
  const uint64_t total = size();
  if (offset > total || length > total - offset) {
    done(EINVAL);
    return;
  }
  length = std::min(length, kMaxStatusRange);
  const uint64_t start = round_down(offset);
  const uint64_t end = std::min(round_up(offset + length), total);
  if (end > start) {
    // Only the lookups matter: they leave the pages in the map cache.
    store::StoreResult<std::vector<store::VolumeExtent>> r =
        impl_->vol().extents(start, end - start);
    if (!r.ok()) {
      done(r.status.posix_errno());
      return;
    }
  }
  done(0);
}

void VolumeExport::block_status(uint64_t offset, uint64_t length, ExtentsCallback done) {
  const uint64_t total = size();
  if (length == 0 || offset > total || length > total - offset) {
    done(EINVAL, {});
    return;
  }
  length = std::min(length, kMaxStatusRange);
  uint64_t start = round_down(offset);
  uint64_t end = std::min(round_up(offset + length), total);
  store::StoreResult<std::vector<store::VolumeExtent>> r = impl_->vol().extents(start, end - start);
  if (!r.ok()) {
    done(r.status.posix_errno(), {});
    return;
  }
  // The volume answers in whole blocks: cut the first extent to start at `offset` and stop
  // at offset + length.
  std::vector<ExportExtent> out;
  uint64_t skip = offset - start;
  uint64_t left = length;
  for (const store::VolumeExtent& e : r.value) {
    uint64_t len = e.length;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    len -= skip;
    skip = 0;
    len = std::min(len, left);
    if (len == 0) break;
    out.push_back({len, e.hole, e.hole || e.zero});
    left -= len;
    if (left == 0) break;
  }
  if (out.empty()) {
    done(EIO, {});
    return;
  }
  done(0, std::move(out));
}

}  // namespace accz::nbd
