// accz/engine.h — one interface over the software compression libraries (ISA-L igzip,
// libdeflate, zlib, lz4, zstd).
//
// An Engine is a stateless, immutable description plus a factory; it is safe to share between
// threads. Compressor and Decompressor objects carry per-stream state and scratch memory: one
// object is used by one thread at a time (no internal locking), and is meant to be reused
// across many requests (reset() is cheap; creating one may allocate hundreds of KiB).
//
// Deflate engines speak raw deflate (RFC 1951) only. zlib/gzip wrappers and checksums are in
// accz/framing.h. lz4 and zstd engines speak their own framing (see EngineCaps::framings).
//
// Levels are each library's own scale (ISA-L 0–3, libdeflate 0–12, zlib 0–9, lz4 1–12,
// zstd 1–19); the mapping from a caller's zlib-style level lives in the router, not here.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "accz/types.h"

namespace accz {

// What an engine can do, so that a router can choose among engines without trying them.
struct EngineCaps {
  std::string_view name;  // "isal", "libdeflate", "zlib", "lz4", "zstd"
  Algorithm algorithm = Algorithm::kDeflate;
  std::span<const Framing> framings;  // framings Compressor/Decompressor accept (kRaw for deflate)
  int min_level = 0;
  int max_level = 0;
  int default_level = 0;
  bool stream_compress = false;    // Compressor::stream() is implemented
  bool stream_decompress = false;  // Decompressor::stream() is implemented
  unsigned flush_mask = 0;         // bit (1u << unsigned(Flush::X)) set if stream() takes X
  bool dictionary = false;         // set_dictionary() is implemented (deflate: 32 KiB window)
  size_t max_input = 0;            // largest one-shot input in bytes; 0 means no limit

  bool supports(Flush f) const { return flush_mask & (1u << static_cast<unsigned>(f)); }
  bool supports(Framing f) const {
    for (Framing g : framings)
      if (g == f) return true;
    return false;
  }
};

// The outcome of one engine call.
struct CodecResult {
  Status status = Status::kOk;
  size_t consumed = 0;  // input bytes used
  size_t produced = 0;  // output bytes written at the front of the output span
  bool end = false;     // compress: the stream end was written; decompress: it was reached
};

class Compressor {
 public:
  virtual ~Compressor() = default;

  // One-shot: compress all of `in` into one complete stream in `out`.
  // Returns kOk with end=true, or kOutputOverflow if `out` is too small (the contents of `out`
  // are then unspecified). Any streaming state is discarded first.
  // REQUIRES: in.size() <= caps().max_input when that is non-zero.
  virtual CodecResult compress(ByteSpan in, MutableByteSpan out) = 0;

  // Streaming: consume as much of `in` as possible and write to `out`.
  // kOk: all of `in` was consumed and, if `flush` != kNone, all output for it was written
  //      (end=true once the stream end has been written after kFinish).
  // kOutputOverflow: `out` filled up; call again with more space (and the rest of the input,
  //      and the same flush) to get the rest.
  // kUnsupported: !caps().stream_compress, or the flush mode is not in caps().flush_mask.
  // After the end was written, stream() answers kOk/end=true to empty input and kUnsupported
  // to more input, until reset(). A stream() after compress() starts a new stream.
  virtual CodecResult stream(ByteSpan in, MutableByteSpan out, Flush flush) = 0;

  // Prime the window with `dict` (deflate: the last 32 KiB are used) before the first
  // stream() call after construction or reset(). kUnsupported if !caps().dictionary.
  // compress() does not use it (it starts from an empty window).
  virtual Status set_dictionary(ByteSpan dict) = 0;

  // Forget any stream in progress; keep the level and the scratch memory.
  virtual void reset() = 0;

  // Worst-case size of compress() output for `in_len` input bytes.
  virtual size_t bound(size_t in_len) const = 0;
};

class Decompressor {
 public:
  virtual ~Decompressor() = default;

  // One-shot: `in` starts with one whole stream; bytes after its end are not consumed.
  // kOk with end=true; kBadData for corrupt or truncated input; kOutputOverflow if `out` is
  // too small. For kLz4Block framing `out` must be at least the original size.
  // Any streaming state (and a dictionary) is discarded first. A full `out` without the end
  // is reported as kOutputOverflow, so give a little more room than needed to tell
  // truncated input (kBadData) from a short buffer.
  virtual CodecResult decompress(ByteSpan in, MutableByteSpan out) = 0;

  // Streaming: as Compressor::stream(). kOk with end=true once the stream's end was reached
  // (then `consumed` stops at the end: trailing bytes stay with the caller). kOk with
  // end=false means all input was used and more is needed. kOutputOverflow: more output
  // pending. kBadData: corrupt input. kUnsupported if !caps().stream_decompress.
  virtual CodecResult stream(ByteSpan in, MutableByteSpan out) = 0;

  // The window a raw deflate stream was compressed against (see Compressor::set_dictionary).
  virtual Status set_dictionary(ByteSpan dict) = 0;

  virtual void reset() = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const EngineCaps& caps() const = 0;

  // A new compressor at `level`, for `framing` (one of caps().framings).
  // Returns nullptr if the level or framing is out of range.
  virtual std::unique_ptr<Compressor> compressor(int level, Framing framing) const = 0;
  virtual std::unique_ptr<Decompressor> decompressor(Framing framing) const = 0;
};

// The engines built into this library, in a fixed order (fastest-first per algorithm is the
// router's business, not this list's). Never empty: zlib is always present.
std::span<const Engine* const> engines();

// The engine called `name`, or nullptr.
const Engine* find_engine(std::string_view name);

}  // namespace accz
