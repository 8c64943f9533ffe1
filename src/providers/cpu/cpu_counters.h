// cpu_counters.h — live counters of one cpu-device instance, folded into a DeviceStats
// snapshot on request.
//
// Thread-safety: record() is called only by the instance's worker (single writer, so plain
// relaxed load+store, no locked instructions); record_shared() (requests run inline on their
// submitting threads), refused() by any submitter; add_to() by anyone. Keep record_shared()
// on another CpuCounters than record(): a plain store there could undo a concurrent add.
// Each counter is individually consistent, as accz/stats.h promises.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "accz/request.h"
#include "accz/stats.h"

namespace accz {

class CpuCounters {
 public:
  // A finished request (its result filled in), taken at `start`, completed at `now`.
  void record(const Request& req, std::chrono::steady_clock::time_point start,
              std::chrono::steady_clock::time_point now);
  // The same, from any thread (atomic read-modify-writes).
  void record_shared(const Request& req, std::chrono::steady_clock::time_point start,
                     std::chrono::steady_clock::time_point now);
  // `n` requests refused with kBusy.
  void refused(uint64_t n) { busy_.fetch_add(n, std::memory_order_relaxed); }
  // Adds this instance's counts to `out`.
  void add_to(DeviceStats* out) const;

 private:
  using Counter = std::atomic<uint64_t>;
  template <bool kShared>
  void record_as(const Request& req, std::chrono::steady_clock::time_point start,
                 std::chrono::steady_clock::time_point now);
  template <bool kShared>
  static void bump(Counter& c, uint64_t v) {
    if constexpr (kShared) {
      c.fetch_add(v, std::memory_order_relaxed);
    } else {
      c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
    }
  }
  template <bool kShared>
  static void raise(Counter& c, uint64_t v) {
    uint64_t seen = c.load(std::memory_order_relaxed);
    if constexpr (kShared) {
      while (v > seen && !c.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
      }
    } else if (v > seen) {
      c.store(v, std::memory_order_relaxed);
    }
  }

  Counter requests_{0};
  Counter bytes_in_{0};
  Counter bytes_out_{0};
  Counter latency_total_{0};
  Counter latency_max_{0};
  std::array<Counter, 8> errors_{};
  std::array<Counter, 40> latency_log2_{};
  alignas(64) Counter busy_{0};  // written by submitters: kept off the worker's cache line
};

}  // namespace accz
