#include "fuzz_case.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace accz::fuzz {

size_t draw_size(Rng& rng) {
  const uint64_t bucket = rng.below(100);
  if (bucket < 10) return rng.below(16);
  if (bucket < 40) return rng.below(1024);
  if (bucket < 70) return rng.below(32 * 1024);
  if (bucket < 90) return rng.below(300 * 1024);
  return rng.below(2 * 1024 * 1024 + 1);
}

uInt draw_chunk(Rng& rng, size_t data_size) {
  const uint64_t bucket = rng.below(100);
  uInt n;
  if (bucket < 8)
    n = 1;
  else if (bucket < 25)
    n = static_cast<uInt>(rng.range(2, 64));
  else if (bucket < 55)
    n = static_cast<uInt>(rng.range(65, 8192));
  else if (bucket < 85)
    n = static_cast<uInt>(rng.range(8193, 256 * 1024));
  else
    n = static_cast<uInt>(data_size + 1 + rng.below(64));
  // Keep a case to some tens of thousands of calls: byte-sized buffers on small data only.
  const size_t floor = data_size / 20000;
  if (n < floor) n = static_cast<uInt>(floor + rng.below(floor + 1));
  return n;
}

namespace {

const char* const kWords[] = {"the ",    "of ",     "and ",      "compression ", "stream ",
                              "deflate", "inflate", "window\n",  "block ",       "zlib, ",
                              "a ",      "to ",     "in ",       "0123 ",        "Huffman ",
                              "is ",     "that ",   "for data ", "\t",           ". "};

void fill_kind(Rng& rng, int kind, Bytes& out, size_t from, size_t to) {
  switch (kind) {
    case 0:  // random
      for (size_t i = from; i < to; ++i) out[i] = static_cast<Bytef>(rng.next());
      break;
    case 1: {  // text-like
      size_t i = from;
      while (i < to) {
        const char* w = kWords[rng.below(sizeof kWords / sizeof kWords[0])];
        for (; *w != '\0' && i < to; ++w) out[i++] = static_cast<Bytef>(*w);
      }
      break;
    }
    case 2: {  // runs
      size_t i = from;
      while (i < to) {
        const Bytef b = static_cast<Bytef>(rng.below(4) == 0 ? rng.next() : 0);
        size_t n = 1 + rng.below(rng.percent(20) ? 5000 : 40);
        for (; n > 0 && i < to; --n) out[i++] = b;
      }
      break;
    }
    case 3:  // small alphabet
      for (size_t i = from; i < to; ++i) out[i] = static_cast<Bytef>('a' + rng.below(4));
      break;
    default: {  // LZ-like: literals and copies from up to 40 KiB back (beyond a 32 KiB window)
      size_t i = from;
      while (i < to) {
        if (i - from < 8 || rng.percent(30)) {
          out[i] = static_cast<Bytef>(rng.next());
          ++i;
          continue;
        }
        const size_t back = 1 + rng.below(std::min<size_t>(i - from, 40 * 1024));
        size_t len = 3 + rng.below(rng.percent(10) ? 1000 : 40);
        for (; len > 0 && i < to; --len, ++i) out[i] = out[i - back];
      }
      break;
    }
  }
}

}  // namespace

Bytes draw_data(Rng& rng, size_t size) {
  Bytes out(size);
  const int kind = rng.range(0, 5);
  if (kind < 5) {
    fill_kind(rng, kind, out, 0, size);
    return out;
  }
  size_t i = 0;  // mixed: pieces of every kind
  while (i < size) {
    const size_t n =
        std::min(size - i, static_cast<size_t>(1 + rng.below(rng.percent(50) ? 512 : 70000)));
    fill_kind(rng, rng.range(0, 4), out, i, i + n);
    i += n;
  }
  return out;
}

int fuzz_iterations(int default_iters) {
  if (const char* v = std::getenv("ACCZ_FUZZ_ITERS"); v != nullptr && *v != '\0')
    return std::atoi(v);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return std::max(1, default_iters / 4);
#else
  return default_iters;
#endif
}

uint64_t fuzz_base_seed() {
  if (const char* v = std::getenv("ACCZ_FUZZ_SEED"); v != nullptr && *v != '\0')
    return std::strtoull(v, nullptr, 0);
  return 20261122;
}

bool exact_mode() {
  const char* v = std::getenv("ACCZ_ZLIB_ENGINES");
  return v != nullptr && std::strcmp(v, "none") == 0;
}

bool size_promised(int level) {
  const char* check = std::getenv("ACCZ_ZLIB_SIZE_CHECK");
  if (exact_mode() || (check != nullptr && std::strcmp(check, "always") == 0)) return true;
  return level < 1 || level > 5;
}

void size_excess(const char* what, uint64_t seed, int level, size_t ours, size_t theirs) {
  std::printf(
      "size: %s at level %d, seed %llu: %zu bytes, stock zlib %zu (+%.2f%%); allowed "
      "without ACCZ_ZLIB_SIZE_CHECK=always\n",
      what, level, static_cast<unsigned long long>(seed), ours, theirs,
      100.0 * (static_cast<double>(ours) / static_cast<double>(theirs) - 1.0));
}

bool keep_going() { return std::getenv("ACCZ_FUZZ_KEEP_GOING") != nullptr; }

void OpLog::add(const char* format, ...) {
  char line[512];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(line, sizeof line, format, ap);
  va_end(ap);
  lines_.emplace_back(line);
  static const bool trace = std::getenv("ACCZ_FUZZ_TRACE") != nullptr;
  if (trace) std::fprintf(stderr, "%s\n", line);
}

std::string OpLog::str(size_t tail) const {
  const char* full = std::getenv("ACCZ_FUZZ_LOG");
  size_t from = 0;
  std::string s;
  if ((full == nullptr || std::strcmp(full, "full") != 0) && lines_.size() > tail) {
    from = lines_.size() - tail;
    s = "  ... " + std::to_string(from) + " earlier lines (ACCZ_FUZZ_LOG=full shows them)\n";
  }
  for (size_t i = from; i < lines_.size(); ++i) s += "  " + lines_[i] + "\n";
  return s;
}

Inflated inflate_whole(const ZlibApi& api, const Bytes& stream, int window_bits, size_t expect,
                       const Bytes& dictionary) {
  Inflated r;
  z_stream s{};
  r.rc = api.inflate_init(&s, window_bits);
  if (r.rc != Z_OK) return r;
  // Exactly sized copies: an over-read or over-write is an ASan report.
  Bytes in(stream);
  r.out.resize(expect + 1);
  s.next_in = in.data();
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = r.out.data();
  s.avail_out = static_cast<uInt>(r.out.size());
  if (window_bits < 0 && !dictionary.empty())
    api.inflateSetDictionary(&s, dictionary.data(), static_cast<uInt>(dictionary.size()));
  r.rc = api.inflate(&s, Z_NO_FLUSH);
  if (r.rc == Z_NEED_DICT) {
    r.rc = api.inflateSetDictionary(&s, dictionary.data(), static_cast<uInt>(dictionary.size()));
    if (r.rc == Z_OK) r.rc = api.inflate(&s, Z_NO_FLUSH);
  }
  r.out.resize(s.total_out);
  r.consumed = static_cast<uLong>(stream.size() - s.avail_in);
  r.adler = s.adler;
  api.inflateEnd(&s);
  return r;
}

std::string hex_prefix(const Bytes& b, size_t n) {
  std::string s;
  char h[4];
  for (size_t i = 0; i < b.size() && i < n; ++i) {
    std::snprintf(h, sizeof h, "%02x", b[i]);
    s += h;
  }
  if (b.size() > n) s += "...";
  return s;
}

}  // namespace accz::fuzz
