// Format tables. Suffix aliases follow gzip (.tgz, -gz, .z, _z) and the lz4/zstd tools
// (.tlz4, .tzst).
#include "formats.h"

#include <array>

namespace accz::cli {
namespace {

constexpr std::array<FormatInfo, 5> kFormats = {{
    {Format::kGzip, "gzip", Framing::kGzip, ".gz", 6},
    {Format::kZlib, "zlib", Framing::kZlib, ".zz", 6},
    {Format::kRaw, "raw", Framing::kRaw, ".deflate", 6},
    {Format::kLz4, "lz4", Framing::kLz4Frame, ".lz4", 1},
    {Format::kZstd, "zstd", Framing::kZstdFrame, ".zst", 3},
}};

struct Alias {
  std::string_view suffix;
  std::string_view replacement;
  Format format;
};

constexpr std::array<Alias, 12> kAliases = {{
    {".gz", "", Format::kGzip},
    {".tgz", ".tar", Format::kGzip},
    {".taz", ".tar", Format::kGzip},
    {"-gz", "", Format::kGzip},
    {"_z", "", Format::kGzip},
    {".z", "", Format::kGzip},
    {".zz", "", Format::kZlib},
    {".deflate", "", Format::kRaw},
    {".lz4", "", Format::kLz4},
    {".tlz4", ".tar", Format::kLz4},
    {".zst", "", Format::kZstd},
    {".tzst", ".tar", Format::kZstd},
}};

bool ends_with_icase(std::string_view s, std::string_view suffix) {
  if (s.size() <= suffix.size()) return false;  // a bare ".gz" has no name left
  for (size_t i = 0; i < suffix.size(); ++i) {
    char a = s[s.size() - suffix.size() + i], b = suffix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

}  // namespace

const FormatInfo& info(Format f) { return kFormats[static_cast<size_t>(f)]; }

std::optional<Format> parse_format(std::string_view name) {
  for (const auto& f : kFormats)
    if (f.name == name) return f.format;
  if (name == "deflate") return Format::kRaw;
  if (name == "zst") return Format::kZstd;
  return std::nullopt;
}

std::optional<Format> sniff(std::string_view head) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(head[i]); };
  if (head.size() >= 2 && byte(0) == 0x1f && byte(1) == 0x8b) return Format::kGzip;
  if (head.size() >= 4) {
    uint32_t magic = byte(0) | byte(1) << 8 | byte(2) << 16 | uint32_t{byte(3)} << 24;
    if (magic == 0x184D2204u) return Format::kLz4;
    if (magic == 0xFD2FB528u) return Format::kZstd;
  }
  if (head.size() >= 2 && (byte(0) & 0x0f) == 8 && (byte(0) >> 4) <= 7 &&
      ((byte(0) << 8) | byte(1)) % 31 == 0 && !(byte(1) & 0x20))
    return Format::kZlib;
  return std::nullopt;
}

int request_level(Format f, int cli_level) {
  int level = cli_level < 0 ? info(f).default_level : cli_level;
  switch (f) {
    case Format::kLz4:
      // As the lz4 tool: 1–2 are the fast compressor, 3 and up the high-compression one.
      return level <= 2 ? 1 : level;
    case Format::kZstd:
      return level < 1 ? 1 : level;
    default:
      return level;
  }
}

std::optional<Stripped> strip_suffix(std::string_view name, std::string_view user_suffix,
                                     std::optional<Format> forced) {
  if (!user_suffix.empty() && ends_with_icase(name, user_suffix)) {
    std::string out(name.substr(0, name.size() - user_suffix.size()));
    return Stripped{std::move(out), forced};
  }
  for (const auto& a : kAliases) {
    if (!ends_with_icase(name, a.suffix)) continue;
    if (forced && *forced != a.format) continue;
    std::string out(name.substr(0, name.size() - a.suffix.size()));
    out += a.replacement;
    return Stripped{std::move(out), a.format};
  }
  return std::nullopt;
}

}  // namespace accz::cli
