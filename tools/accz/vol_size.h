// vol_size.h — sizes on the `accz vol` command line: "64G", "512M", "1T", "4096".
//
// Promise: parse_size() accepts a decimal count with an optional binary suffix K, M, G, T, P
// (optionally followed by "iB" or "B", any case) and rejects everything else, including
// overflow, with a message; format_size() prints bytes the way `vdostats --human-readable`
// does (one decimal, binary units).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace accz::cli {

// nullopt and *error set when `text` is not a size.
std::optional<uint64_t> parse_size(std::string_view text, std::string* error);

std::string format_size(uint64_t bytes);

}  // namespace accz::cli
