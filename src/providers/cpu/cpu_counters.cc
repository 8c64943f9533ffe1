// Counters of a cpu-device instance.
#include "providers/cpu/cpu_counters.h"

#include <algorithm>
#include <bit>

namespace accz {

template <bool kShared>
void CpuCounters::record_as(const Request& req, std::chrono::steady_clock::time_point start,
                            std::chrono::steady_clock::time_point now) {
  const Result& r = req.result;
  bump<kShared>(requests_, 1);
  bump<kShared>(bytes_in_, r.consumed);
  bump<kShared>(bytes_out_, r.produced);
  const auto status = static_cast<size_t>(r.status);
  if (r.status != Status::kOk && status < errors_.size()) bump<kShared>(errors_[status], 1);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start);
  const uint64_t v = ns.count() > 0 ? static_cast<uint64_t>(ns.count()) : 0;
  bump<kShared>(latency_total_, v);
  raise<kShared>(latency_max_, v);
  const size_t bucket = v == 0 ? 0 : static_cast<size_t>(std::bit_width(v) - 1);
  bump<kShared>(latency_log2_[std::min(bucket, latency_log2_.size() - 1)], 1);
}

void CpuCounters::record(const Request& req, std::chrono::steady_clock::time_point start,
                         std::chrono::steady_clock::time_point now) {
  record_as<false>(req, start, now);
}

void CpuCounters::record_shared(const Request& req, std::chrono::steady_clock::time_point start,
                                std::chrono::steady_clock::time_point now) {
  record_as<true>(req, start, now);
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
