#include "zlib/config.h"

#include <sched.h>

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace accz::zlib {
namespace {

const char* env(const char* name) {
  const char* v = secure_getenv(name);
  return v != nullptr ? v : "";
}

void parse_engines(Config& c, std::string_view list) {
  if (list.empty()) return;  // the defaults of Config
  if (list == "all") {
    c.isal = c.libdeflate = c.deflate_stream = c.inflate_stream = true;
    return;
  }
  c.isal = c.libdeflate = c.deflate_stream = c.inflate_stream = false;
  if (list == "none") return;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    if (name == "isal") {
      c.isal = true;
    } else if (name == "libdeflate") {
      c.libdeflate = true;
    } else if (name == "deflate") {
      c.deflate_stream = true;
    } else if (name == "inflate") {
      c.inflate_stream = true;
    } else if (!name.empty()) {
      // Printed directly: config() is still being built, so log_line cannot consult it.
      if (c.log_level >= 1)
        std::fprintf(stderr, "accz libz.so.1: ACCZ_ZLIB_ENGINES: unknown engine '%.*s' ignored\n",
                     static_cast<int>(name.size()), name.data());
    }
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
}

// "123", "64K", "32M", "1G"; false if malformed or zero.
bool parse_size(std::string_view text, size_t& out) {
  if (text.empty()) return false;
  size_t shift = 0;
  switch (text.back()) {
    case 'K':
    case 'k':
      shift = 10;
      break;
    case 'M':
    case 'm':
      shift = 20;
      break;
    case 'G':
    case 'g':
      shift = 30;
      break;
    default:
      break;
  }
  if (shift != 0) text.remove_suffix(1);
  if (text.empty() || text.size() > 12) return false;
  size_t v = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + static_cast<size_t>(ch - '0');
  }
  if (v == 0 || v > (SIZE_MAX >> shift)) return false;
  out = v << shift;
  return true;
}

// The CPUs this process may run on, at most kMaxThreads: threads beyond them only take turns.
constexpr unsigned kMaxThreads = 8;

unsigned default_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<unsigned>(std::clamp(CPU_COUNT(&set), 1, static_cast<int>(kMaxThreads)));
}

void parse_threads(Config& c, std::string_view text) {
  c.threads = default_threads();
  if (text.empty()) return;
  size_t v = 0;
  if (text.size() <= 3 && text.find_first_not_of("0123456789") == std::string_view::npos) {
    for (char ch : text) v = v * 10 + static_cast<size_t>(ch - '0');
  }
  if (v >= 1 && v <= 256) {
    c.threads = static_cast<unsigned>(v);
  } else if (c.log_level >= 1) {
    std::fprintf(stderr, "accz libz.so.1: ACCZ_ZLIB_THREADS=%.*s is not 1..256; using %u\n",
                 static_cast<int>(text.size()), text.data(), c.threads);
  }
}

Config load() {
  Config c;
  const char* log = env("ACCZ_ZLIB_LOG");
  if (log[0] != '\0') {
    char* end = nullptr;
    const long level = std::strtol(log, &end, 10);
    if (*end == '\0' && level >= 0 && level <= 2) {
      c.log_level = static_cast<int>(level);
    } else {
      std::fprintf(stderr, "accz libz.so.1: ACCZ_ZLIB_LOG=%s is not 0, 1 or 2; using 1\n", log);
    }
  }
  parse_engines(c, env("ACCZ_ZLIB_ENGINES"));
  const std::string_view cap = env("ACCZ_ZLIB_STREAM_CAP");
  if (!cap.empty() && !parse_size(cap, c.stream_cap) && c.log_level >= 1)
    std::fprintf(stderr, "accz libz.so.1: ACCZ_ZLIB_STREAM_CAP=%.*s is not a size; using %zu\n",
                 static_cast<int>(cap.size()), cap.data(), c.stream_cap);
  parse_threads(c, env("ACCZ_ZLIB_THREADS"));
  const std::string_view pmin = env("ACCZ_ZLIB_PARALLEL_MIN");
  if (!pmin.empty() && !parse_size(pmin, c.parallel_min) && c.log_level >= 1)
    std::fprintf(stderr, "accz libz.so.1: ACCZ_ZLIB_PARALLEL_MIN=%.*s is not a size; using %zu\n",
                 static_cast<int>(pmin.size()), pmin.data(), c.parallel_min);
  const std::string_view check = env("ACCZ_ZLIB_SIZE_CHECK");
  if (check == "always") {
    c.size_check_always = true;
  } else if (!check.empty() && check != "near" && c.log_level >= 1) {
    std::fprintf(stderr, "accz libz.so.1: ACCZ_ZLIB_SIZE_CHECK=%.*s is not near or always\n",
                 static_cast<int>(check.size()), check.data());
  }
  const std::string_view stats = env("ACCZ_ZLIB_STATS");
  if (!stats.empty() && stats != "0") {
    c.stats = true;
    if (stats != "1" && stats != "stderr") c.stats_path = std::string(stats);
  }
  if (c.log_level >= 2)
    std::fprintf(stderr,
                 "accz libz.so.1: engines: isal %s, libdeflate %s, deflate %s, inflate %s; "
                 "stream cap %zu; threads %u from %zu bytes; size check %s; stats %s\n",
                 c.isal ? "on" : "off", c.libdeflate ? "on" : "off",
                 c.deflate_stream ? "on" : "off", c.inflate_stream ? "on" : "off", c.stream_cap,
                 c.threads, c.parallel_min, c.size_check_always ? "always" : "near",
                 !c.stats               ? "off"
                 : c.stats_path.empty() ? "stderr"
                                        : c.stats_path.c_str());
  return c;
}

}  // namespace

const Config& config() {
  // Never destroyed: the statistics report reads it from a destructor at exit, after function
  // statics may already be gone.
  static const Config* const c = new Config(load());
  return *c;
}

void log_line(int level, const char* format, ...) {
  if (level > config().log_level) return;
  char line[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  std::fprintf(stderr, "accz libz.so.1: %s\n", line);
}

}  // namespace accz::zlib
