// timeout_tracker.h — one timer thread watching the requests in flight on untrusted devices.
//
// Requests are kept in a binary min-heap on their submit time (every request has the same
// timeout, so submit order is deadline order and inserts almost never sift). Each request
// remembers its heap position in Request::internal.timer_slot, so removal on completion is
// O(log n) and needs no allocation beyond the heap's vector.
//
// The state changes that race with completion (kSubmitting -> kInFlight when arming,
// kInFlight -> kAborting on expiry) are made while holding the tracker's lock, and a request
// is removed from the heap under the same lock before it can be delivered; so the timer never
// looks at a request that may already have been handed back to its caller.
//
// Thread-safety: arm/disarm from any thread; the expiry callback runs on the timer thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "accz/request.h"

namespace accz {

class TimeoutTracker {
 public:
  // Called on the timer thread for each expired request, which is then in kAborting and
  // owned by the callback until it resolves the abort.
  using ExpireFn = std::function<void(Request*)>;

  TimeoutTracker(std::chrono::nanoseconds timeout, ExpireFn on_expire);
  // Stops the timer thread. REQUIRES: nothing armed any more.
  ~TimeoutTracker();

  TimeoutTracker(const TimeoutTracker&) = delete;
  TimeoutTracker& operator=(const TimeoutTracker&) = delete;

  // For requests the device has just accepted (state kSubmitting): moves each to kInFlight
  // and starts its timer. A request whose completion already arrived (kCompletedEarly) is
  // not armed; it is appended to `early` for the caller to finish.
  void arm(std::span<Request* const> reqs, std::vector<Request*>* early);

  // Stops the timer of a request its completer now owns (kFinishing). No-op if not armed
  // (already expired, or never armed).
  void disarm(Request* req);

  size_t armed() const;

 private:
  void loop();
  void push(Request* r);
  void remove_at(size_t i);
  void sift_up(size_t i);
  void sift_down(size_t i);
  void place(size_t i, Request* r);
  bool earlier(size_t a, size_t b) const;

  const std::chrono::nanoseconds timeout_;
  const ExpireFn on_expire_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request*> heap_;  // guarded by mu_
  bool stop_ = false;           // guarded by mu_
  std::thread thread_;
};

}  // namespace accz
