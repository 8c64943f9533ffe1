// deflate() streams on libdeflate, whole-buffer: the drop-in's state for a deflate stream an
// engine serves, and every deflate* entry point's behaviour on it.
//
// What is served: levels 1..5 (the levels where oneshot.h's kLibdeflateLevel has an engine
// level), Z_DEFAULT_STRATEGY, windowBits 15 (zlib), 31 (gzip, default header) or -15 (raw), any
// memLevel. deflate(Z_NO_FLUSH) takes all its input into a buffer in the stream's memory;
// deflate(Z_FINISH) compresses the whole input with libdeflate at once, frames it as zlib
// would (header bytes identical to zlib's, written by the first deflate call just as zlib
// writes them) and hands the output out across calls as avail_out allows. Results follow
// zlib's contract: return codes, total_in/total_out, adler (running Adler-32 or CRC-32 of the
// input consumed), data_type (zlib's text/binary rule on the first block's worth of input),
// deflateBound (zlib's bound holds: output is never larger than zlib's whenever it could
// exceed it, see finish()).
//
// Every stream also owns a real zlib stream created at *Init* with the same parameters, so
// *Init*'s validation and error codes are zlib's and the fallback always exists. Whatever the
// whole-buffer path cannot do -- a flush other than Z_NO_FLUSH/Z_FINISH, deflateParams,
// deflateSetDictionary, deflatePrime, deflateSetHeader or deflateTune, input past
// ACCZ_ZLIB_STREAM_CAP, fewer than 4 KiB in all -- moves the stream to that zlib stream: the
// buffered input is fed to it (nothing of the body was emitted yet, so the result is exactly
// zlib's stream), its output is queued behind what the caller already got, and from then on
// every call is forwarded to it. A moved stream returns to the engine only at deflateReset.
//
// Thread safety: one stream, one thread at a time (zlib's contract).
#pragma once

#include "zlib/zlib_api.h"

namespace accz::zlib {

class DeflateStream;

// The drop-in deflate stream strm's state is, or nullptr when zlib owns it.
DeflateStream* deflate_stream(z_streamp strm);

// deflateInit2_ for every stream: zlib's validation; the stream is the drop-in's when an engine
// can serve its parameters, the real zlib's otherwise.
int deflate_init(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy,
                 const char* version, int stream_size);

int deflate_call(DeflateStream* ds, int flush);
int deflate_end(DeflateStream* ds);
int deflate_reset(DeflateStream* ds, bool keep);
int deflate_copy(z_streamp dest, DeflateStream* source);
int deflate_params(DeflateStream* ds, int level, int strategy);
int deflate_set_dictionary(DeflateStream* ds, const Bytef* dictionary, uInt length);
int deflate_get_dictionary(DeflateStream* ds, Bytef* dictionary, uInt* length);
int deflate_tune(DeflateStream* ds, int good_length, int max_lazy, int nice_length, int max_chain);
uLong deflate_bound(DeflateStream* ds, uLong source_len);
int deflate_pending(DeflateStream* ds, unsigned* pending, int* bits);
int deflate_prime(DeflateStream* ds, int bits, int value);
int deflate_set_header(DeflateStream* ds, gz_headerp head);

}  // namespace accz::zlib
