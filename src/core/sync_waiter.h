// sync_waiter.h — the private wait point of one Accel::run() call, so that a synchronous
// caller's request is never handed to another thread's poll().
//
// Thread-safety: signal() from the completing thread, wait() from the owner. signal() holds
// the mutex while notifying, so the owner cannot return (and destroy the waiter, which lives
// on its stack) until signal() has let go of it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace accz {

class SyncWaiter {
 public:
  void signal() {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_one();
  }
  // True once signalled; waits at most `d`.
  bool wait_for(std::chrono::nanoseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [this] { return done_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

}  // namespace accz
