#include "fuzz_zlib.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace accz::fuzz {
namespace {

// One list of names fills both tables, so they cannot disagree on what they hold.
// clang-format reflows this list differently on every run: one name a line, by hand.
// clang-format off
#define ACCZ_FUZZ_FUNCTIONS(X) \
  X(deflateInit2_) \
  X(deflate) \
  X(deflateEnd) \
  X(deflateSetDictionary) \
  X(deflateGetDictionary) \
  X(deflateParams) \
  X(deflateReset) \
  X(deflateCopy) \
  X(deflatePrime) \
  X(deflateBound) \
  X(deflateSetHeader) \
  X(deflatePending) \
  X(inflateInit2_) \
  X(inflate) \
  X(inflateEnd) \
  X(inflateSetDictionary) \
  X(inflateReset) \
  X(inflateReset2) \
  X(inflateCopy) \
  X(inflateGetHeader) \
  X(inflateSync) \
  X(inflateGetDictionary) \
  X(inflateMark) \
  X(inflateCodesUsed) \
  X(compress2) \
  X(compressBound) \
  X(uncompress2) \
  X(gzopen) \
  X(gzopen64) \
  X(gzdopen) \
  X(gzbuffer) \
  X(gzsetparams) \
  X(gzwrite) \
  X(gzfwrite) \
  X(gzread) \
  X(gzfread) \
  X(gzprintf) \
  X(gzputs) \
  X(gzputc) \
  X(gzgets) \
  X(gzgetc) \
  X(gzungetc) \
  X(gzflush) \
  X(gzseek) \
  X(gzrewind) \
  X(gztell) \
  X(gzeof) \
  X(gzdirect) \
  X(gzclose) \
  X(gzerror) \
  X(adler32_z) \
  X(crc32_z)
// clang-format on

ZlibApi make_dropin() {
  ZlibApi api;
  api.name = "drop-in";
#define ACCZ_FUZZ_TAKE(fn) api.fn = &::fn;
  ACCZ_FUZZ_FUNCTIONS(ACCZ_FUZZ_TAKE)
#undef ACCZ_FUZZ_TAKE
  return api;
}

ZlibApi make_stock() {
  void* h = dlmopen(LM_ID_NEWLM, ACCZ_REAL_ZLIB_PATH, RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    std::fprintf(stderr, "fuzz: cannot load stock zlib %s: %s\n", ACCZ_REAL_ZLIB_PATH, dlerror());
    std::abort();
  }
  ZlibApi api;
  api.name = "stock";
#define ACCZ_FUZZ_RESOLVE(fn)                                   \
  {                                                             \
    void* sym = dlsym(h, #fn);                                  \
    if (sym == nullptr) {                                       \
      std::fprintf(stderr, "fuzz: stock zlib lacks %s\n", #fn); \
      std::abort();                                             \
    }                                                           \
    std::memcpy(&api.fn, &sym, sizeof api.fn);                  \
  }
  ACCZ_FUZZ_FUNCTIONS(ACCZ_FUZZ_RESOLVE)
#undef ACCZ_FUZZ_RESOLVE
  return api;
}

}  // namespace

const ZlibApi& dropin() {
  static const ZlibApi api = make_dropin();
  return api;
}

const ZlibApi& stock() {
  static const ZlibApi api = make_stock();
  return api;
}

const char* rc_name(int rc) {
  switch (rc) {
    case Z_OK:
      return "Z_OK";
    case Z_STREAM_END:
      return "Z_STREAM_END";
    case Z_NEED_DICT:
      return "Z_NEED_DICT";
    case Z_ERRNO:
      return "Z_ERRNO";
    case Z_STREAM_ERROR:
      return "Z_STREAM_ERROR";
    case Z_DATA_ERROR:
      return "Z_DATA_ERROR";
    case Z_MEM_ERROR:
      return "Z_MEM_ERROR";
    case Z_BUF_ERROR:
      return "Z_BUF_ERROR";
    case Z_VERSION_ERROR:
      return "Z_VERSION_ERROR";
    default:
      return "rc?";
  }
}

const char* flush_name(int flush) {
  switch (flush) {
    case Z_NO_FLUSH:
      return "Z_NO_FLUSH";
    case Z_PARTIAL_FLUSH:
      return "Z_PARTIAL_FLUSH";
    case Z_SYNC_FLUSH:
      return "Z_SYNC_FLUSH";
    case Z_FULL_FLUSH:
      return "Z_FULL_FLUSH";
    case Z_FINISH:
      return "Z_FINISH";
    case Z_BLOCK:
      return "Z_BLOCK";
    case Z_TREES:
      return "Z_TREES";
    default:
      return "flush?";
  }
}

}  // namespace accz::fuzz
