// Two zlibs side by side for the differential fuzzer: the drop-in (this binary links it, so the
// plain names are the drop-in's) and stock zlib, loaded privately with dlmopen into a link-map
// namespace of its own so that its internal calls bind to itself and never to the drop-in.
//
// Both are reached through the same table of function pointers, so one driver runs the same
// call sequence on either. The tables are built once and are immutable: safe from any thread.
#pragma once

#include <zlib.h>

#include <string>

namespace accz::fuzz {

struct ZlibApi {
  std::string name;
  decltype(&::deflateInit2_) deflateInit2_;
  decltype(&::deflate) deflate;
  decltype(&::deflateEnd) deflateEnd;
  decltype(&::deflateSetDictionary) deflateSetDictionary;
  decltype(&::deflateGetDictionary) deflateGetDictionary;
  decltype(&::deflateParams) deflateParams;
  decltype(&::deflateReset) deflateReset;
  decltype(&::deflateCopy) deflateCopy;
  decltype(&::deflatePrime) deflatePrime;
  decltype(&::deflateBound) deflateBound;
  decltype(&::deflateSetHeader) deflateSetHeader;
  decltype(&::deflatePending) deflatePending;
  decltype(&::inflateInit2_) inflateInit2_;
  decltype(&::inflate) inflate;
  decltype(&::inflateEnd) inflateEnd;
  decltype(&::inflateSetDictionary) inflateSetDictionary;
  decltype(&::inflateReset) inflateReset;
  decltype(&::inflateReset2) inflateReset2;
  decltype(&::inflateCopy) inflateCopy;
  decltype(&::inflateGetHeader) inflateGetHeader;
  decltype(&::inflateSync) inflateSync;
  decltype(&::inflateGetDictionary) inflateGetDictionary;
  decltype(&::inflateMark) inflateMark;
  decltype(&::inflateCodesUsed) inflateCodesUsed;
  decltype(&::compress2) compress2;
  decltype(&::compressBound) compressBound;
  decltype(&::uncompress2) uncompress2;
  decltype(&::gzopen) gzopen;
  decltype(&::gzopen64) gzopen64;
  decltype(&::gzdopen) gzdopen;
  decltype(&::gzbuffer) gzbuffer;
  decltype(&::gzsetparams) gzsetparams;
  decltype(&::gzwrite) gzwrite;
  decltype(&::gzfwrite) gzfwrite;
  decltype(&::gzread) gzread;
  decltype(&::gzfread) gzfread;
  decltype(&::gzprintf) gzprintf;
  decltype(&::gzputs) gzputs;
  decltype(&::gzputc) gzputc;
  decltype(&::gzgets) gzgets;
  decltype(&::gzgetc) gzgetc;
  decltype(&::gzungetc) gzungetc;
  decltype(&::gzflush) gzflush;
  decltype(&::gzseek) gzseek;
  decltype(&::gzrewind) gzrewind;
  decltype(&::gztell) gztell;
  decltype(&::gzeof) gzeof;
  decltype(&::gzdirect) gzdirect;
  decltype(&::gzclose) gzclose;
  decltype(&::gzerror) gzerror;
  decltype(&::adler32_z) adler32_z;
  decltype(&::crc32_z) crc32_z;

  // deflateInit2 / inflateInit2 as the zlib.h macros expand them.
  int deflate_init(z_streamp s, int level, int window_bits, int mem_level, int strategy) const {
    return deflateInit2_(s, level, Z_DEFLATED, window_bits, mem_level, strategy, ZLIB_VERSION,
                         static_cast<int>(sizeof(z_stream)));
  }
  int inflate_init(z_streamp s, int window_bits) const {
    return inflateInit2_(s, window_bits, ZLIB_VERSION, static_cast<int>(sizeof(z_stream)));
  }
};

// The drop-in, as the program sees it.
const ZlibApi& dropin();
// Stock zlib (ACCZ_REAL_ZLIB_PATH), privately loaded; aborts if it cannot be.
const ZlibApi& stock();

// Printable names for return codes and flush modes, for the operation logs.
const char* rc_name(int rc);
const char* flush_name(int flush);

}  // namespace accz::fuzz
