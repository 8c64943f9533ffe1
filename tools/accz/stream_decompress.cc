// The decode loop and the per-format decoders it drives.
#include "stream_decompress.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "accz/framing.h"

namespace accz::cli {
namespace {

constexpr size_t kInBlock = 256 * 1024;
constexpr size_t kOutBlock = 1 << 20;

// One stream format as the loop sees it: decode, and decide whether the bytes after the end
// of a member/frame start another.
class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual CodecResult stream(ByteSpan in, MutableByteSpan out) = 0;
  virtual std::string error() const = 0;
  // Bytes needed to recognise a following member/frame; 0: the format has only one stream.
  virtual size_t magic_size() const = 0;
  virtual bool starts_next(ByteSpan head) const = 0;
  virtual void next() = 0;
};

const Engine& engine_for(Format f) {
  const Engine* e = nullptr;
  if (f == Format::kLz4) {
    e = find_engine("lz4");
  } else if (f == Format::kZstd) {
    e = find_engine("zstd");
  } else {
    // ISA-L's inflate is the fastest streaming one; zlib's is always there.
    for (const char* name : {"isal", "libdeflate", "zlib"}) {
      e = find_engine(name);
      if (e != nullptr && e->caps().stream_decompress) break;
      e = nullptr;
    }
  }
  if (e == nullptr || !e->caps().stream_decompress)
    throw IoError(std::string("no streaming decoder for ") + std::string(info(f).name));
  return *e;
}

class DeflateDecoder final : public Decoder {
 public:
  explicit DeflateDecoder(Format f)
      : format_(f), framed_(engine_for(f).decompressor(Framing::kRaw), info(f).framing) {}
  CodecResult stream(ByteSpan in, MutableByteSpan out) override { return framed_.stream(in, out); }
  std::string error() const override {
    return framed_.error() != nullptr ? framed_.error() : "invalid compressed data";
  }
  size_t magic_size() const override { return format_ == Format::kGzip ? 2 : 0; }
  bool starts_next(ByteSpan head) const override { return is_gzip_magic(head); }
  void next() override {}  // FramedDecompressor starts the next member by itself

 private:
  Format format_;
  FramedDecompressor framed_;
};

// lz4 and zstd: each frame is decoded by a fresh (reset) decoder.
class FrameDecoder final : public Decoder {
 public:
  explicit FrameDecoder(Format f) : format_(f), d_(engine_for(f).decompressor(info(f).framing)) {
    if (!d_) throw IoError("no decoder for " + std::string(info(f).name));
  }
  CodecResult stream(ByteSpan in, MutableByteSpan out) override { return d_->stream(in, out); }
  std::string error() const override { return "invalid compressed data--format violated"; }
  size_t magic_size() const override { return 4; }
  bool starts_next(ByteSpan head) const override {
    uint32_t m = head[0] | head[1] << 8 | head[2] << 16 | uint32_t{head[3]} << 24;
    if ((m & 0xFFFFFFF0u) == 0x184D2A50u) return true;  // skippable frame (both formats)
    return format_ == Format::kLz4 ? m == 0x184D2204u : m == 0xFD2FB528u;
  }
  void next() override { d_->reset(); }

 private:
  Format format_;
  std::unique_ptr<Decompressor> d_;
};

std::unique_ptr<Decoder> make_decoder(Format f) {
  if (f == Format::kLz4 || f == Format::kZstd) return std::make_unique<FrameDecoder>(f);
  return std::make_unique<DeflateDecoder>(f);
}

// Input with a little look-ahead: the loop needs to peek at the next member's magic.
class Buffer {
 public:
  Buffer(std::string head, Input& in) : in_(in), buf_(std::max(kInBlock, head.size())) {
    std::memcpy(buf_.data(), head.data(), head.size());
    len_ = head.size();
    total_ = head.size();
  }
  ByteSpan data() const { return ByteSpan(buf_.data() + pos_, len_ - pos_); }
  void consume(size_t n) { pos_ += n; }
  bool eof() const { return eof_; }
  uint64_t total() const { return total_; }
  // Ensures at least `want` unread bytes unless the input ends first; returns what it has.
  size_t fill(size_t want) {
    while (!eof_ && len_ - pos_ < want) {
      if (pos_ > 0) {
        std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
        len_ -= pos_;
        pos_ = 0;
      }
      if (len_ == buf_.size()) buf_.resize(buf_.size() * 2);
      size_t got = in_.read(MutableByteSpan(buf_.data() + len_, buf_.size() - len_));
      if (got == 0) eof_ = true;
      len_ += got;
      total_ += got;
    }
    return len_ - pos_;
  }

 private:
  Input& in_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t total_ = 0;
  bool eof_ = false;
};

}  // namespace

DecompressOutcome decompress_stream(Format format, std::string head, Input& in, Output* out,
                                    Progress& progress) {
  auto decoder = make_decoder(format);
  Buffer buf(std::move(head), in);
  std::vector<uint8_t> outbuf(kOutBlock);
  DecompressOutcome o;
  bool at_boundary = false;  // the previous member/frame has just ended
  while (true) {
    if (at_boundary) {
      size_t need = decoder->magic_size();
      size_t have = buf.fill(std::max<size_t>(need, 1));
      if (have == 0) break;  // clean end after the last member
      if (need == 0 || have < need || !decoder->starts_next(buf.data())) {
        // Trailing garbage: count it all (gzip reports it and exits 2) but do not decode.
        o.trailing_garbage = have;
        buf.consume(have);
        while (buf.fill(kInBlock) > 0) {
          o.trailing_garbage += buf.data().size();
          buf.consume(buf.data().size());
        }
        break;
      }
      decoder->next();
      at_boundary = false;
    }
    CodecResult r = decoder->stream(buf.data(), outbuf);
    buf.consume(r.consumed);
    if (r.produced > 0) {
      if (out != nullptr) out->write(ByteSpan(outbuf.data(), r.produced));
      o.out += r.produced;
    }
    progress.update(buf.total());
    if (r.status == Status::kBadData) throw IoError("invalid compressed data--" + decoder->error());
    if (r.status != Status::kOk && r.status != Status::kOutputOverflow)
      throw IoError("decompression failed: " + std::string(to_string(r.status)));
    if (r.status == Status::kOk && r.end) {
      at_boundary = true;
    } else if (r.status == Status::kOk) {
      // The decoder took what it could and wants more input than is buffered.
      size_t want = r.consumed == 0 && r.produced == 0 ? buf.data().size() + 1 : 1;
      if (buf.fill(want) < want) throw IoError("unexpected end of file");
    }
  }
  o.in = buf.total();
  progress.finish();
  return o;
}

}  // namespace accz::cli
