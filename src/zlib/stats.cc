#include "zlib/stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "zlib/config.h"

namespace accz::zlib {
namespace {

struct Cell {
  std::atomic<uint64_t> calls{0}, bytes_in{0}, bytes_out{0};
};

// Static storage with constant initialization: usable from the first call of any constructor,
// and never destroyed before the report runs.
Cell g_cells[kFamilies][kEngines];
std::atomic<uint64_t> g_fallbacks[kFamilies][kFallbacks];
std::atomic<bool> g_logged[kFamilies][kFallbacks];
std::atomic<uint64_t> g_parallel_calls{0}, g_parallel_chunks{0}, g_parallel_on_caller{0},
    g_parallel_failed{0};

constexpr const char* kFamilyNames[kFamilies] = {"crc32",      "adler32", "combine", "compress",
                                                 "uncompress", "deflate", "inflate"};
constexpr const char* kEngineNames[kEngines] = {"zlib", "isal", "libdeflate"};
constexpr const char* kReasons[kFallbacks] = {
    "engine disabled by ACCZ_ZLIB_ENGINES",
    "level 0: stored blocks sized as zlib sizes them",
    "level outside -1..9: zlib reports the error",
    "no engine level is both no larger and faster than zlib at this level",
    "input below 4 KiB, where the engine can be larger than zlib",
    "near-incompressible input: zlib's output was smaller",
    "engine output did not fit: zlib's result decides",
    "engine rejected the input: zlib reports the error",
    "*destLen == 0: zlib's one-byte probe",
    "Adler-32 seed not reduced modulo 65521",
    "engine state allocation failed",
    "strategy other than Z_DEFAULT_STRATEGY",
    "windowBits the engine path does not serve",
    "flush other than Z_NO_FLUSH/Z_FINISH (deflate) or Z_BLOCK/Z_TREES (inflate)",
    "deflateParams after data, or to a level/strategy without an engine",
    "preset dictionary the engine path cannot take",
    "deflatePrime/inflatePrime",
    "deflateSetHeader/inflateGetHeader",
    "deflateTune",
    "buffered input reached ACCZ_ZLIB_STREAM_CAP",
    "inflateSync/Mark/Copy/Undermine/Validate/CodesUsed",
    "zlib header announces a window below 32 KiB",
    "input looks incompressible (sampled): zlib serves it",
};

// Empty when no call was counted.
std::string report() {
  std::string text;
  char line[256];
  std::snprintf(line, sizeof line, "accz libz.so.1 stats: pid %d (%s)\n",
                static_cast<int>(getpid()), program_invocation_short_name);
  text += line;
  std::snprintf(line, sizeof line, "  %-11s %-11s %12s %16s %16s\n", "family", "engine", "calls",
                "bytes in", "bytes out");
  text += line;
  bool any = false;
  for (int f = 0; f < kFamilies; ++f) {
    for (int e = 0; e < kEngines; ++e) {
      const Cell& c = g_cells[f][e];
      const uint64_t calls = c.calls.load(std::memory_order_relaxed);
      if (calls == 0) continue;
      any = true;
      std::snprintf(line, sizeof line, "  %-11s %-11s %12" PRIu64 " %16" PRIu64 " %16" PRIu64 "\n",
                    kFamilyNames[f], kEngineNames[e], calls,
                    c.bytes_in.load(std::memory_order_relaxed),
                    c.bytes_out.load(std::memory_order_relaxed));
      text += line;
    }
  }
  if (!any) return {};
  bool header = false;
  for (int f = 0; f < kFamilies; ++f) {
    for (int r = 0; r < kFallbacks; ++r) {
      const uint64_t n = g_fallbacks[f][r].load(std::memory_order_relaxed);
      if (n == 0) continue;
      if (!header) text += "  fallbacks to zlib:\n";
      header = true;
      std::snprintf(line, sizeof line, "    %-11s %10" PRIu64 "  %s\n", kFamilyNames[f], n,
                    kReasons[r]);
      text += line;
    }
  }
  if (!header) text += "  fallbacks to zlib: none\n";
  if (const uint64_t calls = g_parallel_calls.load(std::memory_order_relaxed); calls != 0) {
    std::snprintf(line, sizeof line,
                  "  parallel: %" PRIu64 " calls in %" PRIu64 " chunks, %" PRIu64
                  " chunks on the calling thread (no thread), %" PRIu64 " calls failed\n",
                  calls, g_parallel_chunks.load(std::memory_order_relaxed),
                  g_parallel_on_caller.load(std::memory_order_relaxed),
                  g_parallel_failed.load(std::memory_order_relaxed));
    text += line;
  }
  return text;
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// At exit (or unload). One write() of the whole report to an O_APPEND file, so the reports of
// a process tree sharing ACCZ_ZLIB_STATS do not interleave.
__attribute__((destructor)) void print_report() {
  // A process that made no zlib calls (a shell, a wrapper script on the way to the real
  // program) would only add noise to the report of a process tree; and nothing is counted
  // with statistics off. Either way it must not read the configuration (a file, perhaps
  // with errors to print) for the first time on its way out.
  const std::string text = report();
  if (text.empty()) return;
  const Config& c = config();
  if (!c.stats) return;
  if (c.stats_path.empty()) {
    write_all(STDERR_FILENO, text);
    return;
  }
  const int fd = open(c.stats_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    write_all(STDERR_FILENO, "accz libz.so.1: cannot open ACCZ_ZLIB_STATS file " + c.stats_path +
                                 "; stats follow\n" + text);
    return;
  }
  write_all(fd, text);
  close(fd);
}

}  // namespace

bool stats_on() { return config().stats; }

void count(Family family, Engine engine, uint64_t bytes_in, uint64_t bytes_out) {
  if (!stats_on()) return;
  Cell& c = g_cells[static_cast<int>(family)][static_cast<int>(engine)];
  c.calls.fetch_add(1, std::memory_order_relaxed);
  c.bytes_in.fetch_add(bytes_in, std::memory_order_relaxed);
  c.bytes_out.fetch_add(bytes_out, std::memory_order_relaxed);
}

void fallback(Family family, Fallback why) {
  const int f = static_cast<int>(family), r = static_cast<int>(why);
  if (stats_on()) g_fallbacks[f][r].fetch_add(1, std::memory_order_relaxed);
  if (config().log_level >= 2 && !g_logged[f][r].exchange(true, std::memory_order_relaxed))
    log_line(2, "%s: to zlib: %s", kFamilyNames[f], kReasons[r]);
}

void count_parallel(unsigned chunks, unsigned on_caller, bool failed) {
  if (!stats_on()) return;
  g_parallel_calls.fetch_add(1, std::memory_order_relaxed);
  g_parallel_chunks.fetch_add(chunks, std::memory_order_relaxed);
  g_parallel_on_caller.fetch_add(on_caller, std::memory_order_relaxed);
  if (failed) g_parallel_failed.fetch_add(1, std::memory_order_relaxed);
}

const char* family_name(Family family) { return kFamilyNames[static_cast<int>(family)]; }
const char* engine_name(Engine engine) { return kEngineNames[static_cast<int>(engine)]; }
const char* fallback_reason(Fallback why) { return kReasons[static_cast<int>(why)]; }

}  // namespace accz::zlib
