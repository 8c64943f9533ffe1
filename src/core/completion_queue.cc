// The in-flight counter and the poll() queue.
#include "core/completion_queue.h"

namespace accz {

// The counter is decremented outside the lock on the hot path; the notify that follows a
// drop to zero takes the lock, so a drain() that saw a non-zero count under the lock is
// already waiting when it comes (no lost wake-up).
void CompletionQueue::done(size_t n) {
  if (n == 0) return;
  if (in_flight_.fetch_sub(n, std::memory_order_acq_rel) == n) {
    std::lock_guard<std::mutex> lock(mu_);
    drain_cv_.notify_all();
    poll_cv_.notify_all();
  }
}

void CompletionQueue::release_locked(size_t n) {
  if (in_flight_.fetch_sub(n, std::memory_order_acq_rel) == n) {
    drain_cv_.notify_all();
    poll_cv_.notify_all();
  }
}

void CompletionQueue::push(Request* req) {
  req->internal.next = nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  if (tail_)
    tail_->internal.next = req;
  else
    head_ = req;
  tail_ = req;
  // Queue first, then leave flight: a poller never sees "empty and idle" in between.
  release_locked(1);
  if (pollers_) poll_cv_.notify_one();
}

size_t CompletionQueue::pop(std::span<Request*> out, std::chrono::nanoseconds wait, bool* idle) {
  std::unique_lock<std::mutex> lock(mu_);
  auto ready = [this] { return head_ != nullptr || in_flight() == 0; };
  if (!ready() && wait.count() > 0) {
    ++pollers_;
    poll_cv_.wait_for(lock, wait, ready);
    --pollers_;
  }
  size_t n = 0;
  while (n < out.size() && head_) {
    Request* r = head_;
    head_ = static_cast<Request*>(r->internal.next);
    if (!head_) tail_ = nullptr;
    r->internal.next = nullptr;
    out[n++] = r;
  }
  if (idle) *idle = head_ == nullptr && in_flight() == 0;
  // Another poller may be waiting while items remain.
  if (head_ && pollers_) poll_cv_.notify_one();
  return n;
}

void CompletionQueue::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  drain_cv_.wait(lock, [this] { return in_flight() == 0; });
}

bool CompletionQueue::drain_for(std::chrono::nanoseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return drain_cv_.wait_for(lock, d, [this] { return in_flight() == 0; });
}

}  // namespace accz
