// zlib's deflate family. Every stream is the real zlib's (streams are not routed to engines
// yet); each call passes through, deflate() counted for the statistics.
#include "zlib/zlib_api.h"

#include "zlib/host_alloc.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"

using accz::zlib::init_with_host_allocator;
using accz::zlib::real;

int deflateInit_(z_streamp strm, int level, const char* version, int stream_size) {
  return init_with_host_allocator(
      strm, [&] { return real().deflateInit_(strm, level, version, stream_size); });
}

int deflateInit2_(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy,
                  const char* version, int stream_size) {
  return init_with_host_allocator(strm, [&] {
    return real().deflateInit2_(strm, level, method, windowBits, memLevel, strategy, version,
                                stream_size);
  });
}

int deflate(z_streamp strm, int flush) {
  if (strm == Z_NULL || !accz::zlib::stats_on()) return real().deflate(strm, flush);
  const uInt avail_in = strm->avail_in, avail_out = strm->avail_out;
  const int rc = real().deflate(strm, flush);
  accz::zlib::count(accz::zlib::Family::kDeflate, accz::zlib::Engine::kZlib,
                    avail_in - strm->avail_in, avail_out - strm->avail_out);
  return rc;
}

int deflateEnd(z_streamp strm) { return real().deflateEnd(strm); }

int deflateSetDictionary(z_streamp strm, const Bytef* dictionary, uInt dictLength) {
  return real().deflateSetDictionary(strm, dictionary, dictLength);
}

int deflateGetDictionary(z_streamp strm, Bytef* dictionary, uInt* dictLength) {
  return real().deflateGetDictionary(strm, dictionary, dictLength);
}

int deflateCopy(z_streamp dest, z_streamp source) { return real().deflateCopy(dest, source); }

int deflateReset(z_streamp strm) { return real().deflateReset(strm); }

int deflateResetKeep(z_streamp strm) { return real().deflateResetKeep(strm); }

int deflateParams(z_streamp strm, int level, int strategy) {
  return real().deflateParams(strm, level, strategy);
}

int deflateTune(z_streamp strm, int good_length, int max_lazy, int nice_length, int max_chain) {
  return real().deflateTune(strm, good_length, max_lazy, nice_length, max_chain);
}

uLong deflateBound(z_streamp strm, uLong sourceLen) { return real().deflateBound(strm, sourceLen); }

int deflatePending(z_streamp strm, unsigned* pending, int* bits) {
  return real().deflatePending(strm, pending, bits);
}

int deflatePrime(z_streamp strm, int bits, int value) {
  return real().deflatePrime(strm, bits, value);
}

int deflateSetHeader(z_streamp strm, gz_headerp head) {
  return real().deflateSetHeader(strm, head);
}
