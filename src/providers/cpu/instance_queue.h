// instance_queue.h — one queue pair of the cpu device: a bounded ring of submitted requests
// that one worker thread drains in batches.
//
// Bounded means: at most `depth` requests are outstanding (queued, or taken by the worker and
// not yet completed). A push that does not fit takes only what fits; memory never grows.
// Wake-ups: the worker spins briefly before it sleeps, and a producer signals only a sleeping
// worker, so a busy queue costs one lock per batch and no futex calls.
//
// Thread-safety: push, remove and close may be called from any threads; pop_batch and done
// only from the one worker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "accz/request.h"

namespace accz {

class InstanceQueue {
 public:
  explicit InstanceQueue(uint32_t depth);

  // Takes the leading requests of `reqs` that fit; returns how many. Records `now` in
  // internal.device_data of those taken (see queued_at()).
  size_t push(std::span<Request* const> reqs, std::chrono::steady_clock::time_point now);

  // Removes `req` if it is still queued (not yet taken by the worker).
  bool remove(Request* req);

  // Worker: waits for requests and moves up to out.size() of them to `out`. Returns 0 only
  // once close() was called and the queue is empty.
  size_t pop_batch(std::span<Request*> out);

  // Worker: one request taken by pop_batch is finished; its slot is free again.
  void done() { outstanding_.fetch_sub(1, std::memory_order_release); }

  // No more pushes will come; the worker drains what is queued and then stops.
  void close();

  uint32_t depth() const { return depth_; }

  // When push() took `req`.
  static std::chrono::steady_clock::time_point queued_at(const Request& req) {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(static_cast<int64_t>(req.internal.device_data)));
  }

 private:
  bool wait_for_work(std::unique_lock<std::mutex>& lock);

  const uint32_t depth_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request*> ring_;  // guarded by mu_
  size_t head_ = 0;             // guarded by mu_
  size_t count_ = 0;            // guarded by mu_
  bool sleeping_ = false;       // guarded by mu_: the worker waits on cv_
  bool closed_ = false;         // guarded by mu_
  // Read without the lock by the spinning worker; written under it.
  std::atomic<size_t> queued_{0};
  std::atomic<bool> closing_{false};
  // Queued plus taken-but-not-completed; grows under mu_, shrinks in done().
  std::atomic<uint32_t> outstanding_{0};
};

}  // namespace accz
