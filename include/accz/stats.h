// accz/stats.h — counters a device and the router keep, as `accz devices --stats` and the
// demo print them.
//
// DeviceStats is a plain snapshot (copyable, no atomics). Devices keep their live counters
// in atomics or per-thread and build a snapshot on request; snapshots are consistent per
// counter, not across counters.
#pragma once

#include <array>
#include <cstdint>

#include "accz/request.h"

namespace accz {

struct DeviceStats {
  uint64_t requests = 0;                       // completed by this device (successful or not)
  uint64_t bytes_in = 0;                       // src bytes consumed
  uint64_t bytes_out = 0;                      // dst bytes produced
  uint64_t busy = 0;                           // submits refused because a queue was full
  std::array<uint64_t, 8> errors_by_status{};  // indexed by Status
  // Requests the router took from this device and finished in software, by reason.
  std::array<uint64_t, static_cast<size_t>(FallbackReason::kCount)> fallbacks{};
  // Submit-to-completion latency.
  uint64_t latency_ns_total = 0;
  uint64_t latency_ns_max = 0;
  // Power-of-two histogram: bucket i counts latencies in [2^i, 2^(i+1)) ns.
  std::array<uint64_t, 40> latency_log2{};

  uint64_t fallback_total() const {
    uint64_t n = 0;
    for (auto v : fallbacks) n += v;
    return n;
  }
  // Approximate latency percentile (0 < p <= 1) from the histogram, in ns.
  uint64_t latency_percentile_ns(double p) const;
};

}  // namespace accz
