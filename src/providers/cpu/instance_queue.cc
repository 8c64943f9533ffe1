// A bounded request ring with batch pop and lazy wake-ups.
#include "providers/cpu/instance_queue.h"

#include <algorithm>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace accz {
namespace {

// About a few microseconds: long enough to catch the next batch from a submitter that is
// keeping the queue fed, short enough not to steal a core from it when it is not.
constexpr int kSpinRounds = 256;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

InstanceQueue::InstanceQueue(uint32_t depth) : depth_(std::max<uint32_t>(depth, 1)) {
  ring_.resize(depth_);
}

size_t InstanceQueue::push(std::span<Request* const> reqs,
                           std::chrono::steady_clock::time_point now) {
  bool wake = false;
  size_t taken = 0;
  {
    std::lock_guard lock(mu_);
    const uint32_t busy = outstanding_.load(std::memory_order_acquire);
    taken = std::min<size_t>(reqs.size(), depth_ - std::min(busy, depth_));
    for (size_t i = 0; i < taken; ++i) {
      Request* req = reqs[i];
      // The device's own submit time (device_data is ours while we hold the request); the
      // router's `submitted` is not ours to write. Stored under the lock the worker takes.
      req->internal.device_data = static_cast<uint64_t>(now.time_since_epoch().count());
      ring_[(head_ + count_) % depth_] = req;
      ++count_;
    }
    if (taken == 0) return 0;
    outstanding_.fetch_add(static_cast<uint32_t>(taken), std::memory_order_relaxed);
    queued_.store(count_, std::memory_order_release);
    if (sleeping_) {
      sleeping_ = false;  // one signal is enough; later producers need not repeat it
      wake = true;
    }
  }
  if (wake) cv_.notify_one();
  return taken;
}

bool InstanceQueue::remove(Request* req) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < count_; ++i) {
    if (ring_[(head_ + i) % depth_] != req) continue;
    for (size_t j = i + 1; j < count_; ++j) {
      ring_[(head_ + j - 1) % depth_] = ring_[(head_ + j) % depth_];
    }
    --count_;
    queued_.store(count_, std::memory_order_release);
    outstanding_.fetch_sub(1, std::memory_order_release);
    return true;
  }
  return false;
}

bool InstanceQueue::wait_for_work(std::unique_lock<std::mutex>& lock) {
  while (count_ == 0) {
    if (closed_) return false;
    lock.unlock();
    for (int i = 0; i < kSpinRounds; ++i) {
      if (queued_.load(std::memory_order_acquire) != 0 ||
          closing_.load(std::memory_order_acquire)) {
        break;
      }
      cpu_relax();
    }
    lock.lock();
    if (count_ != 0 || closed_) continue;
    sleeping_ = true;
    cv_.wait(lock, [this] { return count_ != 0 || closed_; });
    sleeping_ = false;
  }
  return true;
}

size_t InstanceQueue::pop_batch(std::span<Request*> out) {
  std::unique_lock lock(mu_);
  if (!wait_for_work(lock)) return 0;
  const size_t n = std::min(out.size(), count_);
  for (size_t i = 0; i < n; ++i) {
    out[i] = ring_[head_];
    head_ = (head_ + 1) % depth_;
  }
  count_ -= n;
  queued_.store(count_, std::memory_order_release);
  return n;
}

void InstanceQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    closing_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

}  // namespace accz
