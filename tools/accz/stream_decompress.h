// stream_decompress.h — decompress one input to one output in constant memory: read a block,
// decode, write, repeat. gzip input is decoded member after member (ISA-L's streaming inflate
// behind accz::FramedDecompressor, which checks every member's CRC-32 and length); lz4 and
// zstd input frame after frame with their libraries' streaming decoders.
//
// Decompression stays on one thread: inflate runs at ~1 GB/s, near the speed of the I/O, and
// a deflate stream cannot be split without decoding it.
//
// Thread-safety: one call per thread; no shared state.
#pragma once

#include <cstdint>
#include <string>

#include "file_io.h"
#include "formats.h"
#include "progress.h"

namespace accz::cli {

struct DecompressOutcome {
  uint64_t in = 0;   // compressed bytes read
  uint64_t out = 0;  // bytes produced
  // Bytes after the last member/frame that do not start another one (gzip warns and exits 2).
  uint64_t trailing_garbage = 0;
};

// `head` is what the caller already read from `in` to detect the format (it is decoded
// first). `out` may be null (--test). Throws IoError with gzip-style messages ("invalid
// compressed data--crc error", "unexpected end of file") on bad input.
DecompressOutcome decompress_stream(Format format, std::string head, Input& in, Output* out,
                                    Progress& progress);

}  // namespace accz::cli
