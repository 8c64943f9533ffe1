// DeviceStats helpers: percentiles from the power-of-two latency histogram.
#include "accz/stats.h"

#include <algorithm>
#include <cmath>

namespace accz {

// Finds the bucket holding the p-th sample and interpolates linearly inside it; the answer
// is within a factor of two of the true percentile, never above the recorded maximum.
uint64_t DeviceStats::latency_percentile_ns(double p) const {
  uint64_t total = 0;
  for (uint64_t n : latency_log2) total += n;
  if (total == 0) return 0;
  p = std::clamp(p, 0.0, 1.0);
  auto rank = static_cast<uint64_t>(std::ceil(p * static_cast<double>(total)));
  rank = std::clamp<uint64_t>(rank, 1, total);
  uint64_t seen = 0;
  for (size_t i = 0; i < latency_log2.size(); ++i) {
    uint64_t n = latency_log2[i];
    if (n == 0) continue;
    if (seen + n >= rank) {
      double lo = std::ldexp(1.0, static_cast<int>(i));
      double within = static_cast<double>(rank - seen) / static_cast<double>(n);
      auto v = static_cast<uint64_t>(lo + lo * within);  // bucket width equals lo
      if (latency_ns_max != 0) v = std::min(v, latency_ns_max);
      return v;
    }
    seen += n;
  }
  return latency_ns_max;
}

}  // namespace accz
