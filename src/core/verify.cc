// Software verification of an untrusted device's output (see verify.h for the policy).
#include "core/verify.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "accz/engine.h"
#include "accz/framing.h"
#include "core/frame_trailer.h"
#include "providers/cpu/cpu_device.h"

namespace accz {
namespace {

constexpr size_t kFramings = 6;
// Scratch a thread keeps between verifications (4 KiB blocks up to large chunks).
constexpr size_t kKeepScratch = size_t{4} << 20;

// Decoders are expensive to create and cheap to reset: one set per thread.
struct Scratch {
  std::array<std::unique_ptr<Decompressor>, kFramings> one_shot;  // by engine framing
  std::unique_ptr<Decompressor> raw_stream;                       // raw pieces and dictionaries
  std::vector<uint8_t> in;   // device output gathered from several spans
  std::vector<uint8_t> out;  // decoded bytes
};
thread_local Scratch tls;

const Engine* pick_engine(Framing engine_framing, bool streaming) {
  Algorithm a = algorithm_of(engine_framing);
  for (const Engine* e : engines()) {
    const EngineCaps& c = e->caps();
    if (c.algorithm != a || !c.supports(engine_framing)) continue;
    if (streaming && !(c.stream_decompress && c.dictionary)) continue;
    return e;
  }
  return nullptr;
}

// Engines speak raw deflate; zlib and gzip wrappers are framing.h's business.
Framing engine_framing(Framing f) {
  return algorithm_of(f) == Algorithm::kDeflate ? Framing::kRaw : f;
}

Decompressor* decoder(Framing f, bool streaming) {
  Framing ef = engine_framing(f);
  std::unique_ptr<Decompressor>& slot =
      streaming ? tls.raw_stream : tls.one_shot[static_cast<size_t>(ef)];
  if (!slot) {
    const Engine* e = pick_engine(ef, streaming);
    if (e) slot = e->decompressor(ef);
  }
  return slot.get();
}

template <typename Span>
uint32_t checksum_over(Framing framing, uint32_t seed, std::span<const Span> data, size_t len) {
  bool adler = framing == Framing::kZlib;
  uint32_t c = seed;
  for (const auto& s : data) {
    if (len == 0) break;
    size_t n = std::min(len, s.size());
    ByteSpan piece(s.data(), n);
    c = adler ? adler32(c, piece) : crc32(c, piece);
    len -= n;
  }
  return c;
}

// The first `len` bytes of a span list as one contiguous span (copied only if split).
template <typename Span>
ByteSpan gather(std::span<const Span> list, size_t len, std::vector<uint8_t>& buf) {
  if (!list.empty() && list[0].size() >= len) return ByteSpan(list[0].data(), len);
  buf.resize(len);
  size_t at = 0;
  for (const auto& s : list) {
    if (at == len) break;
    size_t n = std::min(len - at, s.size());
    std::memcpy(buf.data() + at, s.data(), n);
    at += n;
  }
  return ByteSpan(buf.data(), at);
}

// True if the span list's first bytes equal `want`.
template <typename Span>
bool equal_prefix(std::span<const Span> list, ByteSpan want) {
  size_t at = 0;
  for (const auto& s : list) {
    if (at == want.size()) break;
    size_t n = std::min(want.size() - at, s.size());
    if (n && std::memcmp(s.data(), want.data() + at, n) != 0) return false;
    at += n;
  }
  return at == want.size();
}

// Byte `i` of the logical concatenation of a span list.
uint8_t byte_at(std::span<const ByteSpan> list, size_t i) {
  for (const auto& s : list) {
    if (i < s.size()) return s[i];
    i -= s.size();
  }
  return 0;
}

uint32_t le32_at(std::span<const ByteSpan> list, size_t i) {
  return uint32_t(byte_at(list, i)) | uint32_t(byte_at(list, i + 1)) << 8 |
         uint32_t(byte_at(list, i + 2)) << 16 | uint32_t(byte_at(list, i + 3)) << 24;
}

uint32_t be32_at(std::span<const ByteSpan> list, size_t i) {
  return uint32_t(byte_at(list, i)) << 24 | uint32_t(byte_at(list, i + 1)) << 16 |
         uint32_t(byte_at(list, i + 2)) << 8 | uint32_t(byte_at(list, i + 3));
}

bool verify_compress(const Request& req) {
  const Result& r = req.result;
  const size_t src_len = req.src_size();
  if (r.consumed != src_len || r.produced > req.dst_size()) return false;
  if (r.checksum != result_checksum(req.framing, req.checksum_seed, req.src, src_len)) return false;

  ByteSpan packed = gather(req.dst, r.produced, tls.in);
  const bool finish = req.flush == Flush::kFinish;
  const bool streaming = req.framing == Framing::kRaw && (!finish || !req.dictionary.empty());
  Decompressor* d = decoder(req.framing, streaming);
  if (!d) return false;  // nothing can vouch for it: let software redo it
  d->reset();
  tls.out.resize(src_len + 1);  // one spare byte: longer output than the input shows up
  MutableByteSpan out(tls.out);

  CodecResult c;
  if (streaming) {
    if (!req.dictionary.empty() && d->set_dictionary(req.dictionary) != Status::kOk) return false;
    c = d->stream(packed, out);
  } else if (req.framing == Framing::kZlib || req.framing == Framing::kGzip) {
    c = decompress_framed(*d, req.framing, packed, out);
  } else {
    c = d->decompress(packed, out);
  }
  if (c.status != Status::kOk || c.consumed != packed.size() || c.end != finish ||
      c.produced != src_len)
    return false;
  return equal_prefix(req.src, ByteSpan(tls.out.data(), src_len));
}

// The stream's own trailer vouches for the output (see verify.h).
bool trailer_matches(const Request& req, uint32_t check) {
  const Result& r = req.result;
  if (req.framing == Framing::kZlib && req.checksum_seed == 1 && r.consumed >= 6)
    return be32_at(req.src, r.consumed - 4) == check;
  if (req.framing == Framing::kGzip && req.checksum_seed == 0 && r.consumed >= 18)
    return le32_at(req.src, r.consumed - 8) == check &&
           le32_at(req.src, r.consumed - 4) == static_cast<uint32_t>(r.produced);
  return false;
}

// lz4 and zstd frames with a content checksum vouch for their output the same way.
bool frame_checksum_matches(const Request& req) {
  const Result& r = req.result;
  std::optional<FrameChecksum> fc;
  if (req.framing == Framing::kLz4Frame)
    fc = lz4_frame_checksum(req.src, r.consumed);
  else if (req.framing == Framing::kZstdFrame)
    fc = zstd_frame_checksum(req.src, r.consumed);
  return fc && frame_checksum_of(fc->kind, req.dst, r.produced) == fc->value;
}

bool verify_decompress(const Request& req) {
  const Result& r = req.result;
  const size_t dst_len = req.dst_size();
  if (r.produced > dst_len || r.consumed > req.src_size()) return false;
  uint32_t check = result_checksum(req.framing, req.checksum_seed, req.dst, r.produced);
  if (check != r.checksum) return false;
  if (r.end && trailer_matches(req, check)) return true;
  if (r.end && frame_checksum_matches(req)) return true;

  // Decode again in software into scratch, with just enough room to tell "same output"
  // from "more output".
  tls.out.resize(std::min(dst_len, r.produced + 1));
  MutableByteSpan out_span(tls.out);
  Request again = req;
  again.on_complete = nullptr;
  again.dst = std::span<const MutableByteSpan>(&out_span, 1);
  again.result = Result{};
  run_in_software(&again);
  const Result& s = again.result;
  if (s.status != Status::kOk || s.consumed != r.consumed || s.produced != r.produced ||
      s.end != r.end || s.checksum != r.checksum)
    return false;
  return equal_prefix(req.dst, ByteSpan(tls.out.data(), r.produced));
}

}  // namespace

uint32_t result_checksum(Framing framing, uint32_t seed, std::span<const ByteSpan> data,
                         size_t len) {
  return checksum_over(framing, seed, data, len);
}
uint32_t result_checksum(Framing framing, uint32_t seed, std::span<const MutableByteSpan> data,
                         size_t len) {
  return checksum_over(framing, seed, data, len);
}

bool verify_device_output(const Request& req) {
  bool ok = req.op == Operation::kCompress ? verify_compress(req) : verify_decompress(req);
  // Scratch sized for one huge request must not stay with a device thread for good.
  for (std::vector<uint8_t>* v : {&tls.in, &tls.out}) {
    if (v->capacity() > kKeepScratch) std::vector<uint8_t>().swap(*v);
  }
  return ok;
}

}  // namespace accz
