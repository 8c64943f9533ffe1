// Parser for the fault device's configuration string (see fault_spec.h).
#include "providers/fault/fault_spec.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace accz {
namespace {

constexpr std::array<std::string_view, kFaultKinds> kKindNames = {
    "busy", "unsupported", "error", "timeout", "slow", "reorder", "truncate", "corrupt"};

constexpr uint32_t kMaxSlowMs = 60000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool fail(std::string* error, std::string message) {
  if (error) *error = "fault spec: " + std::move(message);
  return false;
}

// from_chars, but the whole string must be used (no trailing junk, no empty value).
template <typename T>
bool parse_number(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool apply(FaultSpec* spec, std::string_view key, std::string_view value, std::string_view item,
           std::string* error) {
  for (size_t i = 0; i < kFaultKinds; ++i) {
    if (key != kKindNames[i]) continue;
    double p = 0;
    if (!parse_number(value, &p) || !std::isfinite(p) || p < 0 || p > 1)
      return fail(error, "'" + std::string(item) + "': " + std::string(key) +
                             " must be a probability between 0 and 1");
    spec->probability[i] = p;
    return true;
  }
  if (key == "slow_ms") {
    uint32_t ms = 0;
    if (!parse_number(value, &ms) || ms > kMaxSlowMs)
      return fail(error, "'" + std::string(item) + "': slow_ms must be an integer 0.." +
                             std::to_string(kMaxSlowMs));
    spec->slow_ms = ms;
    return true;
  }
  if (key == "seed") {
    uint64_t seed = 0;
    if (!parse_number(value, &seed))
      return fail(error, "'" + std::string(item) + "': seed must be a non-negative integer");
    spec->seed = seed;
    return true;
  }
  if (key == "priority") {
    int prio = 0;
    if (!parse_number(value, &prio))
      return fail(error, "'" + std::string(item) + "': priority must be an integer");
    spec->priority = prio;
    return true;
  }
  if (key == "name") {
    if (!valid_name(value))
      return fail(error,
                  "'" + std::string(item) + "': name must be 1-63 characters of [A-Za-z0-9_.-]");
    spec->name = std::string(value);
    return true;
  }
  return fail(error, "unknown key '" + std::string(key) +
                         "' (expected error, busy, timeout, slow, reorder, truncate, corrupt, "
                         "unsupported, slow_ms, seed, name or priority)");
}

}  // namespace

std::string_view to_string(FaultKind k) {
  size_t i = static_cast<size_t>(k);
  return i < kFaultKinds ? kKindNames[i] : std::string_view("?");
}

std::string FaultSpec::to_string() const {
  std::string out;
  for (size_t i = 0; i < kFaultKinds; ++i) {
    if (probability[i] == 0) continue;
    // Shortest text that parses back to the same double: "0.1", not "0.10000000000000001".
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, probability[i]);
    out += std::string(kKindNames[i]) + "=" + std::string(buf, end) + ",";
  }
  out += "slow_ms=" + std::to_string(slow_ms) + ",seed=" + std::to_string(seed) + ",name=" + name +
         ",priority=" + std::to_string(priority);
  return out;
}

std::optional<FaultSpec> parse_fault_spec(std::string_view spec, std::string* error) {
  FaultSpec out;
  std::array<bool, kFaultKinds + 4> seen{};
  auto seen_index = [](std::string_view key) -> size_t {
    for (size_t i = 0; i < kFaultKinds; ++i)
      if (key == kKindNames[i]) return i;
    if (key == "slow_ms") return kFaultKinds;
    if (key == "seed") return kFaultKinds + 1;
    if (key == "name") return kFaultKinds + 2;
    if (key == "priority") return kFaultKinds + 3;
    return SIZE_MAX;
  };
  if (trim(spec).empty()) return out;
  while (true) {
    size_t comma = spec.find(',');
    std::string_view item = trim(spec.substr(0, comma));
    if (item.empty()) {
      fail(error, "empty item (stray comma?) in '" + std::string(spec) + "'");
      return std::nullopt;
    }
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      fail(error, "'" + std::string(item) + "' is not key=value");
      return std::nullopt;
    }
    std::string_view key = trim(item.substr(0, eq));
    std::string_view value = trim(item.substr(eq + 1));
    if (!apply(&out, key, value, item, error)) return std::nullopt;
    size_t idx = seen_index(key);
    if (seen[idx]) {
      fail(error, "key '" + std::string(key) + "' given twice");
      return std::nullopt;
    }
    seen[idx] = true;
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace accz
