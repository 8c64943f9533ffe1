// The drop-in's configuration, from the environment, read once per process.
//
//   ACCZ_ZLIB_ENGINES  comma-separated engines the drop-in may use: "isal" (crc32, adler32),
//                      "libdeflate" (compress*, uncompress*), "deflate" (deflate() streams
//                      on libdeflate, whole-buffer), "inflate" (inflate() streams on ISA-L);
//                      unset or "all": every engine; "isal,libdeflate": the checksums and
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
//                      K, M or G suffix (default 1M). Smaller inputs are one libdeflate call.
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
// The defaults (every engine, no statistics, log level 1) are the right ones for users: the
// engines are only used where they keep zlib's contract (oneshot.h, deflate_stream.h,
// inflate_stream.h say where), and everything else is the real zlib's. Values are read with
// secure_getenv, so a setuid program ignores them all.
//
// Thread safety: config() may be called from any thread; the first call parses the
// environment and every call returns the same immutable object.
#pragma once

#include <cstddef>
#include <string>

namespace accz::zlib {

struct Config {
  bool isal = true;        // crc32/adler32 on ISA-L
  bool libdeflate = true;  // compress/uncompress on libdeflate
  // On by default since the git clone failure (src/zlib/README.md) was found and fixed.
  bool deflate_stream = true;  // deflate() streams on libdeflate (whole-buffer)
  bool inflate_stream = true;  // inflate() streams on ISA-L
  size_t stream_cap = size_t{32} << 20;
  unsigned threads = 1;                   // ACCZ_ZLIB_THREADS, resolved (>= 1)
  size_t parallel_min = size_t{1} << 20;  // ACCZ_ZLIB_PARALLEL_MIN
  bool size_check_always = false;         // ACCZ_ZLIB_SIZE_CHECK=always
  bool stats = false;
  std::string stats_path;  // empty: stderr
  int log_level = 1;
};

const Config& config();

// Log lines go to stderr, prefixed "accz libz.so.1: ", when level <= config().log_level.
void log_line(int level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace accz::zlib
