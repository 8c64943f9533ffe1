// engines/zlib/zlib_api.h — the zlib entry points the zlib engine uses, as a table.
//
// Why a table: the zlib drop-in (a libz.so.1 replacement) exports zlib's own symbols, so a
// direct call from libaccz to deflate() would land back in the drop-in. The drop-in instead
// loads the real zlib privately and points the engine at it with set_zlib_api(). Nothing in
// libaccz calls zlib's exported functions except through this table.
//
// Thread-safety: zlib_api() and set_zlib_api() may be called from any thread. Objects
// created before set_zlib_api() keep the table they started with (a stream must end in the
// zlib that began it); objects created after it use the new one.
#pragma once

#include <zlib.h>

namespace accz {

struct ZlibApi {
  const char* (*zlibVersion)(void);
  int (*deflateInit2_)(z_streamp strm, int level, int method, int windowBits, int memLevel,
                       int strategy, const char* version, int stream_size);
  int (*deflate)(z_streamp strm, int flush);
  int (*deflateEnd)(z_streamp strm);
  int (*deflateReset)(z_streamp strm);
  int (*deflateSetDictionary)(z_streamp strm, const Bytef* dictionary, uInt dictLength);
  int (*deflateParams)(z_streamp strm, int level, int strategy);
  uLong (*deflateBound)(z_streamp strm, uLong sourceLen);
  int (*deflatePrime)(z_streamp strm, int bits, int value);
  int (*inflateInit2_)(z_streamp strm, int windowBits, const char* version, int stream_size);
  int (*inflate)(z_streamp strm, int flush);
  int (*inflateEnd)(z_streamp strm);
  int (*inflateReset)(z_streamp strm);
  int (*inflateSetDictionary)(z_streamp strm, const Bytef* dictionary, uInt dictLength);
};

// The table for the zlib libaccz was linked against.
const ZlibApi& system_zlib_api();

// A copy of the table new zlib Compressor/Decompressor objects use (system_zlib_api() by
// default).
ZlibApi zlib_api();

// Point later zlib engine objects at `api`. Every member must be non-null. The table is
// copied; `api` need not outlive the call.
void set_zlib_api(const ZlibApi& api);

}  // namespace accz
