// parallel_compress.h — compress one input to one output on every core: the input is cut
// into chunks that go through accz::Accel asynchronously, with a bounded window of chunks in
// flight (memory stays ~window × 2 × chunk whatever the input size), and the results are
// written in order.
//
// Layouts (how the chunks become one valid file):
//   kStream  – one deflate stream (one gzip member, or zlib, or raw): every chunk but the
//              last ends with a sync flush on a byte boundary and is primed with the previous
//              32 KiB of input as its dictionary, so the stream compresses almost as well as
//              a serial one; CRC-32 is combined from the chunks' (crc32_combine), Adler-32
//              computed as the input is read. The cpu device runs it on ISA-L (levels 1–3)
//              or zlib (others).
//   kMembers – gzip only: one gzip member per chunk (RFC 1952 §2.2 allows a series; gzip,
//              pigz, python's gzip module and zlib's gz* functions read them all), each
//              compressed one-shot by libdeflate, which is faster and smaller than zlib at
//              every level but cannot continue a stream or take a dictionary.
//   kFrames  – lz4 / zstd: one frame per chunk; their tools read concatenated frames.
//
// Thread-safety: one call per thread; the Accel may be shared.
#pragma once

#include <cstdint>
#include <string>

#include "accz/accel.h"
#include "accz/framing.h"
#include "file_io.h"
#include "formats.h"
#include "progress.h"

namespace accz::cli {

enum class Layout : uint8_t { kStream, kMembers, kFrames };

struct CompressPlan {
  Format format = Format::kGzip;
  Layout layout = Layout::kMembers;
  int level = 6;                // Request level (zlib scale for deflate)
  size_t chunk_size = 1 << 20;  // bytes of input per request
  uint32_t window = 8;          // chunks in flight
};

// The plan for a format and CLI level (-1: default) with the user's overrides
// ("auto"/"members"/"stream", chunk size 0: default) and `workers` cpu instances.
// Throws IoError for a combination that cannot work (members for zlib).
CompressPlan make_plan(Format format, int cli_level, const std::string& strategy, size_t chunk_size,
                       uint32_t workers);

struct CompressTotals {
  uint64_t in = 0;
  uint64_t out = 0;
};

// Throws IoError on read/write failure or if the device reports an error.
CompressTotals compress_stream(Accel& accel, const CompressPlan& plan, Input& in, Output& out,
                               const GzipHeader& header, Progress& progress);

}  // namespace accz::cli
