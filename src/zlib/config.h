// The drop-in's configuration, from an optional file and the environment, read once per
// process (on the first zlib call that needs it, possibly in a forked child).
//
//   ACCZ_ZLIB_ENGINES  comma-separated engines the drop-in may use: "isal" (crc32, adler32,
//                      uncompress*; with "libdeflate", compress* and deflate() streams at
//                      level 1 on text-like input), "libdeflate" (compress*), "deflate" (deflate()
//                      streams on libdeflate, whole-buffer), "inflate" (inflate() streams on
//                      ISA-L); unset or "all": every engine; "isal,libdeflate": the checksums and
//                      compress*/uncompress* only, every deflate()/inflate() stream zlib's
//                      (the way back if a program misbehaves with the stream engines);
//                      "none": every call goes to the real zlib, as in a plain pass-through.
//   ACCZ_ZLIB_STREAM_CAP  the most input a deflate stream buffers for its engine before it
//                      moves to zlib: bytes, or with a K, M or G suffix (default 32M). Larger
//                      streams keep zlib's memory bound instead of growing with their input.
//   ACCZ_ZLIB_THREADS  how many threads may compress one large input (compress2, and deflate()
//                      streams finished whole-buffer): default the CPUs this process may run
//                      on (sched_getaffinity), at most 8; 1 turns parallel compression off.
//   ACCZ_ZLIB_PARALLEL_MIN  the smallest input compressed on several threads: bytes, or with a
//                      K, M or G suffix (default 512K). Smaller inputs are one engine call.
//                      ISA-L's chunks (level 1, text-like input) start at a quarter of it.
//   ACCZ_ZLIB_SIZE_CHECK  "near" (default): an engine's compressed output is compared with
//                      zlib's only when it is over 90% of the input, where libdeflate's block
//                      choices are known to lose; elsewhere the level map (measured on the
//                      corpus) keeps it no larger, but crafted inputs can beat it by a few
//                      percent. "always": every engine output is compared with zlib's and
//                      the smaller is returned, so the output is never larger than zlib's at
//                      the same level, for any input, at the cost of running zlib as well.
//   ACCZ_ZLIB_STATS    unset, "" or "0": no statistics; "1" or "stderr": printed on stderr at
//                      exit; anything else: a file the process appends its report to at exit
//                      (`accz run --stats` uses this, so every process of a tree reports).
//                      A process that made no zlib call reports nothing.
//   ACCZ_ZLIB_LOG      0: silent; 1 (default): configuration errors; 2: also the settings in
//                      effect and the first fallback to zlib of each kind, as they happen.
//
// The file. ACCZ_ZLIB_CONFIG=PATH names it; when the variable is unset, /etc/accz/zlib.conf is
// read if it exists (its absence is silent; a named file that cannot be read is a log-level-1
// error); ACCZ_ZLIB_CONFIG set to the empty string means no file. It holds one NAME=VALUE a
// line, NAME one of the variables above, so lines can be copied between a shell and the file:
//
//   # /etc/accz/zlib.conf
//   ACCZ_ZLIB_ENGINES=isal,libdeflate
//   ACCZ_ZLIB_STATS = /var/log/accz-zlib.stats
//
// Blank lines and lines whose first non-blank character is '#' are skipped; blanks around NAME
// and VALUE are trimmed; there is no quoting, escaping or trailing comment (the value is the
// rest of the line). A later line for the same NAME replaces an earlier one. Unknown names,
// lines without '=', lines of more than 4 KiB and lines holding a NUL byte are reported as
// "accz libz.so.1: FILE:LINE: ..." (log level 1) and skipped; the lines after them still apply.
// Only the first 64 KiB are read (the rest is reported and ignored) and only a regular file is
// opened (a FIFO, terminal or device is reported and skipped), so a wrong path cannot hang or
// bloat a program that merely links zlib. Values are checked exactly as the environment's are.
//
// Precedence, per setting: a variable present in the environment, even set to "", wins over
// the file's line (so `ACCZ_ZLIB_STATS= prog` turns off statistics the file turned on, and
// `accz run --stats` reports whatever the file says); the file's line wins over the default.
//
// The defaults (every engine, no statistics, log level 1) are the right ones for users: the
// engines are only used where they keep zlib's contract (oneshot.h, deflate_stream.h,
// inflate_stream.h say where), and everything else is the real zlib's. Variables, the
// ACCZ_ZLIB_CONFIG path included, are read with secure_getenv, so a setuid or setgid program
// ignores them all; such a program still reads the default /etc/accz/zlib.conf, and only when
// that file is owned by root and writable by no one else (it can name the file statistics are
// appended to).
//
// Thread safety: config() may be called from any thread; the first call reads the file and the
// environment and every call returns the same immutable object. load_config() and
// config_file_path() keep no state: any thread, any number of times (tests use them).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace accz::zlib {

struct Config {
  bool isal = true;        // crc32/adler32 and uncompress on ISA-L
  bool libdeflate = true;  // compress on libdeflate
  // On by default since the git clone failure (src/zlib/README.md) was found and fixed.
  bool deflate_stream = true;  // deflate() streams on libdeflate (whole-buffer)
  bool inflate_stream = true;  // inflate() streams on ISA-L
  size_t stream_cap = size_t{32} << 20;
  unsigned threads = 1;                     // ACCZ_ZLIB_THREADS, resolved (>= 1)
  size_t parallel_min = size_t{512} << 10;  // ACCZ_ZLIB_PARALLEL_MIN
  bool size_check_always = false;           // ACCZ_ZLIB_SIZE_CHECK=always
  bool stats = false;
  std::string stats_path;  // empty: stderr
  int log_level = 1;
};

const Config& config();

// What config() is made of, separated so that tests can give other variables and catch the
// messages without starting a process.

// A variable's value, nullptr when it is not set (config() uses secure_getenv).
using ConfigGetenv = std::function<const char*(const char* name)>;
// One diagnostic, without the "accz libz.so.1: " prefix and without a newline (config() prints
// it on stderr with the prefix). Only the messages the log level in effect allows are given.
using ConfigReport = std::function<void(const char* message)>;

inline constexpr const char kDefaultConfigFile[] = "/etc/accz/zlib.conf";

// The file load_config reads: ACCZ_ZLIB_CONFIG's value, `default_file` when it is unset,
// nullptr (no file) when it is set to "".
const char* config_file_path(const ConfigGetenv& getenv,
                             const char* default_file = kDefaultConfigFile);

// The configuration from the file config_file_path() names and the variables, as described
// above. `secure` is what getauxval(AT_SECURE) says of a process: the file is then read only if
// it is owned by root and not writable by group or others. `default_file` lets tests stand in
// for /etc/accz/zlib.conf.
Config load_config(const ConfigGetenv& getenv, const ConfigReport& report, bool secure,
                   const char* default_file = kDefaultConfigFile);

// Log lines go to stderr, prefixed "accz libz.so.1: ", when level <= config().log_level.
void log_line(int level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace accz::zlib
