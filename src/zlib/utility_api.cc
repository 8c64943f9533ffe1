// zlib's version queries, error strings and one-shot compress/uncompress. Phase 1 passes
// through, except zlibVersion (see below).
#include "zlib/zlib_api.h"

#include "zlib/real_zlib.h"

using accz::zlib::real;

// The version of the ABI this library implements, not the private copy's: programs parse it
// (CPython reports it as zlib.ZLIB_RUNTIME_VERSION) and compare it with the headers they were
// built against, and the *Init_ functions check it the same way.
const char* zlibVersion() { return ZLIB_VERSION; }

uLong zlibCompileFlags() { return real().zlibCompileFlags(); }

const char* zError(int err) { return real().zError(err); }

int compress(Bytef* dest, uLongf* destLen, const Bytef* source, uLong sourceLen) {
  return real().compress(dest, destLen, source, sourceLen);
}

int compress2(Bytef* dest, uLongf* destLen, const Bytef* source, uLong sourceLen, int level) {
  return real().compress2(dest, destLen, source, sourceLen, level);
}

uLong compressBound(uLong sourceLen) { return real().compressBound(sourceLen); }

int uncompress(Bytef* dest, uLongf* destLen, const Bytef* source, uLong sourceLen) {
  return real().uncompress(dest, destLen, source, sourceLen);
}

int uncompress2(Bytef* dest, uLongf* destLen, const Bytef* source, uLong* sourceLen) {
  return real().uncompress2(dest, destLen, source, sourceLen);
}
