// Differential fuzzing of the drop-in's inflate streams against stock zlib (issue 3).
//
// Valid streams: stock zlib (or the drop-in) compresses generated data with random parameters —
// raw, zlib or gzip (with a gzip header carrying name, comment, extra and header CRC), a
// dictionary, trailing bytes after the stream — and each zlib inflates it under the same random
// schedule of input/output buffer sizes (down to 1 byte) and flush modes (Z_NO_FLUSH,
// Z_SYNC_FLUSH, Z_BLOCK, Z_TREES, Z_FINISH), with inflateCopy, inflateReset and inflateReset2
// part way. Asserted on both: next/avail/total move together; Z_OK only with progress and, except
// at a Z_BLOCK/Z_TREES stop, with the input or the output space used up; Z_BUF_ERROR without
// Z_FINISH only without progress; never Z_OK for Z_FINISH; Z_NEED_DICT with the dictionary's
// Adler-32; output always a prefix of the data; Z_STREAM_END exactly when all of it is out, with
// the stream consumed exactly (trailing bytes left in avail_in); then the same outcome, output,
// bytes consumed, adler, data_type and gzip header as stock zlib.
//
// Corrupt streams: bit flips, byte changes and truncation; inflate (one call and chunked) must
// reach the same verdict as stock zlib — the same output and length consumed when both end, a
// message with Z_DATA_ERROR — and never read or write out of bounds (exact buffers, ASan).
// uncompress2 on the same input must match stock's return code, lengths and bytes exactly.
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fuzz_case.h"
#include "fuzz_zlib.h"

namespace accz::fuzz {
namespace {

enum class Wrap { kRaw, kZlib, kGzip };

struct Source {
  Wrap wrap = Wrap::kZlib;
  int level = 6, bits = 15, mem_level = 8, strategy = 0;
  Bytes data, dictionary, stream;
  size_t stream_len = 0;  // the first stream's length; trailing bytes follow
  bool header = false;    // a gzip header with fields
  std::string describe() const {
    char s[200];
    std::snprintf(s, sizeof s,
                  "%s level %d bits %d memLevel %d strategy %d, %zu data bytes, %zu+%zu "
                  "stream bytes, dictionary %zu, gzip header %d",
                  wrap == Wrap::kRaw ? "raw" : (wrap == Wrap::kZlib ? "zlib" : "gzip"), level, bits,
                  mem_level, strategy, data.size(), stream_len, stream.size() - stream_len,
                  dictionary.size(), header);
    return s;
  }
};

int deflate_bits(const Source& s) {
  return s.wrap == Wrap::kRaw ? -s.bits : (s.wrap == Wrap::kGzip ? s.bits + 16 : s.bits);
}

// Compresses src.data into src.stream with `api` in one call.
bool make_stream(const ZlibApi& api, Source& src, Rng& rng) {
  z_stream s{};
  if (api.deflate_init(&s, src.level, deflate_bits(src), src.mem_level, src.strategy) != Z_OK)
    return false;
  gz_header h{};
  std::string name = "name-" + std::to_string(rng.below(100000)), comment(rng.below(300), 'c');
  Bytes extra = draw_data(rng, rng.below(100));
  if (src.header) {
    h.text = static_cast<int>(rng.below(2));
    h.time = static_cast<uLong>(rng.below(1u << 31));
    h.os = static_cast<int>(rng.below(14));
    h.extra = extra.data();
    h.extra_len = static_cast<uInt>(extra.size());
    h.name = reinterpret_cast<Bytef*>(name.data());
    h.comment = reinterpret_cast<Bytef*>(comment.data());
    h.hcrc = static_cast<int>(rng.below(2));
    api.deflateSetHeader(&s, &h);
  }
  if (!src.dictionary.empty())
    api.deflateSetDictionary(&s, src.dictionary.data(), static_cast<uInt>(src.dictionary.size()));
  src.stream.resize(api.deflateBound(&s, src.data.size()) + 1024);
  s.next_in = src.data.data();
  s.avail_in = static_cast<uInt>(src.data.size());
  s.next_out = src.stream.data();
  s.avail_out = static_cast<uInt>(src.stream.size());
  const int rc = api.deflate(&s, Z_FINISH);
  src.stream.resize(s.total_out);
  src.stream_len = s.total_out;
  api.deflateEnd(&s);
  return rc == Z_STREAM_END;
}

Source draw_source(Rng& rng, size_t max_size) {
  Source src;
  src.wrap = static_cast<Wrap>(rng.below(3));
  src.level = rng.range(0, 9);
  src.strategy = rng.percent(60) ? 0 : rng.range(0, 4);
  src.bits = rng.percent(50) ? 15 : rng.range(9, 15);
  src.mem_level = rng.percent(50) ? 8 : rng.range(1, 9);
  src.data = draw_data(rng, std::min(draw_size(rng), max_size));
  if (src.wrap != Wrap::kGzip && rng.percent(15))
    src.dictionary = draw_data(rng, 1 + rng.below(rng.percent(50) ? 200 : 40000));
  src.header = src.wrap == Wrap::kGzip && rng.percent(50);
  // The drop-in's own output must inflate the same way; most streams are stock zlib's.
  if (!make_stream(rng.percent(30) ? dropin() : stock(), src, rng)) src.stream.clear();
  if (rng.percent(30)) {
    const Bytes tail = draw_data(rng, 1 + rng.below(200));
    src.stream.insert(src.stream.end(), tail.begin(), tail.end());
  }
  return src;
}

// The windowBits an inflater may use for this source.
int draw_inflate_bits(Rng& rng, const Source& src) {
  switch (src.wrap) {
    case Wrap::kRaw:
      return -rng.range(src.bits, 15);
    case Wrap::kZlib: {
      const int options[] = {0, 15, 47, rng.range(src.bits, 15), rng.range(src.bits, 15) + 32};
      return options[rng.below(5)];
    }
    default:
      return rng.percent(50) ? 31 : 47;
  }
}

struct Outcome {
  int rc = Z_OK;  // the last return code
  Bytes out;
  size_t consumed = 0;  // of the stream, by next_in
  uLong adler = 0;
  int data_type = 0;
  uLong total_in = 0, total_out = 0;
  bool ended = false;
  // gzip header as inflateGetHeader filled it
  int hdone = 0, htext = 0, hos = 0, hhcrc = 0;
  uLong htime = 0;
  uInt hextra_len = 0;
  std::string hname, hcomment;
  Bytes hextra;
  Bytes window;  // inflateGetDictionary() at the end
  // zlib leaves the header bytes read in the call that returns Z_NEED_DICT out of total_in, so
  // total_in then depends on how the input was cut, which differs between the two zlibs.
  bool needed_dictionary = false;
};

enum class Action { kNone, kCopy, kReset, kReset2 };

// Runs the inflate schedule drawn from `seed` on one zlib.
class InflateRun {
 public:
  InflateRun(const ZlibApi& api, const Source& src, uint64_t seed, bool check_data)
      : api_(api), src_(src), rng_(seed), check_data_(check_data) {
    // The header buffers' sizes (some too small: zlib truncates) are drawn once, so that a
    // restart after inflateReset, which one zlib may reach and the other not, reuses them.
    extra_.assign(rng_.percent(50) ? 200 : rng_.below(40), 0);
    name_.assign(rng_.percent(50) ? 64 : 1 + rng_.below(8), 0);
    comment_.assign(rng_.percent(50) ? 400 : 1 + rng_.below(8), 0);
  }

  int start(int bits) {
    bits_ = bits;
    strm_ = std::make_unique<z_stream>();
    *strm_ = z_stream{};
    const int rc = api_.inflate_init(strm_.get(), bits);
    log_.add("%s inflateInit2(%d) = %s", api_.name.c_str(), bits, rc_name(rc));
    if (rc != Z_OK) {
      strm_.reset();
      return rc;
    }
    begin();
    return rc;
  }

  void run(bool allow_actions) {
    const int action_at = allow_actions && rng_.percent(30) ? static_cast<int>(rng_.below(40)) : -1;
    const Action action = action_at < 0 ? Action::kNone : static_cast<Action>(rng_.range(1, 3));
    for (int calls = 0; !failed_ && !done_; ++calls) {
      if (calls == action_at) {
        if (act(action)) return;
      }
      step();
      if (calls > 4000000) fail("more than 4,000,000 inflate() calls");
    }
  }

  void finish() {
    if (strm_ == nullptr) return;
    const int rc = api_.inflateEnd(strm_.get());
    if (rc != Z_OK) fail("inflateEnd returned %s", rc_name(rc));
    strm_.reset();
  }

  bool failed() const { return failed_; }
  const Outcome& outcome() const { return out_; }
  const OpLog& log() const { return log_; }

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

  // (Re)starts decoding the stream from its first byte.
  void begin() {
    Outcome fresh;
    out_ = fresh;
    pos_ = 0;
    if (src_.header) {
      header_ = gz_header{};
      std::fill(extra_.begin(), extra_.end(), 0);
      std::fill(name_.begin(), name_.end(), 0);
      std::fill(comment_.begin(), comment_.end(), 0);
      header_.extra = extra_.data();
      header_.extra_max = static_cast<uInt>(extra_.size());
      header_.name = name_.data();
      header_.name_max = static_cast<uInt>(name_.size());
      header_.comment = comment_.data();
      header_.comm_max = static_cast<uInt>(comment_.size());
      const int rc = api_.inflateGetHeader(strm_.get(), &header_);
      log_.add("inflateGetHeader(extra_max %u, name_max %u, comm_max %u) = %s", header_.extra_max,
               header_.name_max, header_.comm_max, rc_name(rc));
      if (rc != Z_OK) fail("inflateGetHeader returned %s", rc_name(rc));
    }
    if (bits_ < 0 && !src_.dictionary.empty()) {
      const int rc = api_.inflateSetDictionary(strm_.get(), src_.dictionary.data(),
                                               static_cast<uInt>(src_.dictionary.size()));
      log_.add("inflateSetDictionary (raw, %zu bytes) = %s", src_.dictionary.size(), rc_name(rc));
      if (rc != Z_OK) fail("raw inflateSetDictionary returned %s", rc_name(rc));
    }
  }

  // Returns true when a copy took over the rest of the run.
  bool act(Action action) {
    switch (action) {
      case Action::kCopy: {
        auto copy = std::make_unique<z_stream>();
        *copy = z_stream{};
        const int rc = api_.inflateCopy(copy.get(), strm_.get());
        log_.add("inflateCopy = %s", rc_name(rc));
        if (rc != Z_OK) {
          fail("inflateCopy returned %s", rc_name(rc));
          return true;
        }
        InflateRun original(api_, src_, 0, check_data_);
        original.rng_ = rng_;
        original.strm_ = std::move(strm_);
        original.out_ = out_;
        original.pos_ = pos_;
        original.bits_ = bits_;
        original.run(false);
        original.finish();
        strm_ = std::move(copy);
        log_.add("(the copy)");
        run(false);
        if (original.failed_) {
          for (const std::string& l : original.log_.lines()) log_.add("  orig: %s", l.c_str());
          failed_ = true;
        } else if (original.out_.out != out_.out || original.out_.rc != out_.rc ||
                   original.out_.consumed != out_.consumed) {
          fail("inflateCopy: the copy gave %s with %zu bytes, the original %s with %zu",
               rc_name(out_.rc), out_.out.size(), rc_name(original.out_.rc),
               original.out_.out.size());
        }
        return true;
      }
      case Action::kReset: {
        const int rc = api_.inflateReset(strm_.get());
        log_.add("inflateReset = %s; restart", rc_name(rc));
        if (rc != Z_OK) fail("inflateReset returned %s", rc_name(rc));
        begin();
        return false;
      }
      case Action::kReset2: {
        const int bits = draw_inflate_bits(rng_, src_);
        const int rc = api_.inflateReset2(strm_.get(), bits);
        log_.add("inflateReset2(%d) = %s; restart", bits, rc_name(rc));
        if (rc != Z_OK && bits != 0) fail("inflateReset2(%d) returned %s", bits, rc_name(rc));
        if (rc == Z_OK) bits_ = bits;
        begin();
        return false;
      }
      case Action::kNone:
        break;
    }
    return false;
  }

  void step() {
    z_stream& s = *strm_;
    static const int kFlushes[] = {Z_NO_FLUSH, Z_NO_FLUSH, Z_NO_FLUSH, Z_SYNC_FLUSH,
                                   Z_BLOCK,    Z_TREES,    Z_FINISH};
    const uInt in_chunk = draw_chunk(rng_, src_.stream.size());
    const uInt out_chunk = draw_chunk(rng_, src_.data.size());
    const int flush = rng_.pick(kFlushes);
    const uInt in_len = static_cast<uInt>(std::min<size_t>(in_chunk, src_.stream.size() - pos_));
    std::unique_ptr<Bytef[]> ib(new Bytef[in_len]);
    std::unique_ptr<Bytef[]> ob(new Bytef[out_chunk]);
    if (in_len > 0) std::memcpy(ib.get(), src_.stream.data() + pos_, in_len);
    s.next_in = ib.get();
    s.avail_in = in_len;
    s.next_out = ob.get();
    s.avail_out = out_chunk;
    const uLong tin = s.total_in, tout = s.total_out;
    const int rc = api_.inflate(&s, flush);
    const uInt used = in_len - s.avail_in, made = out_chunk - s.avail_out;
    log_.add("inflate(in %u, out %u, %s) = %s used %u made %u total %lu/%lu adler %#lx type %d",
             in_len, out_chunk, flush_name(flush), rc_name(rc), used, made, s.total_in, s.total_out,
             s.adler, s.data_type);
    if (s.avail_in > in_len || s.avail_out > out_chunk) return fail("avail_in/avail_out grew");
    out_.out.insert(out_.out.end(), ob.get(), ob.get() + made);
    pos_ += used;
    out_.rc = rc;
    out_.consumed = pos_;
    out_.adler = s.adler;
    out_.data_type = s.data_type;
    out_.total_in = s.total_in;
    out_.total_out = s.total_out;
    if (s.next_in != ib.get() + used || s.next_out != ob.get() + made)
      fail("next_in/next_out moved by %td/%td, avail_in/avail_out by %u/%u", s.next_in - ib.get(),
           s.next_out - ob.get(), used, made);
    // zlib returns Z_NEED_DICT without adding the header it read to total_in.
    if ((s.total_in - tin != used && !(rc == Z_NEED_DICT && s.total_in == tin)) ||
        s.total_out - tout != made)
      fail("total_in/total_out moved by %lu/%lu, avail by %u/%u", s.total_in - tin,
           s.total_out - tout, used, made);
    // The state stays one zlib's observers can read (inflateMark's -65536 also means
    // "between codes", so only inflateCodesUsed can say "inconsistent").
    if (api_.inflateCodesUsed(&s) == static_cast<unsigned long>(-1))
      fail("inflateCodesUsed reports an inconsistent state");
    const bool progress = used > 0 || made > 0;
    const size_t have = out_.out.size();
    if (check_data_ && (have > src_.data.size() ||
                        !std::equal(out_.out.end() - made, out_.out.end(),
                                    src_.data.begin() + static_cast<ptrdiff_t>(have - made))))
      return fail("output is not the data (%zu bytes out of %zu)", have, src_.data.size());
    switch (rc) {
      case Z_OK:
        if (!progress) fail("Z_OK without progress");
        if (flush == Z_FINISH) fail("Z_OK for Z_FINISH (zlib says Z_BUF_ERROR)");
        if (s.avail_in != 0 && s.avail_out != 0 &&
            !((flush == Z_BLOCK || flush == Z_TREES) && (s.data_type & (128 | 256)) != 0))
          fail("Z_OK with input (%u) and output space (%u) left", s.avail_in, s.avail_out);
        break;
      case Z_BUF_ERROR:
        if (flush != Z_FINISH && progress) fail("Z_BUF_ERROR after progress");
        if (!progress && pos_ == src_.stream.size()) {
          done_ = true;  // out of input: the stream is incomplete
          log_.add("no more input");
        }
        if (!progress && s.avail_out == 0) fail("Z_BUF_ERROR with an empty output buffer?");
        break;
      case Z_STREAM_END:
        out_.ended = true;
        done_ = true;
        if (check_data_ && have != src_.data.size())
          fail("Z_STREAM_END after %zu of %zu bytes", have, src_.data.size());
        if (check_data_ && pos_ != src_.stream_len)
          fail("Z_STREAM_END having consumed %zu bytes of a %zu-byte stream", pos_,
               src_.stream_len);
        if (src_.header) save_header();
        save_window();
        break;
      case Z_NEED_DICT: {
        out_.needed_dictionary = true;
        const uLong dictid = src_.dictionary.empty() ? 0
                                                     : api_.adler32_z(1, src_.dictionary.data(),
                                                                      src_.dictionary.size());
        if (check_data_ && (src_.dictionary.empty() || s.adler != dictid))
          return fail("Z_NEED_DICT with adler %#lx; the dictionary's is %#lx", s.adler, dictid);
        const int drc = api_.inflateSetDictionary(&s, src_.dictionary.data(),
                                                  static_cast<uInt>(src_.dictionary.size()));
        log_.add("inflateSetDictionary = %s", rc_name(drc));
        if (drc != Z_OK) {
          out_.rc = drc;
          done_ = true;
        }
        break;
      }
      default:
        if (rc == Z_DATA_ERROR && s.msg == nullptr) fail("Z_DATA_ERROR without a msg");
        done_ = true;  // the verdict; compared with stock's by the caller
        break;
    }
    if (!done_ && !progress && pos_ == src_.stream.size() && rc == Z_OK)
      done_ = true;  // unreachable by the checks above; keeps the loop finite regardless
  }

  // zlib.h: inflateGetDictionary returns "the sliding dictionary being maintained by inflate".
  // Which bytes zlib keeps depends on its call pattern (no window update in a call that ends
  // the stream with Z_FINISH), so only what any window must satisfy is checked: no more bytes
  // than the dictionary and the output so far.
  void save_window() {
    Bytes w(32768);
    uInt n = 0;
    const int rc = api_.inflateGetDictionary(strm_.get(), w.data(), &n);
    log_.add("inflateGetDictionary = %s, %u bytes", rc_name(rc), n);
    if (rc != Z_OK) return fail("inflateGetDictionary returned %s", rc_name(rc));
    w.resize(n);
    out_.window = w;
    if (check_data_ && n > out_.out.size() + src_.dictionary.size())
      fail("inflateGetDictionary gives %u bytes after %zu bytes of output (dictionary %zu)", n,
           out_.out.size(), src_.dictionary.size());
  }

  void save_header() {
    out_.hdone = header_.done;
    out_.htext = header_.text;
    out_.hos = header_.os;
    out_.hhcrc = header_.hcrc;
    out_.htime = header_.time;
    out_.hextra_len = header_.extra_len;
    out_.hextra.assign(extra_.begin(),
                       extra_.begin() + std::min<size_t>(extra_.size(), header_.extra_len));
    out_.hname.assign(reinterpret_cast<const char*>(name_.data()),
                      strnlen(reinterpret_cast<const char*>(name_.data()), name_.size()));
    out_.hcomment.assign(reinterpret_cast<const char*>(comment_.data()),
                         strnlen(reinterpret_cast<const char*>(comment_.data()), comment_.size()));
  }

  const ZlibApi& api_;
  const Source& src_;
  Rng rng_;
  bool check_data_;
  std::unique_ptr<z_stream> strm_;
  int bits_ = 15;
  size_t pos_ = 0;
  Outcome out_;
  OpLog log_;
  bool failed_ = false, done_ = false;
  gz_header header_{};
  Bytes extra_, name_, comment_;
};

// The same verdict as stock zlib: return code, output, bytes consumed; at a stream end also
// adler, data_type and the gzip header.
bool same_outcome(const Outcome& a, const Outcome& b, std::string* why) {
  char s[600];
  if (a.rc != b.rc || a.ended != b.ended) {
    std::snprintf(s, sizeof s, "ends with %s, stock zlib with %s", rc_name(a.rc), rc_name(b.rc));
  } else if (a.ended && (a.out != b.out || a.consumed != b.consumed)) {
    std::snprintf(s, sizeof s, "ends with %zu bytes out, %zu in; stock zlib %zu out, %zu in",
                  a.out.size(), a.consumed, b.out.size(), b.consumed);
  } else if (a.ended &&
             (a.adler != b.adler || a.data_type != b.data_type || a.total_out != b.total_out ||
              (a.total_in != b.total_in && !a.needed_dictionary && !b.needed_dictionary))) {
    std::snprintf(
        s, sizeof s, "at the end adler %#lx type %d totals %lu/%lu; stock %#lx %d %lu/%lu", a.adler,
        a.data_type, a.total_in, a.total_out, b.adler, b.data_type, b.total_in, b.total_out);
  } else if (a.ended && (a.hdone != b.hdone || a.htext != b.htext || a.hos != b.hos ||
                         a.hhcrc != b.hhcrc || a.htime != b.htime || a.hextra_len != b.hextra_len ||
                         a.hextra != b.hextra || a.hname != b.hname || a.hcomment != b.hcomment)) {
    std::snprintf(s, sizeof s,
                  "gzip header: done %d text %d os %d hcrc %d time %lu extra_len %u name '%.40s' "
                  "comment %zu bytes; stock zlib: done %d text %d os %d hcrc %d time %lu "
                  "extra_len %u name '%.40s' comment %zu bytes%s",
                  a.hdone, a.htext, a.hos, a.hhcrc, a.htime, a.hextra_len, a.hname.c_str(),
                  a.hcomment.size(), b.hdone, b.htext, b.hos, b.hhcrc, b.htime, b.hextra_len,
                  b.hname.c_str(), b.hcomment.size(),
                  a.hextra != b.hextra ? "; extra bytes differ" : "");
  } else {
    return true;
  }
  *why = s;
  return false;
}

// How to run this case alone: each test adds its own offset to ACCZ_FUZZ_SEED.
std::string replay(uint64_t seed, uint64_t offset = 0) {
  return "case seed " + std::to_string(seed) +
         " (replay: ACCZ_FUZZ_SEED=" + std::to_string(seed - offset) +
         " ACCZ_FUZZ_ITERS=1 --gtest_filter=*" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() + ")";
}

bool inflate_case(uint64_t seed) {
  Rng rng(seed);
  const Source src = draw_source(rng, SIZE_MAX);
  if (src.stream.empty()) {
    ADD_FAILURE() << "could not make a stream: " << src.describe() << "\n" << replay(seed);
    return false;
  }
  const int bits = draw_inflate_bits(rng, src);
  const uint64_t schedule = rng.next();
  InflateRun ours(dropin(), src, schedule, true), theirs(stock(), src, schedule, true);
  const int a = ours.start(bits), b = theirs.start(bits);
  bool ok = a == b;
  if (!ok) ADD_FAILURE() << "inflateInit2 returned " << rc_name(a) << ", stock " << rc_name(b);
  if (ok && a == Z_OK) {
    const bool actions = rng.percent(50);
    ours.run(actions);
    theirs.run(actions);
    ours.finish();
    theirs.finish();
    ok = !ours.failed() && !theirs.failed();
    std::string why;
    if (ok && !same_outcome(ours.outcome(), theirs.outcome(), &why)) {
      ADD_FAILURE() << why;
      ok = false;
    }
    if (ok && !ours.outcome().ended) {
      ADD_FAILURE() << "a valid stream did not end: " << rc_name(ours.outcome().rc);
      ok = false;
    }
    const auto& la = ours.log().lines();
    const auto& lb = theirs.log().lines();
    if (ok && exact_mode() && !std::equal(la.begin() + 1, la.end(), lb.begin() + 1, lb.end())) {
      ADD_FAILURE() << "ACCZ_ZLIB_ENGINES=none: a different call sequence from stock zlib's";
      ok = false;
    }
  }
  if (!ok)
    ADD_FAILURE() << replay(seed) << "\nsource: " << src.describe() << ", inflate windowBits "
                  << bits << "\n"
                  << ours.log().str() << "---\n"
                  << theirs.log().str();
  return ok;
}

TEST(DropinFuzz, InflateStreamsAgreeWithZlibsContract) {
  const int iters = fuzz_iterations(200);
  const uint64_t base = fuzz_base_seed();
  std::printf("inflate fuzz: %d cases from seed %llu\n", iters,
              static_cast<unsigned long long>(base));
  for (int i = 0; i < iters; ++i)
    if (!inflate_case(base + static_cast<uint64_t>(i)) && !keep_going()) return;
}

// Damage: flip bits, change bytes, cut the stream short.
void corrupt(Rng& rng, Source& src) {
  Bytes& st = src.stream;
  const uint64_t kind = rng.below(4);
  if (kind == 0 || kind == 3) {
    for (int n = rng.range(1, 3); n > 0 && !st.empty(); --n)
      st[rng.below(st.size())] ^= 1u << rng.below(8);
  }
  if (kind == 1) {
    for (int n = rng.range(1, 3); n > 0 && !st.empty(); --n)
      st[rng.below(st.size())] = static_cast<Bytef>(rng.next());
  }
  if (kind >= 2) st.resize(rng.below(st.size() + 1));
  src.stream_len = std::min(src.stream_len, st.size());
}

bool corrupt_case(uint64_t seed) {
  Rng rng(seed);
  Source src = draw_source(rng, 256 * 1024);
  if (src.stream.empty()) return true;
  corrupt(rng, src);
  const int bits = draw_inflate_bits(rng, src);
  const uint64_t schedule = rng.next();
  bool ok = true;
  std::string report;
  // Chunked with random flushes, and in one call: the same verdict as stock in both.
  for (int mode = 0; mode < 2 && ok; ++mode) {
    InflateRun ours(dropin(), src, schedule, false), theirs(stock(), src, schedule, false);
    if (ours.start(bits) != Z_OK || theirs.start(bits) != Z_OK) return true;
    ours.run(false);
    theirs.run(false);
    ours.finish();
    theirs.finish();
    std::string why;
    if (ours.failed() || theirs.failed() || !same_outcome(ours.outcome(), theirs.outcome(), &why)) {
      ADD_FAILURE() << why;
      report = ours.log().str() + "---\n" + theirs.log().str();
      ok = false;
    }
    if (mode == 0) {
      // The one-call form: everything in, room for the data plus one byte.
      const Inflated a = inflate_whole(dropin(), src.stream, bits, src.data.size(), src.dictionary);
      const Inflated b = inflate_whole(stock(), src.stream, bits, src.data.size(), src.dictionary);
      // An engine that decodes ahead may see the damage before zlib, whose full output buffer
      // stopped it first: allowed when zlib, given room, reaches the same error after handing
      // out the same bytes.
      bool early_error = false;
      if (a.rc == Z_DATA_ERROR && (b.rc == Z_OK || b.rc == Z_BUF_ERROR) &&
          b.out.size() == src.data.size() + 1) {
        const Inflated more =
            inflate_whole(stock(), src.stream, bits, 4 * src.data.size() + 65536, src.dictionary);
        early_error = more.rc == Z_DATA_ERROR && a.out.size() <= more.out.size() &&
                      std::equal(a.out.begin(), a.out.end(), more.out.begin());
      }
      if ((a.rc != b.rc && !early_error) ||
          (a.rc == Z_STREAM_END && (a.out != b.out || a.consumed != b.consumed))) {
        ADD_FAILURE() << "one-call inflate: " << rc_name(a.rc) << " with " << a.out.size()
                      << " bytes; stock zlib " << rc_name(b.rc) << " with " << b.out.size();
        ok = false;
      }
    }
  }
  // uncompress2 is defined for zlib streams: exactly zlib's answer.
  if (ok && src.wrap == Wrap::kZlib) {
    for (size_t room : {src.data.size(), src.data.size() + 1, src.data.size() / 2}) {
      Bytes da(std::max<size_t>(room, 1)), db(da.size());
      uLongf la = room, lb = room;
      uLong sa = src.stream.size(), sb = src.stream.size();
      const Bytes in(src.stream);
      const int ra = dropin().uncompress2(da.data(), &la, in.data(), &sa);
      const int rb = stock().uncompress2(db.data(), &lb, in.data(), &sb);
      if (ra != rb || la != lb || sa != sb ||
          !std::equal(da.begin(), da.begin() + la, db.begin())) {
        ADD_FAILURE() << "uncompress2 (room " << room << "): " << rc_name(ra) << " destLen " << la
                      << " sourceLen " << sa << "; stock zlib " << rc_name(rb) << " " << lb << " "
                      << sb;
        ok = false;
      }
    }
  }
  if (!ok)
    ADD_FAILURE() << replay(seed, 2000000) << "\nsource: " << src.describe()
                  << ", damaged, inflate windowBits " << bits << "\n"
                  << report;
  return ok;
}

TEST(DropinFuzz, CorruptAndTruncatedInputGetsZlibsVerdict) {
  const int iters = fuzz_iterations(400);
  const uint64_t base = fuzz_base_seed() + 2000000;
  std::printf("corrupt-input fuzz: %d cases from seed %llu\n", iters,
              static_cast<unsigned long long>(base));
  for (int i = 0; i < iters; ++i)
    if (!corrupt_case(base + static_cast<uint64_t>(i)) && !keep_going()) return;
}

// Cases longer runs found, kept as regressions: 2778034 (ISA-L's error exit left avail_out
// short by bytes next_out never passed, on a Z_TREES call after output), 2777199 (a damaged gzip
// stream cut short: ISA-L rejected bits it had filled in past the end of the input, where zlib
// still asks for more; a stream with no output yet now moves to zlib for the verdict).
TEST(DropinFuzz, CorruptCasesLongRunsFound) {
  for (const uint64_t seed : {uint64_t{2778034}, uint64_t{2777199}})
    EXPECT_TRUE(corrupt_case(seed)) << "case seed " << seed;
}

// compress2 (served by an engine where the drop-in finds it no larger) and uncompress2 on the
// same data kinds: zlib's return codes, a stream both zlibs inflate back, never larger than
// zlib's, within compressBound.
TEST(DropinFuzz, OneShotCompressIsNeverLargerThanZlib) {
  const int iters = fuzz_iterations(300);
  const uint64_t base = fuzz_base_seed() + 4000000;
  std::printf("compress2 fuzz: %d cases from seed %llu\n", iters,
              static_cast<unsigned long long>(base));
  for (int i = 0; i < iters; ++i) {
    const uint64_t seed = base + static_cast<uint64_t>(i);
    Rng rng(seed);
    const Bytes data = draw_data(rng, draw_size(rng));
    const int level = rng.range(-1, 9);
    const uLong bound = dropin().compressBound(data.size());
    Bytes a(bound), b(stock().compressBound(data.size()));
    uLongf la = a.size(), lb = b.size();
    const int ra = dropin().compress2(a.data(), &la, data.data(), data.size(), level);
    const int rb = stock().compress2(b.data(), &lb, data.data(), data.size(), level);
    a.resize(la);
    b.resize(lb);
    std::string why;
    if (ra != rb || ra != Z_OK) {
      why = std::string("compress2 returned ") + rc_name(ra) + ", stock " + rc_name(rb);
    } else if (la > lb && !size_promised(level)) {
      size_excess("compress2", seed, level, la, lb);
    } else if (la > lb) {
      why = "compress2 gave " + std::to_string(la) + " bytes, stock zlib " + std::to_string(lb);
    } else {
      for (const ZlibApi* api : {&dropin(), &stock()}) {
        Bytes back(data.size() + 1);
        uLongf n = back.size();
        uLong used = a.size();
        const int rc = api->uncompress2(back.data(), &n, a.data(), &used);
        back.resize(n);
        if (rc != Z_OK || back != data || used != a.size())
          why = api->name + " uncompress2 of the drop-in's output: " + rc_name(rc);
      }
    }
    if (!why.empty()) {
      ADD_FAILURE() << why << "\n"
                    << replay(seed, 4000000) << ", " << data.size() << " bytes at level " << level
                    << ", data " << hex_prefix(data, 24);
      if (const char* dir = std::getenv("ACCZ_FUZZ_DUMP"); dir != nullptr) {
        const std::string path = std::string(dir) + "/compress2-seed-" + std::to_string(seed);
        if (FILE* f = std::fopen(path.c_str(), "wb")) {
          std::fwrite(data.data(), 1, data.size(), f);
          std::fclose(f);
        }
      }
      if (!keep_going()) return;
    }
  }
}

}  // namespace
}  // namespace accz::fuzz
