// DeviceStats::latency_percentile_ns from the power-of-two histogram.
#include <gtest/gtest.h>

#include "accz/stats.h"

namespace accz {
namespace {

TEST(DeviceStats, EmptyHistogramGivesZero) {
  DeviceStats s;
  EXPECT_EQ(s.latency_percentile_ns(0.5), 0u);
}

TEST(DeviceStats, PercentileFallsInTheRightBucket) {
  DeviceStats s;
  s.latency_log2[10] = 90;  // [1024, 2048) ns
  s.latency_log2[20] = 10;  // [~1 ms, ~2 ms)
  s.latency_ns_max = 1'500'000;
  uint64_t p50 = s.latency_percentile_ns(0.5);
  EXPECT_GE(p50, 1024u);
  EXPECT_LT(p50, 2048u);
  uint64_t p99 = s.latency_percentile_ns(0.99);
  EXPECT_GE(p99, 1u << 20);
  EXPECT_LE(p99, 1'500'000u);  // never above the recorded maximum
  EXPECT_LE(s.latency_percentile_ns(0.9), s.latency_percentile_ns(0.91));
  EXPECT_EQ(s.latency_percentile_ns(1.0), 1'500'000u);
  EXPECT_GE(s.latency_percentile_ns(0.0), 1024u);  // clamps to the first sample
}

TEST(DeviceStats, FallbackTotalSumsReasons) {
  DeviceStats s;
  s.fallbacks[static_cast<size_t>(FallbackReason::kBusy)] = 2;
  s.fallbacks[static_cast<size_t>(FallbackReason::kTimeout)] = 3;
  EXPECT_EQ(s.fallback_total(), 5u);
}

}  // namespace
}  // namespace accz
