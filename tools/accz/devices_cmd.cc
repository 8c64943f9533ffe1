// Prints each device's capabilities and counters; the JSON form carries every field (for
// scripts and tests), the table the ones a person scans for.
#include "devices_cmd.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "accz/accel.h"
#include "report.h"

namespace accz::cli {
namespace {

using nlohmann::json;

json to_json(const DeviceReport& d) {
  const DeviceInfo& i = d.info;
  const DeviceStats& s = d.stats;
  json framings = json::array();
  for (Framing f : i.framings) framings.push_back(std::string(to_string(f)));
  json fallbacks = json::object();
  for (size_t r = 1; r < s.fallbacks.size(); ++r)
    fallbacks[std::string(to_string(static_cast<FallbackReason>(r)))] = s.fallbacks[r];
  json errors = json::object();
  for (size_t st = 0; st < s.errors_by_status.size(); ++st)
    if (s.errors_by_status[st] > 0)
      errors[std::string(to_string(static_cast<Status>(st)))] = s.errors_by_status[st];
  return json{
      {"name", i.name},
      {"provider", i.provider},
      {"description", i.description},
      {"instances", i.instances},
      {"queue_depth", i.queue_depth},
      {"framings", framings},
      {"levels",
       {{"deflate", {i.deflate_min_level, i.deflate_max_level}},
        {"lz4", {i.lz4_min_level, i.lz4_max_level}},
        {"zstd", {i.zstd_min_level, i.zstd_max_level}}}},
      {"engines", i.engines},
      {"max_request", i.max_request},
      {"min_offload", i.min_offload},
      {"trusted", i.trusted},
      {"priority", i.priority},
      {"stats",
       {{"requests", s.requests},
        {"bytes_in", s.bytes_in},
        {"bytes_out", s.bytes_out},
        {"busy", s.busy},
        {"errors", errors},
        {"fallbacks", fallbacks},
        {"fallback_total", s.fallback_total()},
        {"latency_ns_avg", s.requests ? s.latency_ns_total / s.requests : 0},
        {"latency_ns_p50", s.latency_percentile_ns(0.5)},
        {"latency_ns_p99", s.latency_percentile_ns(0.99)},
        {"latency_ns_max", s.latency_ns_max}}},
  };
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

std::string bytes_text(size_t n) {
  if (n == 0) return "none";
  if (n % (1 << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " B";
}

}  // namespace

void print_devices(std::FILE* out, const std::vector<DeviceReport>& devices) {
  for (const auto& d : devices) {
    const DeviceInfo& i = d.info;
    const DeviceStats& s = d.stats;
    std::vector<std::string> framings;
    for (Framing f : i.framings) framings.emplace_back(to_string(f));
    std::fprintf(out, "%s  (provider %s, priority %d, %s)\n", i.name.c_str(), i.provider.c_str(),
                 i.priority, i.trusted ? "trusted" : "verified in software");
    if (!i.description.empty()) std::fprintf(out, "  %s\n", i.description.c_str());
    std::fprintf(out, "  instances     %u x queue depth %u\n", i.instances, i.queue_depth);
    std::fprintf(out, "  framings      %s\n", join(framings).c_str());
    std::fprintf(out, "  levels        deflate %d-%d, lz4 %d-%d, zstd %d-%d\n", i.deflate_min_level,
                 i.deflate_max_level, i.lz4_min_level, i.lz4_max_level, i.zstd_min_level,
                 i.zstd_max_level);
    std::fprintf(out, "  engines       %s\n", join(i.engines).c_str());
    std::fprintf(out, "  limits        max request %s, min offload %s\n",
                 i.max_request ? bytes_text(i.max_request).c_str() : "unlimited",
                 bytes_text(i.min_offload).c_str());
    std::fprintf(
        out, "  stats         %llu requests, %llu B in, %llu B out, %llu busy, %llu fallbacks",
        static_cast<unsigned long long>(s.requests), static_cast<unsigned long long>(s.bytes_in),
        static_cast<unsigned long long>(s.bytes_out), static_cast<unsigned long long>(s.busy),
        static_cast<unsigned long long>(s.fallback_total()));
    std::string reasons;
    for (size_t r = 1; r < s.fallbacks.size(); ++r) {
      if (s.fallbacks[r] == 0) continue;
      reasons += (reasons.empty() ? "" : ", ") +
                 std::string(to_string(static_cast<FallbackReason>(r))) + " " +
                 std::to_string(s.fallbacks[r]);
    }
    std::fprintf(out, "%s\n", reasons.empty() ? "" : (" (" + reasons + ")").c_str());
    if (s.requests > 0) {
      auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
      std::fprintf(out, "  latency       avg %.0f us, p50 %.0f us, p99 %.0f us, max %.0f us\n",
                   us(s.latency_ns_total / s.requests), us(s.latency_percentile_ns(0.5)),
                   us(s.latency_percentile_ns(0.99)), us(s.latency_ns_max));
    }
  }
}

int run_devices(const DevicesOptions& o) {
  AccelOptions ao;
  ao.fault_spec = o.fault_spec;
  ao.plugin_paths = o.plugins;
  std::string err;
  auto accel = Accel::open(ao, &err);
  if (!accel) {
    Reporter().error("", err.empty() ? "cannot open the devices" : err);
    return kExitError;
  }
  auto devices = accel->devices();
  if (o.json) {
    json j = json::array();
    for (const auto& d : devices) j.push_back(to_json(d));
    std::cout << json{{"devices", j}}.dump(2) << '\n';
  } else {
    print_devices(stdout, devices);
  }
  return kExitOk;
}

}  // namespace accz::cli
