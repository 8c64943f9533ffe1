// zlib's deflate family. Streams an engine can serve are the drop-in's (deflate_stream.h);
// every call on a stream zlib owns passes straight through to the real zlib.
#include "zlib/zlib_api.h"

#include "zlib/deflate_stream.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"

using accz::zlib::deflate_stream;
using accz::zlib::DeflateStream;
using accz::zlib::real;

// zlib's DEF_MEM_LEVEL (zutil.h, not installed): what deflateInit_ passes to deflateInit2_.
constexpr int kDefaultMemLevel = 8;

int deflateInit_(z_streamp strm, int level, const char* version, int stream_size) {
  return accz::zlib::deflate_init(strm, level, Z_DEFLATED, MAX_WBITS, kDefaultMemLevel,
                                  Z_DEFAULT_STRATEGY, version, stream_size);
}

int deflateInit2_(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy,
                  const char* version, int stream_size) {
  return accz::zlib::deflate_init(strm, level, method, windowBits, memLevel, strategy, version,
                                  stream_size);
}

int deflate(z_streamp strm, int flush) {
  if (DeflateStream* ds = deflate_stream(strm)) return accz::zlib::deflate_call(ds, flush);
  return real().deflate(strm, flush);
}

int deflateEnd(z_streamp strm) {
  if (DeflateStream* ds = deflate_stream(strm)) return accz::zlib::deflate_end(ds);
  if (strm != Z_NULL && strm->state != Z_NULL && accz::zlib::stats_on())
    accz::zlib::count(accz::zlib::Family::kDeflate, accz::zlib::Engine::kZlib, strm->total_in,
                      strm->total_out);
  return real().deflateEnd(strm);
}

int deflateSetDictionary(z_streamp strm, const Bytef* dictionary, uInt dictLength) {
  if (DeflateStream* ds = deflate_stream(strm))
    return accz::zlib::deflate_set_dictionary(ds, dictionary, dictLength);
  return real().deflateSetDictionary(strm, dictionary, dictLength);
}

int deflateGetDictionary(z_streamp strm, Bytef* dictionary, uInt* dictLength) {
  if (DeflateStream* ds = deflate_stream(strm))
    return accz::zlib::deflate_get_dictionary(ds, dictionary, dictLength);
  return real().deflateGetDictionary(strm, dictionary, dictLength);
}

int deflateCopy(z_streamp dest, z_streamp source) {
  if (DeflateStream* ds = deflate_stream(source)) return accz::zlib::deflate_copy(dest, ds);
  return real().deflateCopy(dest, source);
}

int deflateReset(z_streamp strm) {
  if (DeflateStream* ds = deflate_stream(strm)) return accz::zlib::deflate_reset(ds, false);
  return real().deflateReset(strm);
}

int deflateResetKeep(z_streamp strm) {
  if (DeflateStream* ds = deflate_stream(strm)) return accz::zlib::deflate_reset(ds, true);
  return real().deflateResetKeep(strm);
}

int deflateParams(z_streamp strm, int level, int strategy) {
  if (DeflateStream* ds = deflate_stream(strm))
    return accz::zlib::deflate_params(ds, level, strategy);
  return real().deflateParams(strm, level, strategy);
}

int deflateTune(z_streamp strm, int good_length, int max_lazy, int nice_length, int max_chain) {
  if (DeflateStream* ds = deflate_stream(strm))
    return accz::zlib::deflate_tune(ds, good_length, max_lazy, nice_length, max_chain);
  return real().deflateTune(strm, good_length, max_lazy, nice_length, max_chain);
}

uLong deflateBound(z_streamp strm, uLong sourceLen) {
  if (DeflateStream* ds = deflate_stream(strm)) return accz::zlib::deflate_bound(ds, sourceLen);
  return real().deflateBound(strm, sourceLen);
}

int deflatePending(z_streamp strm, unsigned* pending, int* bits) {
  if (DeflateStream* ds = deflate_stream(strm))
    return accz::zlib::deflate_pending(ds, pending, bits);
  return real().deflatePending(strm, pending, bits);
}

int deflatePrime(z_streamp strm, int bits, int value) {
  if (DeflateStream* ds = deflate_stream(strm)) return accz::zlib::deflate_prime(ds, bits, value);
  return real().deflatePrime(strm, bits, value);
}

int deflateSetHeader(z_streamp strm, gz_headerp head) {
  if (DeflateStream* ds = deflate_stream(strm)) return accz::zlib::deflate_set_header(ds, head);
  return real().deflateSetHeader(strm, head);
}
