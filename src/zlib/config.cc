#include "zlib/config.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace accz::zlib {
namespace {

// Bounds on the file: a path that names something huge or endless costs a program that merely
// links zlib at most one 64 KiB buffer and one read loop of that size.
constexpr size_t kMaxFileBytes = size_t{64} << 10;
constexpr size_t kMaxLineBytes = size_t{4} << 10;

enum Setting : int {
  kEngines,
  kStreamCap,
  kThreads,
  kParallelMin,
  kSizeCheck,
  kStats,
  kLog,
  kSettings
};

constexpr const char* kNames[kSettings] = {
    "ACCZ_ZLIB_ENGINES",    "ACCZ_ZLIB_STREAM_CAP", "ACCZ_ZLIB_THREADS", "ACCZ_ZLIB_PARALLEL_MIN",
    "ACCZ_ZLIB_SIZE_CHECK", "ACCZ_ZLIB_STATS",      "ACCZ_ZLIB_LOG"};

// A setting's text and where it came from, so that a bad value is reported where it can be
// fixed: the environment (file == nullptr) or a line of the file.
struct Value {
  std::string_view text;
  const char* file = nullptr;
  unsigned line = 0;
};

// Formats one diagnostic, prefixed with FILE:LINE when the value came from the file, and hands
// it to the report when the log level allows it.
class Diagnostics {
 public:
  explicit Diagnostics(const ConfigReport& report) : report_(report) {}

  int level = 1;

  void at(int needed, const char* file, unsigned line, const char* format, ...)
      __attribute__((format(printf, 5, 6))) {
    if (needed > level || !report_) return;
    std::string text;
    if (file != nullptr) {
      text = file;
      if (line != 0) text += ":" + std::to_string(line);
      text += ": ";
    }
    va_list args;
    va_start(args, format);
    va_list again;
    va_copy(again, args);
    const int n = std::vsnprintf(nullptr, 0, format, args);
    va_end(args);
    if (n > 0) {
      const size_t head = text.size();
      text.resize(head + static_cast<size_t>(n) + 1);
      std::vsnprintf(text.data() + head, static_cast<size_t>(n) + 1, format, again);
      text.resize(head + static_cast<size_t>(n));
    }
    va_end(again);
    report_(text.c_str());
  }

  void at(int needed, const Value& v, const char* format, ...)
      __attribute__((format(printf, 4, 5))) {
    if (needed > level || !report_) return;
    char message[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(message, sizeof message, format, args);
    va_end(args);
    at(needed, v.file, v.line, "%s", message);
  }

 private:
  const ConfigReport& report_;
};

int text_int(std::string_view text) { return static_cast<int>(text.size()); }

void parse_engines(Config& c, const Value& v, Diagnostics& d) {
  std::string_view list = v.text;
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
      d.at(1, v, "ACCZ_ZLIB_ENGINES: unknown engine '%.*s' ignored", text_int(name), name.data());
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

void parse_size_setting(size_t& out, const Value& v, const char* name, Diagnostics& d) {
  if (!v.text.empty() && !parse_size(v.text, out))
    d.at(1, v, "%s=%.*s is not a size; using %zu", name, text_int(v.text), v.text.data(), out);
}

// The CPUs this process may run on, at most kMaxThreads: threads beyond them only take turns.
constexpr unsigned kMaxThreads = 8;

unsigned default_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<unsigned>(std::clamp(CPU_COUNT(&set), 1, static_cast<int>(kMaxThreads)));
}

void parse_threads(Config& c, const Value& v, Diagnostics& d) {
  c.threads = default_threads();
  const std::string_view text = v.text;
  if (text.empty()) return;
  size_t n = 0;
  if (text.size() <= 3 && text.find_first_not_of("0123456789") == std::string_view::npos) {
    for (char ch : text) n = n * 10 + static_cast<size_t>(ch - '0');
  }
  if (n >= 1 && n <= 256) {
    c.threads = static_cast<unsigned>(n);
  } else {
    d.at(1, v, "ACCZ_ZLIB_THREADS=%.*s is not 1..256; using %u", text_int(text), text.data(),
         c.threads);
  }
}

// Printed whatever the level, as before the file existed: the level itself is what is wrong.
void parse_log(Config& c, const Value& v, Diagnostics& d) {
  const std::string_view text = v.text;
  if (text.empty()) return;
  // strtol's reading, as the environment always had it: a sign, then only digits.
  std::string_view digits = text;
  if (digits.front() == '+') digits.remove_prefix(1);
  int level = -1;
  if (!digits.empty() && digits.size() <= 9 &&
      digits.find_first_not_of("0123456789") == std::string_view::npos) {
    level = 0;
    for (char ch : digits) level = level * 10 + (ch - '0');
  }
  if (level >= 0 && level <= 2) {
    c.log_level = level;
  } else {
    d.at(0, v, "ACCZ_ZLIB_LOG=%.*s is not 0, 1 or 2; using 1", text_int(text), text.data());
  }
}

// ---- the file ----

bool is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

enum class LineFault { kNoEquals, kEmptyName, kUnknownName, kConfigInFile, kTooLong, kNul, kCut };

struct LineError {
  unsigned line;
  LineFault fault;
  std::string_view name;
};

// What was read of the file: its bytes (kept, as the values point into them), the last line for
// each setting, and what was wrong, to report once the log level is known.
struct FileSettings {
  std::unique_ptr<char[]> bytes;
  Value values[kSettings];
  std::vector<LineError> errors;
  int open_errno = 0;        // the file could not be opened or read
  bool not_regular = false;  // a FIFO, device, directory...
  bool insecure = false;     // secure mode, and not root's alone
  bool cut = false;          // longer than kMaxFileBytes
};

void parse_line(std::string_view raw, unsigned number, bool last_cut, FileSettings& f,
                const char* path) {
  if (last_cut) {
    f.errors.push_back({number, LineFault::kCut, {}});
    return;
  }
  if (raw.size() > kMaxLineBytes) {
    f.errors.push_back({number, LineFault::kTooLong, {}});
    return;
  }
  const std::string_view line = trim(raw);
  if (line.empty() || line.front() == '#') return;
  if (line.find('\0') != std::string_view::npos) {
    f.errors.push_back({number, LineFault::kNul, {}});
    return;
  }
  const size_t eq = line.find('=');
  if (eq == std::string_view::npos) {
    f.errors.push_back({number, LineFault::kNoEquals, {}});
    return;
  }
  const std::string_view name = trim(line.substr(0, eq));
  if (name.empty()) {
    f.errors.push_back({number, LineFault::kEmptyName, {}});
    return;
  }
  for (int s = 0; s < kSettings; ++s) {
    if (name == kNames[s]) {
      f.values[s] = Value{trim(line.substr(eq + 1)), path, number};
      return;
    }
  }
  f.errors.push_back(
      {number, name == "ACCZ_ZLIB_CONFIG" ? LineFault::kConfigInFile : LineFault::kUnknownName,
       name});
}

void parse_file(std::string_view text, bool cut, FileSettings& f, const char* path) {
  unsigned number = 0;
  bool partial = false;  // the text ends inside a line
  while (!text.empty()) {
    ++number;
    const size_t nl = text.find('\n');
    partial = nl == std::string_view::npos;
    parse_line(text.substr(0, nl), number, partial && cut, f, path);
    text = partial ? std::string_view{} : text.substr(nl + 1);
  }
  // Cut just after a newline: the first line not read is the one to name.
  if (cut && !partial) f.errors.push_back({number + 1, LineFault::kCut, {}});
}

// Plain open/read: no stdio or iostream state, nothing that outlives the call but the bytes.
void read_file(const char* path, bool named, bool secure, FileSettings& f) {
  // O_NONBLOCK: opening a FIFO without a writer must not wait; it is refused below anyway.
  const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (named || (errno != ENOENT && errno != ENOTDIR)) f.open_errno = errno;
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    f.open_errno = errno;
  } else if (!S_ISREG(st.st_mode)) {
    f.not_regular = true;
  } else if (secure && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)) {
    f.insecure = true;
  } else {
    // One byte more than the bound tells a file of exactly 64 KiB from a longer one.
    f.bytes.reset(new char[kMaxFileBytes + 1]);
    size_t size = 0;
    while (size < kMaxFileBytes + 1) {
      const ssize_t n = read(fd, f.bytes.get() + size, kMaxFileBytes + 1 - size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        f.open_errno = errno;
        break;
      }
      if (n == 0) break;
      size += static_cast<size_t>(n);
    }
    if (f.open_errno == 0) {
      f.cut = size > kMaxFileBytes;
      parse_file(std::string_view(f.bytes.get(), std::min(size, kMaxFileBytes)), f.cut, f, path);
    }
  }
  close(fd);
}

void report_file(const FileSettings& f, const char* path, bool named, Diagnostics& d) {
  if (f.open_errno != 0)
    d.at(1, path, 0, "cannot read%s: %s; no settings taken from it",
         named ? " (named by ACCZ_ZLIB_CONFIG)" : "", std::strerror(f.open_errno));
  if (f.not_regular) d.at(1, path, 0, "not a regular file; no settings taken from it");
  if (f.insecure)
    d.at(1, path, 0,
         "ignored in a setuid/setgid program: not owned by root, or writable by group or others");
  for (const LineError& e : f.errors) {
    const int len = text_int(e.name);
    switch (e.fault) {
      case LineFault::kNoEquals:
        d.at(1, path, e.line, "no '=' in the line; ignored");
        break;
      case LineFault::kEmptyName:
        d.at(1, path, e.line, "no name before '='; ignored");
        break;
      case LineFault::kUnknownName:
        d.at(1, path, e.line, "unknown name '%.*s' ignored", len, e.name.data());
        break;
      case LineFault::kConfigInFile:
        d.at(1, path, e.line, "ACCZ_ZLIB_CONFIG is read only from the environment; ignored");
        break;
      case LineFault::kTooLong:
        d.at(1, path, e.line, "line longer than %zu bytes; ignored", kMaxLineBytes);
        break;
      case LineFault::kNul:
        d.at(1, path, e.line, "NUL byte in the line; ignored");
        break;
      case LineFault::kCut:
        d.at(1, path, e.line, "file longer than %zu bytes; this line and the rest ignored",
             kMaxFileBytes);
        break;
    }
  }
}

}  // namespace

const char* config_file_path(const ConfigGetenv& getenv, const char* default_file) {
  const char* named = getenv("ACCZ_ZLIB_CONFIG");
  if (named == nullptr) return default_file;
  return named[0] == '\0' ? nullptr : named;
}

Config load_config(const ConfigGetenv& getenv, const ConfigReport& report, bool secure,
                   const char* default_file) {
  const char* path = config_file_path(getenv, default_file);
  const bool named = getenv("ACCZ_ZLIB_CONFIG") != nullptr;
  FileSettings file;
  if (path != nullptr) read_file(path, named, secure, file);

  // One value per setting, from whichever source wins; both then take the same parsers.
  Value values[kSettings];
  for (int s = 0; s < kSettings; ++s) {
    const char* env = getenv(kNames[s]);
    values[s] = env != nullptr ? Value{env, nullptr, 0} : file.values[s];
  }

  Config c;
  Diagnostics d(report);
  parse_log(c, values[kLog], d);
  d.level = c.log_level;
  if (path != nullptr) report_file(file, path, named, d);
  parse_engines(c, values[kEngines], d);
  parse_size_setting(c.stream_cap, values[kStreamCap], kNames[kStreamCap], d);
  parse_threads(c, values[kThreads], d);
  parse_size_setting(c.parallel_min, values[kParallelMin], kNames[kParallelMin], d);
  const Value& check = values[kSizeCheck];
  if (check.text == "always") {
    c.size_check_always = true;
  } else if (!check.text.empty() && check.text != "near") {
    d.at(1, check, "ACCZ_ZLIB_SIZE_CHECK=%.*s is not near or always", text_int(check.text),
         check.text.data());
  }
  const std::string_view stats = values[kStats].text;
  if (!stats.empty() && stats != "0") {
    c.stats = true;
    if (stats != "1" && stats != "stderr") c.stats_path = std::string(stats);
  }

  const bool file_read = path != nullptr && file.bytes != nullptr && file.open_errno == 0;
  d.at(2, nullptr, 0, "configuration file: %s%s", file_read ? path : "none",
       path == nullptr ? " (ACCZ_ZLIB_CONFIG is empty)"
       : file_read     ? ""
                       : (named ? " (could not be used)" : " (the default is absent)"));
  d.at(2, nullptr, 0,
       "engines: isal %s, libdeflate %s, deflate %s, inflate %s; "
       "stream cap %zu; threads %u from %zu bytes; size check %s; stats %s",
       c.isal ? "on" : "off", c.libdeflate ? "on" : "off", c.deflate_stream ? "on" : "off",
       c.inflate_stream ? "on" : "off", c.stream_cap, c.threads, c.parallel_min,
       c.size_check_always ? "always" : "near",
       !c.stats               ? "off"
       : c.stats_path.empty() ? "stderr"
                              : c.stats_path.c_str());
  return c;
}

const Config& config() {
  // Never destroyed: the statistics report reads it from a destructor at exit, after function
  // statics may already be gone.
  static const Config* const c = new Config(load_config(
      [](const char* name) -> const char* { return secure_getenv(name); },
      [](const char* message) { std::fprintf(stderr, "accz libz.so.1: %s\n", message); },
      getauxval(AT_SECURE) != 0));
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
