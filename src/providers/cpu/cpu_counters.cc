// Counters of a cpu-device instance.
#include "providers/cpu/cpu_counters.h"

#include <algorithm>
#include <bit>

namespace accz {

void CpuCounters::record(const Request& req, std::chrono::steady_clock::time_point start,
                         std::chrono::steady_clock::time_point now) {
  const Result& r = req.result;
  bump(requests_, 1);
  bump(bytes_in_, r.consumed);
  bump(bytes_out_, r.produced);
  const auto status = static_cast<size_t>(r.status);
  if (r.status != Status::kOk && status < errors_.size()) bump(errors_[status], 1);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start);
  const uint64_t v = ns.count() > 0 ? static_cast<uint64_t>(ns.count()) : 0;
  bump(latency_total_, v);
  if (v > latency_max_.load(std::memory_order_relaxed)) {
    latency_max_.store(v, std::memory_order_relaxed);
  }
  const size_t bucket = v == 0 ? 0 : static_cast<size_t>(std::bit_width(v) - 1);
  bump(latency_log2_[std::min(bucket, latency_log2_.size() - 1)], 1);
}

void CpuCounters::add_to(DeviceStats* out) const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  out->requests += requests_.load(kRelaxed);
  out->bytes_in += bytes_in_.load(kRelaxed);
  out->bytes_out += bytes_out_.load(kRelaxed);
  out->busy += busy_.load(kRelaxed);
  for (size_t i = 0; i < errors_.size(); ++i) out->errors_by_status[i] += errors_[i].load(kRelaxed);
  out->latency_ns_total += latency_total_.load(kRelaxed);
  out->latency_ns_max = std::max(out->latency_ns_max, latency_max_.load(kRelaxed));
  for (size_t i = 0; i < latency_log2_.size(); ++i) {
    out->latency_log2[i] += latency_log2_[i].load(kRelaxed);
  }
}

}  // namespace accz
