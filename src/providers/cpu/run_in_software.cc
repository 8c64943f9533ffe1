// run_in_software(): one request, start to finish, on the calling thread. The engine is chosen
// by engine_choice.h; this file moves bytes (scatter-gather), applies framing, and fills the
// Result the same way whichever engine ran.
#include <algorithm>
#include <cstring>

#include "accz/framing.h"
#include "providers/cpu/cpu_device.h"
#include "providers/cpu/engine_choice.h"
#include "providers/cpu/thread_context.h"

namespace accz {
namespace {

bool wrapped(Framing f) { return f == Framing::kZlib || f == Framing::kGzip; }

// Result::checksum is Adler-32 for zlib framing (what its trailer holds), CRC-32 otherwise.
uint32_t checksum_of(Framing f, uint32_t seed, ByteSpan data) {
  return f == Framing::kZlib ? adler32(seed, data) : crc32(seed, data);
}

// Continues `seed` with the checksum `fresh` of `len` more bytes, so a framing helper's own
// pass over the data serves the caller's running checksum too.
uint32_t continue_checksum(Framing f, uint32_t seed, uint32_t fresh, uint64_t len) {
  return f == Framing::kZlib ? adler32_combine(seed, fresh, len) : crc32_combine(seed, fresh, len);
}

ByteSpan gather(std::span<const ByteSpan> src, Scratch& bounce) {
  if (src.size() == 1) return src[0];
  size_t total = 0;
  for (ByteSpan s : src) total += s.size();
  MutableByteSpan buf = bounce.get(total);
  size_t at = 0;
  for (ByteSpan s : src) {
    if (!s.empty()) std::memcpy(buf.data() + at, s.data(), s.size());
    at += s.size();
  }
  return buf;
}

void scatter(ByteSpan data, std::span<const MutableByteSpan> dst) {
  for (MutableByteSpan d : dst) {
    if (data.empty()) return;
    const size_t n = std::min(d.size(), data.size());
    if (n != 0) std::memcpy(d.data(), data.data(), n);
    data = data.subspan(n);
  }
}

// gzip's XFL as zlib writes it: 4 for the fastest levels, 2 for the best.
const GzipHeader& gzip_header_for(int level) {
  static const GzipHeader kFast = [] {
    GzipHeader h;
    h.xfl = 4;
    return h;
  }();
  static const GzipHeader kBest = [] {
    GzipHeader h;
    h.xfl = 2;
    return h;
  }();
  static const GzipHeader kPlain;
  return level <= 1 ? kFast : level >= 9 ? kBest : kPlain;
}

void compress(Request* req, const EnginePlan& plan, ThreadContext& tc) {
  Result& r = req->result;
  Compressor* c = tc.compressor(plan.engine, plan.level, plan.engine_framing);
  if (c == nullptr) {
    r.status = Status::kUnsupported;
    return;
  }
  const ByteSpan in = gather(req->src, tc.src_bounce);
  const size_t room = req->dst_size();
  // With incompressible_ok the engine gets one byte less than the input: "not smaller" then
  // shows up as an overflow, which the engines detect early instead of finishing the work.
  const bool capped = req->incompressible_ok && in.size() <= room;
  const size_t limit = capped ? (in.empty() ? 0 : in.size() - 1) : room;
  const bool direct = req->dst.size() == 1;
  MutableByteSpan out = direct ? req->dst[0].first(limit) : tc.dst_bounce.get(limit);

  CodecResult cr;
  uint32_t framed_check = 0;
  if (plan.streaming) {
    c->reset();
    if (!req->dictionary.empty()) {
      if (Status s = c->set_dictionary(req->dictionary); s != Status::kOk) {
        r.status = s;
        return;
      }
    }
    cr = c->stream(in, out, req->flush);
  } else if (wrapped(req->framing)) {
    cr = compress_framed(*c, req->framing, plan.zlib_level, in, out,
                         gzip_header_for(plan.zlib_level), &framed_check);
  } else {
    cr = c->compress(in, out);
  }

  if (cr.status == Status::kOutputOverflow) {
    r.status = capped ? Status::kIncompressible : Status::kOutputOverflow;
    // The caller who stores the input as-is still wants its checksum.
    if (capped) r.checksum = checksum_of(req->framing, req->checksum_seed, in);
    return;
  }
  if (cr.status != Status::kOk) {
    r.status = cr.status;
    return;
  }
  if (!direct) scatter(out.first(cr.produced), req->dst);
  r.consumed = cr.consumed;
  r.produced = cr.produced;
  r.end = cr.end;
  r.checksum = !plan.streaming && wrapped(req->framing)
                   ? continue_checksum(req->framing, req->checksum_seed, framed_check, in.size())
                   : checksum_of(req->framing, req->checksum_seed, in.first(cr.consumed));
}

// A read position in a list of buffers, skipping empty ones.
template <typename Span>
class Pieces {
 public:
  explicit Pieces(std::span<const Span> list) : list_(list) { skip_empty(); }
  Span current() const { return done() ? Span{} : list_[i_].subspan(off_); }
  bool done() const { return i_ >= list_.size(); }
  void advance(size_t n) {
    off_ += n;
    skip_empty();
  }
  // Copies up to `n` upcoming bytes (across pieces) to `out`; returns how many.
  size_t peek(uint8_t* out, size_t n) const {
    size_t got = 0;
    size_t off = off_;
    for (size_t i = i_; i < list_.size() && got < n; ++i, off = 0) {
      const size_t take = std::min(n - got, list_[i].size() - off);
      if (take != 0) std::memcpy(out + got, list_[i].data() + off, take);
      got += take;
    }
    return got;
  }

 private:
  void skip_empty() {
    while (i_ < list_.size() && off_ >= list_[i_].size()) {
      ++i_;
      off_ = 0;
    }
  }
  std::span<const Span> list_;
  size_t i_ = 0;
  size_t off_ = 0;
};

// Streaming decode straight from the src list into the dst list. `step` is one call of a
// Decompressor::stream()-shaped function.
template <typename Step>
void stream_decode(Request* req, Step&& step) {
  Result& r = req->result;
  Pieces<ByteSpan> in(req->src);
  Pieces<MutableByteSpan> out(req->dst);
  uint32_t check = req->checksum_seed;
  size_t consumed = 0, produced = 0;
  for (;;) {
    const MutableByteSpan o = out.current();
    const CodecResult cr = step(in.current(), o);
    in.advance(cr.consumed);
    out.advance(cr.produced);
    consumed += cr.consumed;
    produced += cr.produced;
    check = checksum_of(req->framing, check, o.first(cr.produced));
    const bool progress = cr.consumed != 0 || cr.produced != 0;
    if (cr.status != Status::kOk && cr.status != Status::kOutputOverflow) {
      r.status = cr.status;
      return;
    }
    if (cr.end) {
      uint8_t magic[2];
      // gzip input may hold several members; a following member continues the output.
      if (req->framing == Framing::kGzip && in.peek(magic, 2) == 2 &&
          is_gzip_magic(ByteSpan(magic, 2))) {
        continue;
      }
      r.end = true;
      break;
    }
    if (cr.status == Status::kOutputOverflow) {
      if (out.done() || !progress) {
        r.status = Status::kOutputOverflow;
        return;
      }
      continue;
    }
    if (in.done() || !progress) {  // all input used and the stream has not ended: truncated
      r.status = Status::kBadData;
      return;
    }
  }
  r.consumed = consumed;
  r.produced = produced;
  r.checksum = check;
}

void decompress_streaming(Request* req, const EnginePlan& plan, ThreadContext& tc) {
  Result& r = req->result;
  if (wrapped(req->framing)) {
    FramedDecompressor* fd = tc.framed_decompressor(plan.engine, req->framing);
    if (fd == nullptr) {
      r.status = Status::kUnsupported;
      return;
    }
    fd->reset();
    stream_decode(req, [fd](ByteSpan i, MutableByteSpan o) { return fd->stream(i, o); });
    return;
  }
  Decompressor* d = tc.decompressor(plan.engine, plan.engine_framing);
  if (d == nullptr) {
    r.status = Status::kUnsupported;
    return;
  }
  d->reset();
  if (!req->dictionary.empty()) {
    if (Status s = d->set_dictionary(req->dictionary); s != Status::kOk) {
      r.status = s;
      return;
    }
  }
  stream_decode(req, [d](ByteSpan i, MutableByteSpan o) { return d->stream(i, o); });
}

void decompress(Request* req, const EnginePlan& plan, ThreadContext& tc) {
  if (plan.streaming) {
    decompress_streaming(req, plan, tc);
    return;
  }
  Result& r = req->result;
  Decompressor* d = tc.decompressor(plan.engine, plan.engine_framing);
  if (d == nullptr) {
    r.status = Status::kUnsupported;
    return;
  }
  const ByteSpan in = gather(req->src, tc.src_bounce);
  const bool direct = req->dst.size() == 1;
  const MutableByteSpan out = direct ? req->dst[0] : tc.dst_bounce.get(req->dst_size());
  uint32_t framed_check = 0;
  const CodecResult cr = wrapped(req->framing)
                             ? decompress_framed(*d, req->framing, in, out, &framed_check)
                             : d->decompress(in, out);
  if (cr.status != Status::kOk) {
    r.status = cr.status;
    return;
  }
  if (!direct) scatter(out.first(cr.produced), req->dst);
  r.consumed = cr.consumed;
  r.produced = cr.produced;
  r.end = cr.end;
  // The framing layer computed the checksum of everything it decoded (every gzip member) to
  // check the trailers; continuing it saves a second pass over the output.
  r.checksum = wrapped(req->framing)
                   ? continue_checksum(req->framing, req->checksum_seed, framed_check, cr.produced)
                   : checksum_of(req->framing, req->checksum_seed, out.first(cr.produced));
}

}  // namespace

void run_in_software(Request* req) {
  Result& r = req->result;
  r = Result{};
  r.device = "cpu";
  r.checksum = req->checksum_seed;
  EnginePlan plan;
  r.status = choose_engine(*req, &plan);
  if (r.status != Status::kOk) return;
  r.engine = plan.engine->caps().name;
  ThreadContext& tc = ThreadContext::get();
  if (req->op == Operation::kCompress) {
    compress(req, plan, tc);
  } else {
    decompress(req, plan, tc);
  }
  tc.src_bounce.trim();
  tc.dst_bounce.trim();
}

}  // namespace accz
