// verify.h — checks, in software, the output an untrusted device claims to be good, before
// the router hands it to the caller.
//
// Policy (chosen to be sound first, cheap second):
//  - Compress: the device's output is decoded with a software engine (framing-aware: zlib
//    and gzip trailers are checked too; raw deflate pieces ending in a sync/full flush and
//    dictionaries are honoured) and the decoded bytes are compared with the input byte for
//    byte; the reported checksum must equal the checksum of the input. Costs one software
//    decompression, much cheaper than the compression it checks.
//  - Decompress: the checksum of the produced bytes is recomputed and must equal the
//    reported one. For zlib and gzip streams that ended, the stream's own trailer (written
//    by whoever compressed the data) must also match the recomputed checksum and length;
//    lz4 and zstd frames that carry a content checksum (XXH32 / XXH64) are checked against
//    it. That authenticates the output without decoding it again. Where nothing in the
//    stream can vouch (raw deflate, lz4 blocks, frames without a checksum, a stream that did
//    not end, a continued checksum, several gzip members or frames) the input is decoded
//    again in software and everything compared; there verification costs as much as doing
//    the work in software.
//
// Thread-safety: safe to call concurrently; scratch buffers and decoders are per thread.
#pragma once

#include "accz/request.h"

namespace accz {

// True if `req.result` (status kOk, produced by a device) is exactly what the request asked
// for. The request's buffers are only read.
bool verify_device_output(const Request& req);

// The checksum Result::checksum carries for `framing`: Adler-32 for zlib, else CRC-32.
uint32_t result_checksum(Framing framing, uint32_t seed, std::span<const ByteSpan> data,
                         size_t len);
uint32_t result_checksum(Framing framing, uint32_t seed, std::span<const MutableByteSpan> data,
                         size_t len);

}  // namespace accz
