// engines/zlib/zlib_codec.h — factories for zlib compressor and decompressor objects bound
// to one ZlibApi table.
//
// Each object owns a z_stream (about 270 KiB for deflate at the default memLevel, 7 KiB plus
// a 32 KiB window for inflate), initialised once; one thread at a time.
#pragma once

#include <memory>

#include "accz/engine.h"
#include "engines/zlib/zlib_api.h"

namespace accz {

// nullptr if zlib refuses the parameters or is out of memory. REQUIRES: 0 <= level <= 9.
std::unique_ptr<Compressor> make_zlib_compressor(const ZlibApi& api, int level);
std::unique_ptr<Decompressor> make_zlib_decompressor(const ZlibApi& api);

}  // namespace accz
