// Names of the vocabulary types, as the CLI and stats print them.
#include "accz/types.h"

#include <array>

#include "accz/request.h"

namespace accz {
namespace {

constexpr std::array<std::string_view, 3> kAlgorithms = {"deflate", "lz4", "zstd"};
constexpr std::array<std::string_view, 6> kFramings = {"raw",       "zlib",      "gzip",
                                                       "lz4-block", "lz4-frame", "zstd"};

template <typename T, size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, T v) {
  auto i = static_cast<size_t>(v);
  return i < N ? names[i] : std::string_view("?");
}

template <typename T, size_t N>
bool lookup(const std::array<std::string_view, N>& names, std::string_view name, T* out) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) {
      *out = static_cast<T>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view to_string(Operation v) {
  return v == Operation::kCompress ? "compress" : "decompress";
}
std::string_view to_string(Algorithm v) { return name_of(kAlgorithms, v); }
std::string_view to_string(Framing v) { return name_of(kFramings, v); }
std::string_view to_string(Flush v) {
  static constexpr std::array<std::string_view, 4> kNames = {"none", "sync", "full", "finish"};
  return name_of(kNames, v);
}
std::string_view to_string(Status v) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "ok", "output-overflow", "incompressible", "bad-data", "unsupported", "busy", "device-error"};
  return name_of(kNames, v);
}
std::string_view to_string(FallbackReason v) {
  static constexpr std::array<std::string_view, 6> kNames = {
      "none", "unsupported", "busy", "device-error", "timeout", "bad-output"};
  return name_of(kNames, v);
}

bool parse(std::string_view name, Algorithm* out) { return lookup(kAlgorithms, name, out); }
bool parse(std::string_view name, Framing* out) { return lookup(kFramings, name, out); }

}  // namespace accz
