// zlib's version queries, error strings and one-shot compress/uncompress. The one-shot calls
// run on libdeflate where that keeps zlib's contract (oneshot.h) and on the real zlib
// otherwise; zlibVersion is our own (see below).
#include "zlib/zlib_api.h"

#include "zlib/oneshot.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"

using accz::zlib::count;
using accz::zlib::Engine;
using accz::zlib::Family;
using accz::zlib::real;

// The version of the ABI this library implements, not the private copy's: programs parse it
// (CPython reports it as zlib.ZLIB_RUNTIME_VERSION) and compare it with the headers they were
// built against, and the *Init_ functions check it the same way.
const char* zlibVersion() { return ZLIB_VERSION; }

uLong zlibCompileFlags() { return real().zlibCompileFlags(); }

const char* zError(int err) { return real().zError(err); }

int compress2(Bytef* dest, uLongf* destLen, const Bytef* source, uLong sourceLen, int level) {
  if (auto rc = accz::zlib::engine_compress2(dest, destLen, source, sourceLen, level)) return *rc;
  const int rc = real().compress2(dest, destLen, source, sourceLen, level);
  count(Family::kCompress, Engine::kZlib, sourceLen, rc == Z_OK ? *destLen : 0);
  return rc;
}

int compress(Bytef* dest, uLongf* destLen, const Bytef* source, uLong sourceLen) {
  return compress2(dest, destLen, source, sourceLen, Z_DEFAULT_COMPRESSION);
}

uLong compressBound(uLong sourceLen) { return real().compressBound(sourceLen); }

int uncompress2(Bytef* dest, uLongf* destLen, const Bytef* source, uLong* sourceLen) {
  if (auto rc = accz::zlib::engine_uncompress2(dest, destLen, source, sourceLen)) return *rc;
  const int rc = real().uncompress2(dest, destLen, source, sourceLen);
  count(Family::kUncompress, Engine::kZlib, *sourceLen, *destLen);
  return rc;
}

int uncompress(Bytef* dest, uLongf* destLen, const Bytef* source, uLong sourceLen) {
  return uncompress2(dest, destLen, source, &sourceLen);
}
