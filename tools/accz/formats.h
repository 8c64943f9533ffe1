// formats.h — the container formats `accz compress` writes and `accz decompress` reads: their
// names, framings, file suffixes, default levels and magic numbers.
//
// Pure functions over constant tables; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "accz/types.h"

namespace accz::cli {

enum class Format : uint8_t { kGzip, kZlib, kRaw, kLz4, kZstd };

struct FormatInfo {
  Format format;
  std::string_view name;    // as --format spells it
  Framing framing;          // the Request/engine framing
  std::string_view suffix;  // the file suffix compress appends
  int default_level;        // when no -1..-9 is given, as each format's own tool does
};

const FormatInfo& info(Format f);
std::optional<Format> parse_format(std::string_view name);

// The format whose magic number `head` (the first bytes of a stream) starts with, if any.
// zlib's two-byte header is recognised by its check bits; raw deflate has no magic.
std::optional<Format> sniff(std::string_view head);

// Request level for a CLI level 1..9 (or -1: the format's default).
int request_level(Format f, int cli_level);

// Decompression naming: if `name` ends with a suffix that decompresses (the format's own
// suffix, its aliases such as .tgz → .tar, or the user's -S suffix), the output name and the
// format the suffix implies (none for a -S suffix without --format: the content decides).
// nullopt if no known suffix matches.
struct Stripped {
  std::string output;
  std::optional<Format> format;
};
std::optional<Stripped> strip_suffix(std::string_view name, std::string_view user_suffix,
                                     std::optional<Format> forced);

}  // namespace accz::cli
