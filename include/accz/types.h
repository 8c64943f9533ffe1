// accz/types.h — the vocabulary shared by engines, devices and their callers.
//
// Plain value types only; everything here is safe to copy and share between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace accz {

using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;

enum class Operation : uint8_t { kCompress, kDecompress };

enum class Algorithm : uint8_t { kDeflate, kLz4, kZstd };

// How compressed bytes are wrapped. Deflate engines produce and consume raw deflate only;
// the zlib (RFC 1950) and gzip (RFC 1952) wrappers and their checksums live in one place
// (accz/framing.h), so a deflate stream can move between engines at a byte boundary.
// lz4 and zstd carry their own framing, done by their libraries.
enum class Framing : uint8_t {
  kRaw,        // raw deflate (RFC 1951)
  kZlib,       // RFC 1950: 2-byte header, deflate, Adler-32
  kGzip,       // RFC 1952: one member on output; any number of members on input
  kLz4Block,   // bare lz4 block; the decompressor must be told an output bound
  kLz4Frame,   // lz4 frame format with content checksum
  kZstdFrame,  // zstd frame
};

// Flush modes for streaming compression, named after zlib's.
//   kNone    – buffer as the engine likes.
//   kSync    – end with an empty stored block: all input so far is decodable, byte aligned.
//   kFull    – as kSync, and later output does not refer back past this point.
//   kFinish  – end the stream (final block, trailer).
enum class Flush : uint8_t { kNone, kSync, kFull, kFinish };

// The outcome of one request or one engine call.
enum class Status : uint8_t {
  kOk,              // done (see Result/CodecResult for counts and end-of-stream)
  kOutputOverflow,  // the output space ran out; more output is pending
  kIncompressible,  // the output would not be smaller than the input: store the input
  kBadData,         // the compressed input is corrupt, truncated or fails its checksum
  kUnsupported,     // this engine/device cannot do what was asked (algorithm, level, flush…)
  kBusy,            // the queue is full: backpressure, try again later; nothing was taken
  kDeviceError,     // the device failed; the request had no effect the caller can rely on
};

std::string_view to_string(Operation v);
std::string_view to_string(Algorithm v);
std::string_view to_string(Framing v);
std::string_view to_string(Flush v);
std::string_view to_string(Status v);

// Parse the names to_string() prints ("deflate", "gzip", …). Return false if unknown.
bool parse(std::string_view name, Algorithm* out);
bool parse(std::string_view name, Framing* out);

// The algorithm a framing belongs to.
constexpr Algorithm algorithm_of(Framing f) {
  switch (f) {
    case Framing::kLz4Block:
    case Framing::kLz4Frame:
      return Algorithm::kLz4;
    case Framing::kZstdFrame:
      return Algorithm::kZstd;
    default:
      return Algorithm::kDeflate;
  }
}

}  // namespace accz
