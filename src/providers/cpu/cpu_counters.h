// cpu_counters.h — live counters of one cpu-device instance, folded into a DeviceStats
// snapshot on request.
//
// Thread-safety: record() is called only by the instance's worker (single writer, so plain
// relaxed load+store, no locked instructions); refused() by any submitter; add_to() by anyone.
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
  // `n` requests refused with kBusy.
  void refused(uint64_t n) { busy_.fetch_add(n, std::memory_order_relaxed); }
  // Adds this instance's counts to `out`.
  void add_to(DeviceStats* out) const;

 private:
  using Counter = std::atomic<uint64_t>;
  static void bump(Counter& c, uint64_t v) {
    c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
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
