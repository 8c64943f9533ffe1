// inflate() streams on ISA-L: the drop-in's state for an inflate stream the engine serves, and
// every inflate* entry point's behaviour on it.
//
// What is served: windowBits 15, 0 (window from the zlib header), -15 (raw), 31 (gzip) and 47
// (either), with ACCZ_ZLIB_ENGINES allowing "inflate". Other windowBits are zlib's from
// inflateInit on: ISA-L does not check distances against a window below 32 KiB.
//
// The wrapper is parsed here byte by byte with zlib's own rules and messages (zlib/gzip
// header, FDICT -> Z_NEED_DICT with the dictionary id in adler, gzip FLG/extra/name/comment/
// header CRC, inflateGetHeader filled as zlib fills it), the deflate body is decoded by
// isal_inflate in raw mode, and the trailer (Adler-32 / CRC-32 and ISIZE of the output) is
// checked here ("incorrect data check", "incorrect length check"). One call decodes as much
// as input and output allow, as zlib's does; next_/avail_/total_in/total_out, adler (the
// running check of the output), Z_BUF_ERROR when no progress was possible (and for Z_FINISH
// before the end, as zlib), Z_STREAM_END with next_in just past the member's trailer (a gzip
// file's next member is left to the caller, as zlib does), Z_DATA_ERROR with a zlib message.
//
// Every stream also owns a real zlib stream made at inflateInit with the same windowBits.
// Requests the engine path cannot serve -- Z_BLOCK/Z_TREES flushes, inflatePrime before the
// body, inflateMark, a zlib header announcing a smaller window with windowBits 0 -- and bad
// data ISA-L meets before any output (zlib then gives the verdict) move the stream to it while
// no output was produced: the header bytes consumed so far are replayed
// into it, and every later call is forwarded. Mid-stream, such requests are answered within
// zlib's contract (inflate_stream.cc says how for each); README.md lists the differences.
//
// Thread safety: one stream, one thread at a time (zlib's contract).
#pragma once

#include "zlib/zlib_api.h"

namespace accz::zlib {

class InflateStream;

InflateStream* inflate_stream(z_streamp strm);

int inflate_init(z_streamp strm, int windowBits, const char* version, int stream_size);
int inflate_call(InflateStream* is, int flush);
int inflate_end(InflateStream* is);
int inflate_reset(InflateStream* is, int kind, int windowBits);  // kind: 0 Reset, 1 Keep, 2 Reset2
int inflate_set_dictionary(InflateStream* is, const Bytef* dictionary, uInt length);
int inflate_get_dictionary(InflateStream* is, Bytef* dictionary, uInt* length);
int inflate_sync(InflateStream* is);
int inflate_sync_point(InflateStream* is);
int inflate_copy(z_streamp dest, InflateStream* source);
int inflate_prime(InflateStream* is, int bits, int value);
long inflate_mark(InflateStream* is);
int inflate_get_header(InflateStream* is, gz_headerp head);
int inflate_undermine(InflateStream* is, int subvert);
int inflate_validate(InflateStream* is, int check);
unsigned long inflate_codes_used(InflateStream* is);

}  // namespace accz::zlib
