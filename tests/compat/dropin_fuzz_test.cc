// Differential fuzzing of the drop-in's deflate streams against stock zlib (issue 3).
//
// Each case draws a plan — data, level, strategy, windowBits, memLevel, a dictionary, and a
// sequence of segments (input length, input and output buffer sizes down to 1 byte, a flush
// mode) with deflateParams, deflatePrime, deflateCopy and deflateReset between them — and runs
// it on the drop-in and on stock zlib. What is asserted, on both (so a check that stock zlib
// fails is a wrong check, not a finding):
// - per call: next/avail/total move together; the return code is one zlib.h allows for that
//   flush (Z_BUF_ERROR only without progress; Z_STREAM_END only for Z_FINISH, with all input
//   consumed; Z_OK after Z_FINISH only with a full output buffer; otherwise Z_OK leaves the
//   input or the output buffer empty); adler is the Adler-32 (zlib) or CRC-32 (gzip) of the
//   input consumed, and stays 1 for raw deflate; nothing is pending once output space is left;
// - after each Z_SYNC_FLUSH, Z_FULL_FLUSH and Z_PARTIAL_FLUSH: the output so far inflates to
//   all of the input so far; after Z_FULL_FLUSH, the rest of the stream inflates on its own;
// - every finished stream inflates back to its input under stock zlib and under the drop-in,
//   consuming exactly the stream; a one-call Z_FINISH into deflateBound() bytes ends the
//   stream; the output of a deflateCopy() equals the original's from the copy on;
// - each finished stream is no larger than stock zlib's for the same plan; level 0 is zlib's
//   byte for byte, and with ACCZ_ZLIB_ENGINES=none everything is (the compat.fuzz.passthrough
//   run).
// Input and output buffers are fresh, exactly sized heap blocks for each call, scribbled and
// freed after it: an over-read, over-write or a pointer kept past the call is an ASan report.
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fuzz_case.h"
#include "fuzz_zlib.h"

namespace accz::fuzz {
namespace {

enum class Wrap { kRaw, kZlib, kGzip };

const char* wrap_name(Wrap w) {
  return w == Wrap::kRaw ? "raw" : (w == Wrap::kZlib ? "zlib" : "gzip");
}

enum class Before { kNone, kParams, kPrime, kCopy };

struct Step {
  Before before = Before::kNone;
  int level = 0, strategy = 0;  // kParams
  size_t len = 0;               // input bytes of this segment
  uInt in_chunk = 1, out_chunk = 1;
  int flush = Z_NO_FLUSH;
  bool bound_buffer = false;  // one call: all input, deflateBound() bytes of output
};

struct StreamPlan {
  Bytes data;
  Bytes dictionary;  // set right after init/reset when not empty
  std::vector<Step> steps;
  bool finish = true;
};

struct Plan {
  int level = Z_DEFAULT_COMPRESSION, window_bits = 15, mem_level = 8, strategy = Z_DEFAULT_STRATEGY;
  Wrap wrap = Wrap::kZlib;
  int bits = 15;  // window size log, for the log and verification
  bool changes_params = false;
  std::vector<StreamPlan> streams;
  std::string describe() const {
    char s[200];
    std::snprintf(s, sizeof s,
                  "level %d, %s windowBits %d (=%d), memLevel %d, strategy %d, %zu streams", level,
                  wrap_name(wrap), bits, window_bits, mem_level, strategy, streams.size());
    return s;
  }
};

int draw_flush(Rng& rng) {
  static const int kFlushes[] = {Z_NO_FLUSH,   Z_NO_FLUSH,   Z_NO_FLUSH,   Z_PARTIAL_FLUSH,
                                 Z_SYNC_FLUSH, Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_BLOCK};
  return rng.pick(kFlushes);
}

Plan draw_plan(Rng& rng) {
  Plan p;
  p.level = rng.range(-1, 9);
  p.strategy = rng.percent(55) ? Z_DEFAULT_STRATEGY : rng.range(0, 4);
  p.wrap = static_cast<Wrap>(rng.below(3));
  p.bits = rng.percent(50) ? 15 : rng.range(8, 15);
  p.mem_level = rng.percent(50) ? 8 : rng.range(1, 9);
  if (rng.percent(3)) {  // an invalid parameter: both must refuse it alike
    switch (rng.below(5)) {
      case 0:
        p.level = rng.pick({-2, 10});
        break;
      case 1:
        p.mem_level = rng.pick({0, 10});
        break;
      case 2:
        p.strategy = rng.pick({-1, 5});
        break;
      case 3:
        p.bits = rng.pick({7, 16});
        break;
      default:
        p.bits = 8;  // raw and gzip refuse 8; zlib turns it into 9
        break;
    }
  }
  // Engine-shaped plans: what a fast path can take (levels 1-6, default strategy, a full
  // window, no flushes but the last, 4 KiB or more); some are disturbed part way by a flush,
  // deflateParams or deflatePrime, which must move the stream to zlib at a valid boundary.
  const bool engine_shaped = rng.percent(45);
  const bool disturbed = engine_shaped && rng.percent(35);
  if (engine_shaped) {
    p.level = rng.range(0, 7) - 1;
    p.strategy = Z_DEFAULT_STRATEGY;
    p.bits = 15;
    p.mem_level = rng.percent(80) ? 8 : rng.range(1, 9);
  }
  p.window_bits = p.wrap == Wrap::kRaw ? -p.bits : (p.wrap == Wrap::kGzip ? p.bits + 16 : p.bits);

  const bool one_shot = rng.percent(20);
  const int streams = one_shot || rng.percent(80) ? 1 : rng.range(2, 3);
  bool copied = false;
  for (int i = 0; i < streams; ++i) {
    StreamPlan sp;
    sp.data = draw_data(rng, engine_shaped ? 4096 + draw_size(rng) : draw_size(rng));
    sp.finish = i + 1 == streams ? rng.percent(97) : rng.percent(80);
    if (rng.percent(engine_shaped ? 5 : 15))
      sp.dictionary = draw_data(rng, 1 + rng.below(rng.percent(50) ? 300 : 40000));
    if (one_shot) {
      Step st;
      st.len = sp.data.size();
      st.flush = Z_FINISH;
      st.bound_buffer = true;
      sp.steps.push_back(st);
      sp.finish = true;
      p.streams.push_back(std::move(sp));
      continue;
    }
    const int segments = rng.percent(25) ? 1 : rng.range(2, 8);
    const int disturb_at = disturbed ? rng.range(0, segments - 1) : -1;
    std::vector<size_t> cuts;
    for (int c = 1; c < segments; ++c) cuts.push_back(rng.below(sp.data.size() + 1));
    cuts.push_back(0);
    cuts.push_back(sp.data.size());
    std::sort(cuts.begin(), cuts.end());
    // An abandoned stream stops part way and is reset.
    const size_t stop = sp.finish ? cuts.size() - 1 : std::max<size_t>(1, rng.below(cuts.size()));
    for (size_t c = 0; c < stop; ++c) {
      Step st;
      st.len = cuts[c + 1] - cuts[c];
      st.in_chunk = draw_chunk(rng, sp.data.size());
      st.out_chunk = draw_chunk(rng, sp.data.size());
      const bool last = sp.finish && c + 1 == stop;
      st.flush = last ? Z_FINISH : (engine_shaped ? Z_NO_FLUSH : draw_flush(rng));
      if (static_cast<int>(c) == disturb_at && !last) st.flush = draw_flush(rng);
      if ((!engine_shaped || static_cast<int>(c) == disturb_at || rng.percent(5)) &&
          (c > 0 || i > 0 || p.wrap == Wrap::kRaw)) {
        const uint64_t r = rng.below(100);
        if (r < 10) {
          st.before = Before::kParams;
          st.level = rng.range(-1, 9);
          st.strategy = rng.percent(60) ? p.strategy : rng.range(0, 4);
          p.changes_params = true;
        } else if (r < 15 && (c > 0 || p.wrap == Wrap::kRaw)) {
          // Before the first deflate() the bits would precede a zlib or gzip header.
          st.before = Before::kPrime;
        } else if (r < 20 && !copied) {
          st.before = Before::kCopy;
          copied = true;
        }
      }
      sp.steps.push_back(st);
      if (rng.percent(8) && !last) {  // a flush with no new input, possibly a repeat
        Step empty = st;
        empty.before = Before::kNone;
        empty.len = 0;
        empty.flush = rng.percent(50) ? st.flush : draw_flush(rng);
        sp.steps.push_back(empty);
      }
    }
    p.streams.push_back(std::move(sp));
  }
  return p;
}

// One stream's results in one run.
struct StreamOut {
  Bytes out;
  size_t fed = 0;  // input bytes consumed
  uLong check = 0;
  bool ended = false;
  bool dictionary_set = false;
  size_t full_flush_out = SIZE_MAX, full_flush_in = 0;
};

// Runs a plan on one zlib. Failures are reported with gtest's ADD_FAILURE and stop the run.
class DeflateRun {
 public:
  DeflateRun(const ZlibApi& api, const Plan& plan) : api_(api), plan_(plan) {}

  // Returns the init return code (the run stops unless it is Z_OK).
  int start() {
    strm_ = std::make_unique<z_stream>();
    *strm_ = z_stream{};
    const int rc = api_.deflate_init(strm_.get(), plan_.level, plan_.window_bits, plan_.mem_level,
                                     plan_.strategy);
    log_.add("%s deflateInit2(%s) = %s", api_.name.c_str(), plan_.describe().c_str(), rc_name(rc));
    if (rc != Z_OK) strm_.reset();
    return rc;
  }

  void run() { run_from(0, 0, true); }

  void finish() {
    if (strm_ == nullptr) return;
    const int rc = api_.deflateEnd(strm_.get());
    log_.add("deflateEnd = %s", rc_name(rc));
    if (rc != Z_OK && rc != Z_DATA_ERROR) fail("deflateEnd returned %s", rc_name(rc));
    strm_.reset();
  }

  bool failed() const { return failed_; }
  bool bound_missed() const { return bound_missed_; }
  const OpLog& log() const { return log_; }
  const std::vector<StreamOut>& streams() const { return outs_; }
  // The comparison of a deflateCopy()'s output with its original's, if the plan made one.
  const std::optional<std::string>& copy_mismatch() const { return copy_mismatch_; }

 private:
  void fail(const char* format, ...) __attribute__((format(printf, 2, 3))) {
    char msg[600];
    va_list ap;
    va_start(ap, format);
    std::vsnprintf(msg, sizeof msg, format, ap);
    va_end(ap);
    log_.add("FAIL (%s): %s", api_.name.c_str(), msg);
    ADD_FAILURE() << api_.name << ": " << msg;
    failed_ = true;
  }

  uLong initial_check() const { return plan_.wrap == Wrap::kGzip ? 0 : 1; }

  void begin_stream(size_t si) {
    if (si > 0) {
      const int rc = api_.deflateReset(strm_.get());
      log_.add("deflateReset = %s", rc_name(rc));
      if (rc != Z_OK) return fail("deflateReset returned %s", rc_name(rc));
    }
    outs_.emplace_back();
    StreamOut& so = outs_.back();
    so.check = initial_check();
    if (strm_->adler != initial_check())
      return fail("adler %#lx after init/reset, expected %#lx", strm_->adler, initial_check());
    const Bytes& dict = plan_.streams[si].dictionary;
    if (dict.empty()) return;
    const int rc =
        api_.deflateSetDictionary(strm_.get(), dict.data(), static_cast<uInt>(dict.size()));
    log_.add("deflateSetDictionary(%zu bytes) = %s adler %#lx", dict.size(), rc_name(rc),
             strm_->adler);
    if (plan_.wrap == Wrap::kGzip) {
      if (rc != Z_STREAM_ERROR) fail("deflateSetDictionary on gzip returned %s", rc_name(rc));
      return;
    }
    if (rc != Z_OK) return fail("deflateSetDictionary returned %s", rc_name(rc));
    so.dictionary_set = true;
    const uLong dictid = api_.adler32_z(1, dict.data(), dict.size());
    if (plan_.wrap == Wrap::kZlib && strm_->adler != dictid)
      fail("adler %#lx after deflateSetDictionary, expected the dictionary's %#lx", strm_->adler,
           dictid);
    if (plan_.wrap == Wrap::kRaw && strm_->adler != 1)
      fail("raw stream's adler changed to %#lx by deflateSetDictionary", strm_->adler);
    if (plan_.wrap == Wrap::kZlib) so.check = 1;
  }

  // One deflate() call: `buf` is the rest of the caller's exactly sized input chunk (a copy
  // of `in`), the output a fresh exactly sized block.
  int call(StreamOut& so, Bytef* buf, const Bytef* in, uInt in_len, uInt out_len, int flush,
           uInt* consumed) {
    z_stream& s = *strm_;
    std::unique_ptr<Bytef[]> ob(new Bytef[out_len]);
    s.next_in = buf;
    s.avail_in = in_len;
    s.next_out = ob.get();
    s.avail_out = out_len;
    const uLong tin = s.total_in, tout = s.total_out;
    const int rc = api_.deflate(&s, flush);
    const uInt used = in_len - s.avail_in, made = out_len - s.avail_out;
    log_.add("deflate(in %u, out %u, %s) = %s used %u made %u total %lu/%lu adler %#lx", in_len,
             out_len, flush_name(flush), rc_name(rc), used, made, s.total_in, s.total_out, s.adler);
    *consumed = used;
    if (s.avail_in > in_len || s.avail_out > out_len) {
      fail("avail_in/avail_out grew");
      return rc;
    }
    so.out.insert(so.out.end(), ob.get(), ob.get() + made);
    if (used > 0) {
      if (plan_.wrap == Wrap::kZlib) so.check = api_.adler32_z(so.check, in, used);
      if (plan_.wrap == Wrap::kGzip) so.check = api_.crc32_z(so.check, in, used);
    }
    so.fed += used;

    if (s.next_in != buf + used || s.next_out != ob.get() + made)
      fail("next_in/next_out do not match avail_in/avail_out");
    if (s.total_in - tin != used || s.total_out - tout != made)
      fail("total_in/total_out moved by %lu/%lu, avail by %u/%u", s.total_in - tin,
           s.total_out - tout, used, made);
    switch (rc) {
      case Z_OK:
        if (flush == Z_FINISH && s.avail_out != 0)
          fail("Z_OK for Z_FINISH with %u bytes of output space left", s.avail_out);
        if (s.avail_in != 0 && s.avail_out != 0)
          fail("Z_OK with both input (%u) and output space (%u) left", s.avail_in, s.avail_out);
        break;
      case Z_STREAM_END:
        if (flush != Z_FINISH) fail("Z_STREAM_END for %s", flush_name(flush));
        if (s.avail_in != 0) fail("Z_STREAM_END with %u input bytes left", s.avail_in);
        so.ended = true;
        break;
      case Z_BUF_ERROR:
        if (used != 0 || made != 0) fail("Z_BUF_ERROR after progress (%u in, %u out)", used, made);
        break;
      default:
        fail("deflate returned %s (%s)", rc_name(rc), s.msg ? s.msg : "no msg");
    }
    const uLong want = plan_.wrap == Wrap::kRaw ? 1 : so.check;
    if (s.adler != want) fail("adler %#lx, expected %#lx", s.adler, want);
    if (s.avail_out > 0) {
      unsigned pending = 0;
      int bits = 0;
      const int prc = api_.deflatePending(&s, &pending, &bits);
      if (prc != Z_OK || pending != 0)
        fail("deflatePending = %s, %u bytes, with %u bytes of output space left", rc_name(prc),
             pending, s.avail_out);
      if (rc == Z_STREAM_END && bits != 0) fail("%d bits pending after Z_STREAM_END", bits);
    }
    return rc;
  }

  // Feeds one segment, zpipe-style: each input chunk until it is consumed and, for a flush,
  // until the flush has completed (output space left over).
  void segment(size_t si, const Step& st, size_t& pos) {
    const Bytes& data = plan_.streams[si].data;
    StreamOut& so = outs_[si];
    const size_t end = pos + st.len;
    do {
      const size_t take = std::min<size_t>(end - pos, st.bound_buffer ? st.len : st.in_chunk);
      const int flush = pos + take == end ? st.flush : Z_NO_FLUSH;
      std::unique_ptr<Bytef[]> chunk(new Bytef[take]);
      if (take > 0) std::memcpy(chunk.get(), data.data() + pos, take);
      size_t left = take;
      int stuck = 0;
      for (;;) {
        uInt out_len = st.out_chunk;
        // zlib.h: "make sure that avail_out is greater than six to avoid repeated flush
        // markers due to avail_out == 0 on return" (each call would add another marker).
        if (flush != Z_NO_FLUSH && flush != Z_FINISH) out_len = std::max<uInt>(out_len, 7);
        if (st.bound_buffer) {
          out_len = static_cast<uInt>(api_.deflateBound(strm_.get(), st.len));
          log_.add("deflateBound(%zu) = %u", st.len, out_len);
        }
        uInt used = 0;
        const size_t made_before = so.out.size();
        const int rc = call(so, chunk.get() + (take - left), data.data() + pos,
                            static_cast<uInt>(left), out_len, flush, &used);
        if (failed_) return;
        // Compared with stock zlib by the caller: zlib 1.2.13's own bound is short for
        // stored blocks with small windows (level 0, windowBits 9: 11 bytes for 7).
        if (st.bound_buffer && rc != Z_STREAM_END && !bound_missed_) {
          bound_missed_ = true;
          log_.add("one Z_FINISH call into deflateBound() bytes returned %s", rc_name(rc));
        }
        pos += used;
        left -= used;
        const bool full = strm_->avail_out == 0;
        if (rc == Z_STREAM_END) break;
        if (flush == Z_FINISH) {
          // keep going until Z_STREAM_END
        } else if (left == 0 && !full) {
          break;
        }
        stuck = (used == 0 && so.out.size() == made_before) ? stuck + 1 : 0;
        if (++calls_ > 2000000) return fail("more than 2,000,000 deflate() calls: runaway output");
        if (stuck > 3) return fail("no progress in 4 calls with %zu input bytes left", left);
      }
      std::memset(chunk.get(), 0xa5, take);  // a pointer kept past the calls reads garbage
    } while (pos < end);
    if (so.ended) return;
    if (st.flush == Z_SYNC_FLUSH || st.flush == Z_FULL_FLUSH || st.flush == Z_PARTIAL_FLUSH)
      check_prefix(si, pos);
    if (st.flush == Z_FULL_FLUSH) {
      so.full_flush_out = so.out.size();
      so.full_flush_in = pos;
    }
    check_window(si, pos);
  }

  // zlib.h: deflateGetDictionary returns "the sliding dictionary being maintained by deflate":
  // at most a window (zlib turns windowBits 8 into 9), never more than it was given.
  void check_window(size_t si, size_t pos) {
    Bytes w(32768);
    uInt n = 0;
    const int rc = api_.deflateGetDictionary(strm_.get(), w.data(), &n);
    if (rc != Z_OK) return fail("deflateGetDictionary returned %s", rc_name(rc));
    const size_t given = pos + (outs_[si].dictionary_set ? plan_.streams[si].dictionary.size() : 0);
    if (n > (1u << std::max(plan_.bits, 9)) || n > given)
      fail("deflateGetDictionary: %u bytes, after %zu bytes of dictionary and input", n, given);
  }

  // After a sync, full or partial flush, everything consumed so far is decodable.
  void check_prefix(size_t si, size_t pos) {
    const StreamOut& so = outs_[si];
    const Bytes& data = plan_.streams[si].data;
    const Inflated r = inflate_whole(stock(), so.out, verify_bits(), pos + 64,
                                     so.dictionary_set ? plan_.streams[si].dictionary : Bytes{});
    if ((r.rc != Z_OK && r.rc != Z_BUF_ERROR) || r.out.size() != pos ||
        !std::equal(r.out.begin(), r.out.end(), data.begin()))
      fail(
          "after a flush, the %zu bytes of output so far inflate (stock) to %zu bytes (%s), "
          "not the %zu bytes of input so far",
          so.out.size(), r.out.size(), rc_name(r.rc), pos);
  }

  int verify_bits() const {
    return plan_.wrap == Wrap::kRaw ? -15 : (plan_.wrap == Wrap::kGzip ? 31 : 15);
  }

  void params(const Step& st) {
    for (int tries = 0;; ++tries) {
      StreamOut& so = outs_.back();
      std::unique_ptr<Bytef[]> ob(new Bytef[st.out_chunk]);
      strm_->next_in = nullptr;
      strm_->avail_in = 0;
      strm_->next_out = ob.get();
      strm_->avail_out = st.out_chunk;
      const uLong tout = strm_->total_out;
      const int rc = api_.deflateParams(strm_.get(), st.level, st.strategy);
      const uInt made = st.out_chunk - strm_->avail_out;
      log_.add("deflateParams(%d, %d) out %u = %s made %u", st.level, st.strategy, st.out_chunk,
               rc_name(rc), made);
      if (strm_->next_out != ob.get() + made || strm_->total_out - tout != made)
        return fail("deflateParams: next_out/total_out do not match avail_out");
      so.out.insert(so.out.end(), ob.get(), ob.get() + made);
      if (rc == Z_OK) return;
      if (rc != Z_BUF_ERROR) return fail("deflateParams returned %s", rc_name(rc));
      if (tries > 100000) return fail("deflateParams: Z_BUF_ERROR forever");
    }
  }

  void prime(size_t si) {
    // An empty fixed-code, non-final block (BFINAL 0, BTYPE 01, end-of-block code): 10 bits
    // that leave the stream valid at any block boundary.
    const int rc = api_.deflatePrime(strm_.get(), 10, 2);
    log_.add("deflatePrime(10, 2) = %s", rc_name(rc));
    if (rc != Z_OK) fail("deflatePrime returned %s", rc_name(rc));
    (void)si;
  }

  void copy_and_compare(size_t si, size_t step, size_t pos) {
    auto copy = std::make_unique<z_stream>();
    *copy = z_stream{};
    const int rc = api_.deflateCopy(copy.get(), strm_.get());
    log_.add("deflateCopy = %s", rc_name(rc));
    if (rc != Z_OK) return fail("deflateCopy returned %s", rc_name(rc));
    // The original runs the rest of the plan first; then the copy, which must give the same.
    DeflateRun original(api_, plan_);
    original.strm_ = std::move(strm_);
    original.outs_ = outs_;
    original.log_.add("(the original, after deflateCopy)");
    original.continue_from(si, step, pos, false);
    original.finish();
    strm_ = std::move(copy);
    log_.add("(the copy)");
    continue_from(si, step, pos, false);
    if (original.failed_) {
      for (const std::string& l : original.log_.lines()) log_.add("  orig: %s", l.c_str());
      failed_ = true;
      return;
    }
    for (size_t i = 0; i < outs_.size() && i < original.outs_.size(); ++i) {
      if (outs_[i].out != original.outs_[i].out) {
        copy_mismatch_ = "stream " + std::to_string(i) + ": copy gave " +
                         std::to_string(outs_[i].out.size()) + " bytes, original " +
                         std::to_string(original.outs_[i].out.size());
        fail("deflateCopy: %s", copy_mismatch_->c_str());
      }
    }
  }

  void run_from(size_t si, size_t step, bool allow_copy) {
    for (; si < plan_.streams.size(); ++si, step = 0) {
      if (step == 0) begin_stream(si);
      if (failed_) return;
      size_t pos = 0;
      if (continue_stream(si, step, pos, allow_copy)) return;  // a copy ran the rest
      if (failed_) return;
      verify_stream(si);
      if (failed_) return;
    }
  }

  // Continues after a copy: the rest of stream si from step, then the later streams.
  void continue_from(size_t si, size_t step, size_t pos, bool allow_copy) {
    continue_stream(si, step, pos, allow_copy);
    if (failed_) return;
    verify_stream(si);
    if (failed_) return;
    run_from(si + 1, 0, allow_copy);
  }

  // Returns true when a deflateCopy() took over and the rest of the plan has run.
  bool continue_stream(size_t si, size_t step, size_t& pos, bool allow_copy) {
    const StreamPlan& sp = plan_.streams[si];
    if (step > 0) {
      for (size_t k = 0; k < step; ++k) pos += sp.steps[k].len;
    }
    for (size_t k = step; k < sp.steps.size(); ++k) {
      const Step& st = sp.steps[k];
      switch (st.before) {
        case Before::kParams:
          params(st);
          break;
        case Before::kPrime:
          prime(si);
          break;
        case Before::kCopy:
          if (allow_copy) {
            // Steps k.. run on both; kCopy is not repeated (allow_copy is false there).
            copy_and_compare(si, k, 0);
            return true;
          }
          break;
        case Before::kNone:
          break;
      }
      if (failed_) return false;
      segment(si, st, pos);
      if (failed_) return false;
    }
    return false;
  }

  void verify_stream(size_t si) {
    const StreamPlan& sp = plan_.streams[si];
    StreamOut& so = outs_[si];
    if (!sp.finish) return;
    if (!so.ended) return fail("stream %zu: the plan finished but no Z_STREAM_END", si);
    if (so.fed != sp.data.size())
      return fail("stream %zu: consumed %zu of %zu", si, so.fed, sp.data.size());
    const Bytes& dict = so.dictionary_set ? sp.dictionary : Bytes{};
    for (const ZlibApi* api : {&stock(), &dropin()}) {
      for (int bits : {verify_bits(), plan_.wrap == Wrap::kRaw ? -15 : 47}) {
        const Inflated r = inflate_whole(*api, so.out, bits, sp.data.size(), dict);
        if (r.rc != Z_STREAM_END || r.out != sp.data || r.consumed != so.out.size())
          return fail(
              "stream %zu (%zu bytes) inflated by %s (windowBits %d): %s, %zu bytes, "
              "%lu consumed; want the %zu input bytes",
              si, so.out.size(), api->name.c_str(), bits, rc_name(r.rc), r.out.size(), r.consumed,
              sp.data.size());
      }
    }
    if (so.full_flush_out != SIZE_MAX) {
      const Bytes tail(so.out.begin() + static_cast<ptrdiff_t>(so.full_flush_out), so.out.end());
      const Inflated r = inflate_whole(stock(), tail, -15, sp.data.size() - so.full_flush_in);
      if (r.rc != Z_STREAM_END || r.out.size() != sp.data.size() - so.full_flush_in ||
          !std::equal(r.out.begin(), r.out.end(),
                      sp.data.begin() + static_cast<ptrdiff_t>(so.full_flush_in)))
        fail(
            "stream %zu: the output after the last Z_FULL_FLUSH does not inflate on its own "
            "(%s, %zu bytes)",
            si, rc_name(r.rc), r.out.size());
    }
  }

  const ZlibApi& api_;
  const Plan& plan_;
  std::unique_ptr<z_stream> strm_;
  std::vector<StreamOut> outs_;
  OpLog log_;
  size_t calls_ = 0;
  bool bound_missed_ = false;
  bool failed_ = false;
  std::optional<std::string> copy_mismatch_;
};

std::string case_report(uint64_t seed, const Plan& plan, const DeflateRun& a, const DeflateRun& b) {
  return "case seed " + std::to_string(seed) + " (replay: ACCZ_FUZZ_SEED=" + std::to_string(seed) +
         " ACCZ_FUZZ_ITERS=1 --gtest_filter=*" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() +
         ")\nplan: " + plan.describe() + "\n" + a.log().str() + "---\n" + b.log().str();
}

// Runs one case on both zlibs and compares them. Returns false when it failed.
bool deflate_case(uint64_t seed) {
  Rng rng(seed);
  const Plan plan = draw_plan(rng);
  DeflateRun ours(dropin(), plan), theirs(stock(), plan);
  const int rc_ours = ours.start(), rc_theirs = theirs.start();
  bool ok = true;
  if (rc_ours != rc_theirs) {
    ADD_FAILURE() << "deflateInit2 returned " << rc_name(rc_ours) << ", stock zlib "
                  << rc_name(rc_theirs);
    ok = false;
  }
  if (ok && rc_ours == Z_OK) {
    ours.run();
    theirs.run();
    ours.finish();
    theirs.finish();
    ok = !ours.failed() && !theirs.failed();
    if (ours.bound_missed() && !theirs.bound_missed()) {
      ADD_FAILURE() << "one Z_FINISH call into deflateBound() bytes did not end the stream; "
                       "stock zlib's did";
      ok = false;
    }
    const bool exact = exact_mode() || (plan.level == 0 && !plan.changes_params);
    // deflateParams may take a stream to a level an engine serves.
    const bool promised = size_promised(plan.level) && (!plan.changes_params || size_promised(1));
    for (size_t i = 0; ok && i < plan.streams.size(); ++i) {
      if (!plan.streams[i].finish || i >= ours.streams().size() || i >= theirs.streams().size())
        continue;
      const Bytes& a = ours.streams()[i].out;
      const Bytes& b = theirs.streams()[i].out;
      if (a.size() > b.size() && !promised) {
        size_excess("deflate stream", seed, plan.level, a.size(), b.size());
      } else if (a.size() > b.size()) {
        ADD_FAILURE() << "stream " << i << ": " << a.size() << " bytes, larger than stock zlib's "
                      << b.size();
        ok = false;
      }
      if (exact && a != b) {
        ADD_FAILURE() << "stream " << i << ": not zlib's output byte for byte (" << a.size()
                      << " vs " << b.size() << " bytes)";
        ok = false;
      }
    }
    const auto& la = ours.log().lines();
    const auto& lb = theirs.log().lines();
    if (ok && exact_mode() && !std::equal(la.begin() + 1, la.end(), lb.begin() + 1, lb.end())) {
      ADD_FAILURE() << "ACCZ_ZLIB_ENGINES=none: a different call sequence from stock zlib's";
      ok = false;
    }
  }
  if (!ok) {
    ADD_FAILURE() << case_report(seed, plan, ours, theirs);
    // ACCZ_FUZZ_DUMP=DIR: the failing case's input data, one file per stream, for reproducers.
    if (const char* dir = std::getenv("ACCZ_FUZZ_DUMP"); dir != nullptr) {
      for (size_t i = 0; i < plan.streams.size(); ++i) {
        const std::string path =
            std::string(dir) + "/seed-" + std::to_string(seed) + "-stream-" + std::to_string(i);
        if (FILE* f = std::fopen(path.c_str(), "wb")) {
          std::fwrite(plan.streams[i].data.data(), 1, plan.streams[i].data.size(), f);
          std::fclose(f);
        }
      }
    }
  }
  return ok;
}

TEST(DropinFuzz, DeflateStreamsAgreeWithZlibsContract) {
  const int iters = fuzz_iterations(150);
  const uint64_t base = fuzz_base_seed();
  std::printf("deflate fuzz: %d cases from seed %llu%s\n", iters,
              static_cast<unsigned long long>(base), exact_mode() ? " (exact mode)" : "");
  for (int i = 0; i < iters; ++i) {
    if (!deflate_case(base + static_cast<uint64_t>(i)) && !keep_going()) return;
  }
}

// Streams on several threads at once: the drop-in's routing state is per stream, and its
// first use and engine pools are shared.
TEST(DropinFuzz, DeflateStreamsOnFourThreads) {
  const int iters = std::max(4, fuzz_iterations(150) / 8);
  const uint64_t base = fuzz_base_seed() + 1000000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([=] {
      for (int i = t; i < iters; i += 4)
        if (!deflate_case(base + static_cast<uint64_t>(i)) && !keep_going()) return;
    });
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace
}  // namespace accz::fuzz
