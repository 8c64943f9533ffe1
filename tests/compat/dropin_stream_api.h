// Shared by the drop-in stream tests: the zlib stream API as a table, filled once with the
// drop-in's functions (this binary links it, so the plain names are the drop-in's) and once
// with a privately loaded stock zlib (dlmopen, its own namespace), so one script of calls can
// run on both and their results be compared; plus test data and stock-zlib helpers.
#pragma once

#include <dlfcn.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace dropin_stream {

using Bytes = std::vector<Bytef>;

// clang-format off
#define DROPIN_STREAM_FNS(X) \
  X(deflateInit2_) X(deflate) X(deflateEnd) X(deflateReset) X(deflateParams) \
  X(deflateSetDictionary) X(deflateGetDictionary) X(deflateCopy) X(deflateTune) \
  X(deflateBound) X(deflatePending) X(deflatePrime) X(deflateSetHeader) X(inflateInit2_) \
  X(inflate) X(inflateEnd) X(inflateReset) X(inflateReset2) X(inflateSetDictionary) \
  X(inflateGetDictionary) X(inflateSync) X(inflateCopy) X(inflatePrime) X(inflateMark) \
  X(inflateGetHeader) X(inflateSyncPoint) X(inflateUndermine) X(inflateValidate) \
  X(inflateCodesUsed) X(inflateResetKeep) X(crc32) X(adler32)
// clang-format on

struct Api {
#define X(name) decltype(&::name) name;
  DROPIN_STREAM_FNS(X)
#undef X
  const char* label;

  int deflate_init(z_streamp s, int level, int wbits = 15, int mem = 8,
                   int strategy = Z_DEFAULT_STRATEGY) const {
    return deflateInit2_(s, level, Z_DEFLATED, wbits, mem, strategy, ZLIB_VERSION,
                         static_cast<int>(sizeof(z_stream)));
  }
  int inflate_init(z_streamp s, int wbits = 15) const {
    return inflateInit2_(s, wbits, ZLIB_VERSION, static_cast<int>(sizeof(z_stream)));
  }

  static const Api& dropin() {
    static const Api a = [] {
      Api x{};
#define X(name) x.name = &::name;
      DROPIN_STREAM_FNS(X)
#undef X
      x.label = "drop-in";
      return x;
    }();
    return a;
  }

  static const Api& stock() {
    static const Api a = [] {
      void* h = dlmopen(LM_ID_NEWLM, ACCZ_REAL_ZLIB_PATH, RTLD_NOW | RTLD_LOCAL);
      if (h == nullptr) std::abort();
      Api x{};
#define X(name) resolve(h, #name, x.name);
      DROPIN_STREAM_FNS(X)
#undef X
      x.label = "stock";
      return x;
    }();
    return a;
  }

 private:
  template <typename Fn>
  static void resolve(void* h, const char* name, Fn& fn) {
    void* sym = dlsym(h, name);
    if (sym == nullptr) std::abort();
    std::memcpy(&fn, &sym, sizeof fn);
  }
};

// Data kinds: 0 text-like, 1 random, 2 short runs, 3 alternating random/zero 4 KiB halves,
// 4 binary with control bytes, 5 all zero.
inline Bytes generate(size_t n, int kind, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  static const char kWords[] = "the quick brown fox jumps over a lazy dog, 0123456789\n";
  for (size_t i = 0; i < n; ++i) {
    switch (kind) {
      case 0:
        out[i] = static_cast<Bytef>(kWords[rng() % (sizeof kWords - 1)]);
        break;
      case 1:
        out[i] = static_cast<Bytef>(rng());
        break;
      case 2:
        out[i] = static_cast<Bytef>((i / (1 + rng() % 64)) & 3);
        break;
      case 3:
        out[i] = (i / 4096) % 2 == 0 ? static_cast<Bytef>(rng()) : 0;
        break;
      case 4:
        out[i] = static_cast<Bytef>(rng() % 7 == 0 ? rng() % 4 : 'a' + rng() % 4);
        break;
      default:
        out[i] = 0;
        break;
    }
  }
  return out;
}

// Stock zlib's inflate of a whole stream; false on any error or trailing garbage.
inline bool stock_inflate(const Bytes& in, int wbits, Bytes& out) {
  const Api& z = Api::stock();
  z_stream s{};
  if (z.inflate_init(&s, wbits) != Z_OK) return false;
  out.clear();
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = static_cast<uInt>(in.size());
  Bytef buf[65536];
  int rc = Z_OK;
  do {
    s.next_out = buf;
    s.avail_out = sizeof buf;
    rc = z.inflate(&s, Z_NO_FLUSH);
    out.insert(out.end(), buf, buf + (sizeof buf - s.avail_out));
  } while (rc == Z_OK);
  const bool ok = rc == Z_STREAM_END && s.avail_in == 0;
  z.inflateEnd(&s);
  return ok;
}

// A whole stream made by api in one deflate(Z_FINISH) call.
inline Bytes oneshot_deflate(const Api& api, const Bytes& in, int level, int wbits = 15,
                             int mem = 8, int strategy = Z_DEFAULT_STRATEGY) {
  z_stream s{};
  if (api.deflate_init(&s, level, wbits, mem, strategy) != Z_OK) std::abort();
  Bytes out(api.deflateBound(&s, in.size()) + 64);
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  if (api.deflate(&s, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(s.total_out);
  api.deflateEnd(&s);
  return out;
}

}  // namespace dropin_stream
