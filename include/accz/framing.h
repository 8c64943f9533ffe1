// accz/framing.h — the zlib (RFC 1950) and gzip (RFC 1952) wrappers around raw deflate, and
// their checksums, in one place. Engines speak raw deflate; everything that adds or strips a
// header or trailer goes through here, so a stream can change engine at a byte boundary.
//
// Checksum functions are pure and thread-safe. Parser and stream objects are single-threaded
// (one user at a time) and reusable after reset().
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "accz/engine.h"
#include "accz/types.h"

namespace accz {

// --- checksums: the same values as zlib's crc32()/adler32(), computed with SIMD ---
uint32_t crc32(uint32_t crc, ByteSpan data);      // start with crc = 0
uint32_t adler32(uint32_t adler, ByteSpan data);  // start with adler = 1
// Checksum of A‖B from checksum(A), checksum(B) and |B|.
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
uint32_t adler32_combine(uint32_t adler_a, uint32_t adler_b, uint64_t len_b);

// --- gzip ---
struct GzipHeader {
  uint32_t mtime = 0;  // seconds since the epoch; 0: none
  uint8_t xfl = 0;     // 2: max compression, 4: fastest
  uint8_t os = 3;      // 3: Unix
  bool text = false;   // FTEXT
  bool hcrc = false;   // write/was a header CRC-16
  bool has_name = false, has_comment = false, has_extra = false;
  std::string name;     // FNAME, without the NUL
  std::string comment;  // FCOMMENT
  std::vector<uint8_t> extra;
};

std::vector<uint8_t> gzip_header_bytes(const GzipHeader& h);
std::array<uint8_t, 8> gzip_trailer_bytes(uint32_t crc, uint64_t size);  // size mod 2^32

// Incremental gzip header parser: feed bytes in pieces of any size (down to one byte).
class GzipHeaderParser {
 public:
  enum class State { kNeedMore, kDone, kBad };
  // Consumes up to the end of the header; returns the number of bytes used.
  size_t feed(ByteSpan in);
  State state() const { return state_; }
  const GzipHeader& header() const { return header_; }
  const char* error() const { return error_; }  // set when state() == kBad
  void reset();

 private:
  State state_ = State::kNeedMore;
  GzipHeader header_;
  const char* error_ = nullptr;
  uint32_t stage_ = 0, need_ = 0, crc_ = 0;
  uint8_t flags_ = 0;
  std::array<uint8_t, 10> fixed_{};
};

// --- zlib ---
// The 2-byte header for a zlib-style level (FLEVEL as zlib sets it), optional dictionary id.
std::vector<uint8_t> zlib_header_bytes(int level, bool has_dict = false, uint32_t dict_id = 0);
std::array<uint8_t, 4> zlib_trailer_bytes(uint32_t adler);

// --- whole-buffer helpers over a raw-deflate engine ---
// Compress `in` with framing kRaw, kZlib or kGzip (plus lz4/zstd framings, passed through to
// the compressor, which must have been made for that framing). `level` is the zlib-style
// level written into the zlib header. `checksum` receives CRC-32 or Adler-32 of `in`.
CodecResult compress_framed(Compressor& c, Framing f, int level, ByteSpan in, MutableByteSpan out,
                            const GzipHeader& gz = {}, uint32_t* checksum = nullptr);
// Decompress a whole buffer: kGzip decodes every member in turn; kZlib/kGzip check the
// trailer (kBadData on mismatch). Trailing bytes after the (last) stream are not consumed.
CodecResult decompress_framed(Decompressor& d, Framing f, ByteSpan in, MutableByteSpan out,
                              uint32_t* checksum = nullptr);

// --- streaming wrappers ---
// Adds a header and trailer around a streaming deflate Compressor (or passes lz4/zstd
// through). Same contract as Compressor::stream(); output that did not fit is kept and handed
// out on later calls.
class FramedCompressor {
 public:
  FramedCompressor(std::unique_ptr<Compressor> c, Framing f, int level, GzipHeader gz = {});
  CodecResult stream(ByteSpan in, MutableByteSpan out, Flush flush);
  uint32_t checksum() const { return check_; }
  uint64_t total_in() const { return total_in_; }
  void reset();

 private:
  std::unique_ptr<Compressor> c_;
  Framing f_;
  int level_;
  GzipHeader gz_;
  std::vector<uint8_t> pending_;  // header or trailer bytes not yet handed out
  size_t pending_pos_ = 0;
  uint32_t check_ = 0;
  uint64_t total_in_ = 0;
  int stage_ = 0;  // 0: header due, 1: body, 2: trailer queued, 3: done
};

// Strips and checks headers and trailers around a streaming deflate Decompressor.
// kGzip: one member at a time — stream() answers end=true at the end of each member; call it
// again with the following bytes to start the next member (is_gzip_magic() tells whether they
// look like one). Same contract as Decompressor::stream() otherwise; kBadData with error()
// describing the problem: a header error from GzipHeaderParser ("invalid gzip header",
// "unknown compression method", "unknown header flags set", "header crc mismatch") or from
// the zlib header ("incorrect header check", "unknown compression method", "invalid window
// size"), "invalid deflate data", "crc error", "adler32 error", "length error". A zlib header
// asking for a preset dictionary gives kUnsupported with "dictionary required". Truncation
// shows as kOk with end=false once the caller has no more input. Errors are sticky until
// reset().
class FramedDecompressor {
 public:
  FramedDecompressor(std::unique_ptr<Decompressor> d, Framing f);
  CodecResult stream(ByteSpan in, MutableByteSpan out);
  const char* error() const { return error_; }
  const GzipHeader& gzip_header() const { return parser_.header(); }
  uint32_t checksum() const { return check_; }
  uint64_t member_out() const { return out_; }  // bytes produced by the current/last member
  void reset();

 private:
  std::unique_ptr<Decompressor> d_;
  Framing f_;
  GzipHeaderParser parser_;
  const char* error_ = nullptr;
  std::array<uint8_t, 8> trailer_{};
  size_t trailer_have_ = 0;
  uint32_t check_ = 0;
  uint64_t out_ = 0;
  int stage_ = 0;                // 0: header, 1: body, 2: trailer, 3: member done
  Status failed_ = Status::kOk;  // the sticky error status, once error_ is set
};

inline bool is_gzip_magic(ByteSpan b) { return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

}  // namespace accz
