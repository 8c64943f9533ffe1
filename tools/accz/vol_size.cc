// Binary suffixes only: volumes are counted in 4 KiB blocks, so 10^n sizes would never
// divide evenly and would only invite rounding surprises.
#include "vol_size.h"

#include <cctype>
#include <cstdio>

namespace accz::cli {

std::optional<uint64_t> parse_size(std::string_view text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<uint64_t> {
    *error = "bad size '" + std::string(text) + "': " + why;
    return std::nullopt;
  };
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return fail("too large");
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return fail("expected a number with an optional suffix K, M, G, T or P");
  std::string suffix;
  for (; i < text.size(); ++i) suffix += static_cast<char>(std::toupper(text[i]));
  if (suffix.empty() || suffix == "B") return value;
  static constexpr std::string_view kUnits = "KMGTP";
  size_t unit = kUnits.find(suffix[0]);
  std::string_view rest = std::string_view(suffix).substr(1);
  if (unit == std::string_view::npos || !(rest.empty() || rest == "B" || rest == "IB"))
    return fail("unknown suffix (use K, M, G, T or P: powers of 1024)");
  unsigned shift = 10 * static_cast<unsigned>(unit + 1);
  if (value > (UINT64_MAX >> shift)) return fail("too large");
  return value << shift;
}

std::string format_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "K", "M", "G", "T", "P", "E"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f%s", v, kUnits[u]);
  return buf;
}

}  // namespace accz::cli
