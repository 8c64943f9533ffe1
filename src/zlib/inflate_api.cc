// zlib's inflate and inflateBack families. Every stream is the real zlib's (streams are not
// routed to engines yet); each call passes through, inflate() counted for the statistics.
#include "zlib/zlib_api.h"

#include "zlib/host_alloc.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"

using accz::zlib::init_with_host_allocator;
using accz::zlib::real;

int inflateInit_(z_streamp strm, const char* version, int stream_size) {
  return init_with_host_allocator(strm,
                                  [&] { return real().inflateInit_(strm, version, stream_size); });
}

int inflateInit2_(z_streamp strm, int windowBits, const char* version, int stream_size) {
  return init_with_host_allocator(
      strm, [&] { return real().inflateInit2_(strm, windowBits, version, stream_size); });
}

int inflate(z_streamp strm, int flush) {
  if (strm == Z_NULL || !accz::zlib::stats_on()) return real().inflate(strm, flush);
  const uInt avail_in = strm->avail_in, avail_out = strm->avail_out;
  const int rc = real().inflate(strm, flush);
  accz::zlib::count(accz::zlib::Family::kInflate, accz::zlib::Engine::kZlib,
                    avail_in - strm->avail_in, avail_out - strm->avail_out);
  return rc;
}

int inflateEnd(z_streamp strm) { return real().inflateEnd(strm); }

int inflateSetDictionary(z_streamp strm, const Bytef* dictionary, uInt dictLength) {
  return real().inflateSetDictionary(strm, dictionary, dictLength);
}

int inflateGetDictionary(z_streamp strm, Bytef* dictionary, uInt* dictLength) {
  return real().inflateGetDictionary(strm, dictionary, dictLength);
}

int inflateSync(z_streamp strm) { return real().inflateSync(strm); }

int inflateSyncPoint(z_streamp strm) { return real().inflateSyncPoint(strm); }

int inflateCopy(z_streamp dest, z_streamp source) { return real().inflateCopy(dest, source); }

int inflateReset(z_streamp strm) { return real().inflateReset(strm); }

int inflateReset2(z_streamp strm, int windowBits) { return real().inflateReset2(strm, windowBits); }

int inflateResetKeep(z_streamp strm) { return real().inflateResetKeep(strm); }

int inflatePrime(z_streamp strm, int bits, int value) {
  return real().inflatePrime(strm, bits, value);
}

long inflateMark(z_streamp strm) { return real().inflateMark(strm); }

int inflateGetHeader(z_streamp strm, gz_headerp head) {
  return real().inflateGetHeader(strm, head);
}

int inflateUndermine(z_streamp strm, int subvert) { return real().inflateUndermine(strm, subvert); }

int inflateValidate(z_streamp strm, int check) { return real().inflateValidate(strm, check); }

unsigned long inflateCodesUsed(z_streamp strm) { return real().inflateCodesUsed(strm); }

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
