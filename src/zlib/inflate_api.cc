// zlib's inflate and inflateBack families. Streams the engine can serve are the drop-in's
// (inflate_stream.h); every call on a stream zlib owns passes straight through, and inflateBack
// (callback-driven, never the drop-in's) is always zlib's.
#include "zlib/zlib_api.h"

#include "zlib/host_alloc.h"
#include "zlib/inflate_stream.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"

using accz::zlib::inflate_stream;
using accz::zlib::InflateStream;
using accz::zlib::init_with_host_allocator;
using accz::zlib::real;

int inflateInit_(z_streamp strm, const char* version, int stream_size) {
  return accz::zlib::inflate_init(strm, MAX_WBITS, version, stream_size);
}

int inflateInit2_(z_streamp strm, int windowBits, const char* version, int stream_size) {
  return accz::zlib::inflate_init(strm, windowBits, version, stream_size);
}

int inflate(z_streamp strm, int flush) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_call(is, flush);
  return real().inflate(strm, flush);
}

int inflateEnd(z_streamp strm) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_end(is);
  if (strm != Z_NULL && strm->state != Z_NULL && accz::zlib::stats_on() &&
      (strm->total_in != 0 || strm->total_out != 0))
    accz::zlib::count(accz::zlib::Family::kInflate, accz::zlib::Engine::kZlib, strm->total_in,
                      strm->total_out);
  return real().inflateEnd(strm);
}

int inflateSetDictionary(z_streamp strm, const Bytef* dictionary, uInt dictLength) {
  if (InflateStream* is = inflate_stream(strm))
    return accz::zlib::inflate_set_dictionary(is, dictionary, dictLength);
  return real().inflateSetDictionary(strm, dictionary, dictLength);
}

int inflateGetDictionary(z_streamp strm, Bytef* dictionary, uInt* dictLength) {
  if (InflateStream* is = inflate_stream(strm))
    return accz::zlib::inflate_get_dictionary(is, dictionary, dictLength);
  return real().inflateGetDictionary(strm, dictionary, dictLength);
}

int inflateSync(z_streamp strm) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_sync(is);
  return real().inflateSync(strm);
}

int inflateSyncPoint(z_streamp strm) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_sync_point(is);
  return real().inflateSyncPoint(strm);
}

int inflateCopy(z_streamp dest, z_streamp source) {
  if (InflateStream* is = inflate_stream(source)) return accz::zlib::inflate_copy(dest, is);
  return real().inflateCopy(dest, source);
}

int inflateReset(z_streamp strm) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_reset(is, 0, 0);
  return real().inflateReset(strm);
}

int inflateReset2(z_streamp strm, int windowBits) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_reset(is, 2, windowBits);
  return real().inflateReset2(strm, windowBits);
}

int inflateResetKeep(z_streamp strm) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_reset(is, 1, 0);
  return real().inflateResetKeep(strm);
}

int inflatePrime(z_streamp strm, int bits, int value) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_prime(is, bits, value);
  return real().inflatePrime(strm, bits, value);
}

long inflateMark(z_streamp strm) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_mark(is);
  return real().inflateMark(strm);
}

int inflateGetHeader(z_streamp strm, gz_headerp head) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_get_header(is, head);
  return real().inflateGetHeader(strm, head);
}

int inflateUndermine(z_streamp strm, int subvert) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_undermine(is, subvert);
  return real().inflateUndermine(strm, subvert);
}

int inflateValidate(z_streamp strm, int check) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_validate(is, check);
  return real().inflateValidate(strm, check);
}

unsigned long inflateCodesUsed(z_streamp strm) {
  if (InflateStream* is = inflate_stream(strm)) return accz::zlib::inflate_codes_used(is);
  return real().inflateCodesUsed(strm);
}

int inflateBackInit_(z_streamp strm, int windowBits, unsigned char* window, const char* version,
                     int stream_size) {
  return init_with_host_allocator(strm, [&] {
    return real().inflateBackInit_(strm, windowBits, window, version, stream_size);
  });
}

int inflateBack(z_streamp strm, in_func in, void* in_desc, out_func out, void* out_desc) {
  return real().inflateBack(strm, in, in_desc, out, out_desc);
}

int inflateBackEnd(z_streamp strm) { return real().inflateBackEnd(strm); }
