// completion_queue.h — counts requests in flight and holds finished poll()-mode requests
// until a poller takes them.
//
// "In flight" means taken by submit and not yet delivered; a request pushed here counts as
// delivered (drain() does not wait for it to be polled). The queue is intrusive (through
// Request::internal.next), so delivering allocates nothing.
//
// Thread-safety: every method may be called from any thread concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <span>

#include "accz/request.h"

namespace accz {

class CompletionQueue {
 public:
  // `n` more requests are about to be offered to devices.
  void add_in_flight(size_t n) { in_flight_.fetch_add(n, std::memory_order_relaxed); }

  // `n` requests left flight without going through the queue: delivered by callback or to a
  // synchronous waiter, or refused at submit.
  void done(size_t n);

  // Delivers a poll()-mode request: it becomes visible to poll() and leaves flight.
  void push(Request* req);

  // Takes up to out.size() queued requests. With a non-zero `wait`, waits up to that long for
  // one to arrive unless none is in flight. *idle is set when nothing is queued and nothing
  // is in flight (a waiting poller should stop).
  size_t pop(std::span<Request*> out, std::chrono::nanoseconds wait, bool* idle);

  // Blocks until nothing is in flight.
  void drain();
  // As drain(), for at most `d`; true if nothing is in flight.
  bool drain_for(std::chrono::nanoseconds d);

  size_t in_flight() const { return in_flight_.load(std::memory_order_acquire); }

 private:
  void release_locked(size_t n);

  std::mutex mu_;
  std::condition_variable poll_cv_;   // a request was queued, or flight went empty
  std::condition_variable drain_cv_;  // flight went empty
  std::atomic<size_t> in_flight_{0};
  Request* head_ = nullptr;  // guarded by mu_
  Request* tail_ = nullptr;  // guarded by mu_
  size_t pollers_ = 0;       // guarded by mu_: threads waiting in pop()
};

}  // namespace accz
