// engines/testing/test_data.h — generated inputs and zlib reference helpers for the engine
// and framing unit tests. Test-only: the helpers may call zlib directly, as the reference.
//
// Deterministic (fixed seeds); safe to use from any thread.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace accz::testing {

using Bytes = std::vector<uint8_t>;

// Incompressible bytes.
inline Bytes random_bytes(size_t n, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Text-like bytes: words from a small vocabulary, with repeats at many distances, so every
// match length and distance code of deflate gets exercised.
inline Bytes text_bytes(size_t n, uint32_t seed = 2) {
  static const char* const kWords[] = {
      "the ",    "quick ",   "brown ",       "fox ",      "jumps ",       "over ",
      "lazy ",   "dog ",     "compression ", "offload ",  "accelerator ", "stream ",
      "block ",  "zlib ",    "deflate ",     "inflate\n", "gzip, ",       "42 ",
      "window ", "huffman ", "literal ",     "distance ", "length ",      "0xdeadbeef "};
  std::mt19937 rng(seed);
  Bytes b;
  b.reserve(n);
  while (b.size() < n) {
    const char* w = kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
    for (const char* p = w; *p && b.size() < n; ++p) b.push_back(static_cast<uint8_t>(*p));
  }
  return b;
}

// Half text, half random, in 4 KiB stretches: compressible and not, in one buffer.
inline Bytes mixed_bytes(size_t n, uint32_t seed = 3) {
  Bytes text = text_bytes(n, seed), noise = random_bytes(n, seed + 1);
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = ((i / 4096) % 2) ? noise[i] : text[i];
  return b;
}

// Streaming zlib inflate with the given windowBits (-15 raw, 15 zlib, 31 gzip), Z_SYNC_FLUSH
// so that a stream cut after a flush decodes as far as it goes. Returns false on a data error.
// *ended tells whether the stream end was reached.
inline bool zlib_inflate(const uint8_t* in, size_t in_len, Bytes* out, int window_bits,
                         bool* ended = nullptr, const Bytes* dict = nullptr) {
  z_stream s{};
  if (inflateInit2(&s, window_bits) != Z_OK) return false;
  if (dict && window_bits < 0)
    inflateSetDictionary(&s, dict->data(), static_cast<uInt>(dict->size()));
  s.next_in = const_cast<Bytef*>(in);
  s.avail_in = static_cast<uInt>(in_len);
  uint8_t buf[16384];
  int ret = Z_OK;
  out->clear();
  do {
    s.next_out = buf;
    s.avail_out = sizeof(buf);
    ret = inflate(&s, Z_SYNC_FLUSH);
    out->insert(out->end(), buf, buf + (sizeof(buf) - s.avail_out));
  } while (ret == Z_OK && (s.avail_in > 0 || s.avail_out == 0));
  inflateEnd(&s);
  if (ended) *ended = ret == Z_STREAM_END;
  return ret == Z_OK || ret == Z_STREAM_END || ret == Z_BUF_ERROR;
}

inline bool zlib_inflate(const Bytes& in, Bytes* out, int window_bits, bool* ended = nullptr) {
  return zlib_inflate(in.data(), in.size(), out, window_bits, ended);
}

// One-shot zlib deflate with the given windowBits.
inline Bytes zlib_deflate(const Bytes& in, int level, int window_bits) {
  z_stream s{};
  deflateInit2(&s, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&s, in.size()) + 64);
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

}  // namespace accz::testing
