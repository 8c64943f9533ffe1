// inflate() streams on the drop-in (ISA-L, src/zlib/inflate_stream.h) against stock zlib.
//
// Streams stock zlib made at every level and strategy, in zlib, gzip and raw framing, are
// inflated by both libraries with input and output split at random down to one byte: same
// output, same final return code, total_in/total_out, adler and unconsumed input (next_in
// just past the member). Wrapper errors give zlib's return code and message; corrupt and
// truncated streams give zlib-allowed codes (and never a crash: this runs under ASan); the
// requests that move a stream to zlib behave exactly as zlib's.
#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "dropin_stream_api.h"

namespace {

using dropin_stream::Api;
using dropin_stream::Bytes;
using dropin_stream::generate;
using dropin_stream::oneshot_deflate;

struct Result {
  int rc = Z_OK;
  Bytes out;
  uLong total_in = 0, total_out = 0, adler = 0;
  size_t left = 0;  // input not consumed at the end
  std::string msg;
  bool operator==(const Result&) const = default;
};

std::ostream& operator<<(std::ostream& o, const Result& r) {
  return o << "rc " << r.rc << " out " << r.out.size() << " in " << r.total_in << " total_out "
           << r.total_out << " adler " << r.adler << " left " << r.left << " msg '" << r.msg << "'";
}

// Inflates in with api: input in pieces of 1..max_in bytes, output room 1..max_out per call,
// until Z_STREAM_END, an error, or no progress with all input given.
Result run(const Api& api, const Bytes& in, int wbits, size_t max_in, size_t max_out, uint32_t seed,
           int flush = Z_NO_FLUSH) {
  std::mt19937 rng(seed);
  Result r;
  z_stream s{};
  s.adler = 12345;  // raw streams must leave it alone
  if (api.inflate_init(&s, wbits) != Z_OK) std::abort();
  size_t pos = 0, given = 0;
  int stalls = 0;
  for (;;) {
    const size_t add = std::min<size_t>(1 + rng() % max_in, in.size() - given);
    given += add;
    const size_t room = 1 + rng() % max_out;
    Bytes buf(room);
    s.next_in = const_cast<Bytef*>(in.data()) + pos;
    s.avail_in = static_cast<uInt>(given - pos);
    s.next_out = buf.data();
    s.avail_out = static_cast<uInt>(room);
    r.rc = api.inflate(&s, flush);
    pos = given - s.avail_in;
    r.out.insert(r.out.end(), buf.begin(), buf.begin() + static_cast<long>(room - s.avail_out));
    if (r.rc == Z_STREAM_END || (r.rc != Z_OK && r.rc != Z_BUF_ERROR)) break;
    if (given == in.size() && s.avail_out != 0) {
      if (++stalls > 3) break;
    }
  }
  r.total_in = s.total_in;
  r.total_out = s.total_out;
  r.adler = s.adler;
  r.left = in.size() - pos;
  r.msg = s.msg != nullptr ? s.msg : "";
  api.inflateEnd(&s);
  return r;
}

struct Made {
  Bytes data, stream;
  int wbits;
};

Made make(size_t n, int kind, int level, int wbits, int strategy, uint32_t seed) {
  Made m{generate(n, kind, seed), {}, wbits};
  m.stream = oneshot_deflate(Api::stock(), m.data, level, wbits, 8, strategy);
  return m;
}

TEST(DropinStreamInflate, ZlibOutputAtEveryLevelAndStrategy) {
  std::mt19937 rng(3);
  for (int level = 0; level <= 9; ++level) {
    for (int strategy : {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED}) {
      for (int wbits : {15, 31, -15}) {
        const Made m = make(20000 + rng() % 50000, level % 4, level, wbits, strategy, rng());
        for (int inflate_wbits :
             {wbits, wbits == 15 ? 47 : wbits, wbits == 31 ? 47 : wbits, wbits == 15 ? 0 : wbits}) {
          const uint32_t seed = rng();
          const size_t max_in = 1 + rng() % 9000, max_out = 1 + rng() % 9000;
          const Result ours = run(Api::dropin(), m.stream, inflate_wbits, max_in, max_out, seed);
          const Result stock = run(Api::stock(), m.stream, inflate_wbits, max_in, max_out, seed);
          ASSERT_EQ(ours.rc, Z_STREAM_END) << level << " " << strategy << " " << wbits;
          ASSERT_TRUE(ours.out == m.data);
          EXPECT_EQ(ours, stock) << level << " " << strategy << " " << inflate_wbits;
        }
      }
    }
  }
}

TEST(DropinStreamInflate, OneByteAtATime) {
  for (int wbits : {15, 31, -15}) {
    const Made m = make(30000, 0, 6, wbits, Z_DEFAULT_STRATEGY, 1);
    for (auto [in, out] : {std::pair{1, 1}, std::pair{1, 100000}, std::pair{100000, 1}}) {
      const Result ours = run(Api::dropin(), m.stream, wbits, in, out, 5);
      const Result stock = run(Api::stock(), m.stream, wbits, in, out, 5);
      EXPECT_EQ(ours, stock) << wbits << " " << in << " " << out;
      EXPECT_TRUE(ours.out == m.data);
    }
  }
}

// Z_FINISH before the end, and each call's return code when the whole input is given at once.
TEST(DropinStreamInflate, ReturnCodesMatchZlib) {
  const Made m = make(100000, 0, 6, 15, Z_DEFAULT_STRATEGY, 2);
  for (int flush : {Z_NO_FLUSH, Z_SYNC_FLUSH, Z_FINISH}) {
    for (size_t room : {size_t{10}, size_t{50000}, size_t{200000}}) {
      std::string traces[2];
      int i = 0;
      for (const Api* api : {&Api::dropin(), &Api::stock()}) {
        z_stream s{};
        ASSERT_EQ(api->inflate_init(&s), Z_OK);
        Bytes out(room);
        s.next_in = const_cast<Bytef*>(m.stream.data());
        s.avail_in = static_cast<uInt>(m.stream.size());
        for (int call = 0; call < 3; ++call) {
          s.next_out = out.data();
          s.avail_out = call == 1 ? 0 : static_cast<uInt>(room);
          const int rc = api->inflate(&s, flush);
          traces[i] += std::to_string(rc) + (s.avail_out == 0 ? " full" : " room") + "; ";
        }
        api->inflateEnd(&s);
        ++i;
      }
      // Where zlib stops for output, ISA-L may have read further ahead: compare codes only.
      EXPECT_EQ(traces[0], traces[1]) << flush << " " << room;
    }
  }
}

TEST(DropinStreamInflate, GzipMembersAndTrailingData) {
  const Made a = make(40000, 0, 6, 31, Z_DEFAULT_STRATEGY, 7);
  const Made b = make(30000, 4, 1, 31, Z_DEFAULT_STRATEGY, 8);
  Bytes both = a.stream;
  both.insert(both.end(), b.stream.begin(), b.stream.end());
  for (int wbits : {31, 47}) {
    for (size_t max_in : {size_t{1}, size_t{7}, size_t{100000}}) {
      const Result ours = run(Api::dropin(), both, wbits, max_in, 3000, 9);
      const Result stock = run(Api::stock(), both, wbits, max_in, 3000, 9);
      EXPECT_EQ(ours, stock) << max_in;
      EXPECT_EQ(ours.left, b.stream.size());
    }
  }
  // zlib and raw streams followed by other bytes: next_in stops just past the stream.
  for (int wbits : {15, -15}) {
    Made m = make(50000, 0, 3, wbits, Z_DEFAULT_STRATEGY, 10);
    for (int extra = 1; extra < 20; extra += 3) {
      Bytes s = m.stream;
      for (int k = 0; k < extra; ++k) s.push_back(static_cast<Bytef>(0xa5 + k));
      for (size_t max_out : {size_t{1}, size_t{1000}, size_t{100000}}) {
        const Result ours = run(Api::dropin(), s, wbits, 100000, max_out, 11);
        const Result stock = run(Api::stock(), s, wbits, 100000, max_out, 11);
        EXPECT_EQ(ours, stock) << wbits << " extra " << extra << " out " << max_out;
      }
    }
  }
}

TEST(DropinStreamInflate, PresetDictionary) {
  const Bytes dict = generate(3000, 0, 40), data = generate(50000, 0, 41);
  z_stream d{};
  ASSERT_EQ(Api::stock().deflate_init(&d, 6), Z_OK);
  ASSERT_EQ(Api::stock().deflateSetDictionary(&d, dict.data(), 3000), Z_OK);
  Bytes c(100000);
  d.next_in = const_cast<Bytef*>(data.data());
  d.avail_in = 50000;
  d.next_out = c.data();
  d.avail_out = 100000;
  ASSERT_EQ(Api::stock().deflate(&d, Z_FINISH), Z_STREAM_END);
  c.resize(d.total_out);
  Api::stock().deflateEnd(&d);
  for (int wrong = 0; wrong < 2; ++wrong) {
    std::string traces[2];
    Bytes outs[2];
    int i = 0;
    for (const Api* api : {&Api::dropin(), &Api::stock()}) {
      z_stream s{};
      ASSERT_EQ(api->inflate_init(&s), Z_OK);
      Bytes out(60000);
      s.next_in = c.data();
      s.avail_in = 3;  // the dictionary id arrives in a later call
      s.next_out = out.data();
      s.avail_out = 60000;
      std::string& t = traces[i];
      t += std::to_string(api->inflate(&s, Z_NO_FLUSH)) + " ";
      t += std::to_string(api->inflateSetDictionary(&s, dict.data(), 3000)) + " ";
      s.avail_in = static_cast<uInt>(c.size()) - 3;
      t += std::to_string(api->inflate(&s, Z_NO_FLUSH)) + " adler " + std::to_string(s.adler) +
           " in " + std::to_string(s.total_in) + " ";
      t += std::to_string(api->inflate(&s, Z_NO_FLUSH)) + " ";
      const Bytes bad_dict = generate(3000, 0, 42);
      t += std::to_string(api->inflateSetDictionary(&s, (wrong ? bad_dict : dict).data(), 3000)) +
           " ";
      t += std::to_string(api->inflate(&s, Z_FINISH)) + " adler " + std::to_string(s.adler) +
           " in " + std::to_string(s.total_in) + " out " + std::to_string(s.total_out);
      out.resize(60000 - s.avail_out);
      outs[i] = out;
      api->inflateEnd(&s);
      ++i;
    }
    EXPECT_EQ(traces[0], traces[1]);
    EXPECT_TRUE(outs[0] == outs[1]);
  }
}

// Wrapper errors: zlib's code and message, byte for byte.
TEST(DropinStreamInflate, WrapperErrorsAreZlibs) {
  const Made z = make(20000, 0, 6, 15, Z_DEFAULT_STRATEGY, 50);
  const Made g = make(20000, 0, 6, 31, Z_DEFAULT_STRATEGY, 51);
  struct Case {
    const Made* m;
    size_t at;
    uint8_t xor_with;
    int wbits;
  };
  const Case cases[] = {
      {&z, 0, 0x01, 15},
      {&z, 0, 0x0f, 15},
      {&z, 0, 0x80, 15},
      {&z, 1, 0x20, 15},
      {&z, 0, 0x80, 47},
      {&z, 0, 0x00, 31},
      {&g, 0, 0x00, 15},
      {&g, 2, 0x01, 31},
      {&g, 3, 0x20, 31},
      {&g, 3, 0x02, 47},
      {&g, 4, 0xff, 31},
      {&z, z.stream.size() - 1, 1, 15},
      {&g, g.stream.size() - 6, 1, 31},
      {&g, g.stream.size() - 2, 1, 31},
      {&z, 0, 0x70, 0},
      {&z, 0, 0x10, 0},
  };
  for (const Case& c : cases) {
    Bytes s = c.m->stream;
    s[c.at] ^= c.xor_with;
    if (c.xor_with == 0x01 && c.at == 0 && c.wbits == 15) s[1] ^= 0;  // header check only
    for (size_t max_in : {size_t{1}, size_t{100000}}) {
      const Result ours = run(Api::dropin(), s, c.wbits, max_in, 4096, 1);
      const Result stock = run(Api::stock(), s, c.wbits, max_in, 4096, 1);
      EXPECT_EQ(ours.rc, stock.rc) << c.at << " " << int{c.xor_with} << " " << c.wbits;
      EXPECT_EQ(ours.msg, stock.msg) << c.at << " " << int{c.xor_with} << " " << c.wbits;
      if (stock.rc == Z_STREAM_END) {
        EXPECT_EQ(ours, stock);
      }
    }
  }
}

TEST(DropinStreamInflate, GzipHeaderFieldsAreZlibs) {
  Bytes data = generate(10000, 0, 60);
  for (int with_crc = 0; with_crc < 2; ++with_crc) {
    z_stream d{};
    ASSERT_EQ(Api::stock().deflate_init(&d, 6, 31), Z_OK);
    gz_header h{};
    Bytes extra = {1, 2, 3, 4, 5, 6, 7};
    h.text = 1;
    h.time = 0x12345678;
    h.os = 3;
    h.extra = extra.data();
    h.extra_len = 7;
    h.name = reinterpret_cast<Bytef*>(const_cast<char*>("file-name.txt"));
    h.comment = reinterpret_cast<Bytef*>(const_cast<char*>("a comment"));
    h.hcrc = with_crc;
    ASSERT_EQ(Api::stock().deflateSetHeader(&d, &h), Z_OK);
    Bytes c(20000);
    d.next_in = data.data();
    d.avail_in = 10000;
    d.next_out = c.data();
    d.avail_out = 20000;
    ASSERT_EQ(Api::stock().deflate(&d, Z_FINISH), Z_STREAM_END);
    c.resize(d.total_out);
    Api::stock().deflateEnd(&d);
    std::string got[2];
    int i = 0;
    for (const Api* api : {&Api::dropin(), &Api::stock()}) {
      for (size_t step : {size_t{1}, size_t{30000}}) {
        z_stream s{};
        ASSERT_EQ(api->inflate_init(&s, 31), Z_OK);
        gz_header r{};
        Bytef ex[4], name[6], comm[64];
        r.extra = ex;
        r.extra_max = sizeof ex;
        r.name = name;
        r.name_max = sizeof name;
        r.comment = comm;
        r.comm_max = sizeof comm;
        ASSERT_EQ(api->inflateGetHeader(&s, &r), Z_OK);
        Bytes out(20000);
        s.next_out = out.data();
        s.avail_out = 20000;
        int rc = Z_OK;
        for (size_t p = 0; p < c.size() && rc != Z_STREAM_END; p += step) {
          s.next_in = c.data() + p;
          s.avail_in = static_cast<uInt>(std::min(step, c.size() - p));
          rc = api->inflate(&s, Z_NO_FLUSH);
        }
        got[i] += std::to_string(rc) + " done " + std::to_string(r.done) + " text " +
                  std::to_string(r.text) + " time " + std::to_string(r.time) + " os " +
                  std::to_string(r.os) + " xflags " + std::to_string(r.xflags) + " xlen " +
                  std::to_string(r.extra_len) + " ex " + std::string(ex, ex + 4) + " name " +
                  std::string(name, name + 6) + " comm " +
                  std::string(reinterpret_cast<char*>(comm)) + " hcrc " + std::to_string(r.hcrc) +
                  " adler " + std::to_string(s.adler) + "\n";
        api->inflateEnd(&s);
      }
      ++i;
    }
    EXPECT_EQ(got[0], got[1]);
  }
}

// Corrupt (bit flips) and truncated streams: codes zlib allows, a message with every
// Z_DATA_ERROR, zlib's output whenever zlib accepts the stream, and (with the trailer check)
// an error whenever zlib reports one.
TEST(DropinStreamInflate, CorruptAndTruncatedStreams) {
  std::mt19937 rng(77);
  int disagreements = 0, runs = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    const int wbits = iter % 3 == 0 ? 15 : iter % 3 == 1 ? 31 : -15;
    const Made m = make(200 + rng() % 20000, static_cast<int>(rng() % 5),
                        static_cast<int>(rng() % 10), wbits, Z_DEFAULT_STRATEGY, rng());
    Bytes s = m.stream;
    if (iter % 4 == 0) {
      s.resize(rng() % s.size());
    } else {
      for (int f = 0; f < 1 + static_cast<int>(rng() % 3); ++f)
        s[rng() % s.size()] ^= static_cast<Bytef>(1u << (rng() % 8));
    }
    const size_t max_in = iter % 2 ? 1 + rng() % 64 : 1 << 20, max_out = 1 + rng() % 5000;
    const uint32_t seed = rng();
    for (int flush : {Z_NO_FLUSH, Z_FINISH}) {
      const Result ours = run(Api::dropin(), s, wbits, max_in, max_out, seed, flush);
      const Result stock = run(Api::stock(), s, wbits, max_in, max_out, seed, flush);
      ++runs;
      ASSERT_TRUE(ours.rc == Z_OK || ours.rc == Z_STREAM_END || ours.rc == Z_BUF_ERROR ||
                  ours.rc == Z_DATA_ERROR || ours.rc == Z_NEED_DICT)
          << ours.rc;
      if (ours.rc == Z_DATA_ERROR) {
        EXPECT_FALSE(ours.msg.empty());
      }
      if (stock.rc == Z_STREAM_END) {
        EXPECT_EQ(ours, stock) << "iteration " << iter;
      } else if ((ours.rc == Z_STREAM_END) != (stock.rc == Z_STREAM_END)) {
        ++disagreements;
        // A raw stream has no check value: ISA-L may accept a malformed body zlib rejects.
        if (wbits != -15) ADD_FAILURE() << "iteration " << iter << ": " << ours << " / " << stock;
      }
    }
  }
  RecordProperty("raw_disagreements", disagreements);
  std::printf("corrupt streams: %d of %d raw runs accepted by the drop-in but not zlib\n",
              disagreements, runs);
}

// What moves a stream to zlib before any output: afterwards it is zlib's, call for call.
TEST(DropinStreamInflate, RequestsBeforeOutputAreZlibsExactly) {
  const Made m = make(60000, 0, 6, 15, Z_DEFAULT_STRATEGY, 70);
  const Made r = make(60000, 0, 6, -15, Z_DEFAULT_STRATEGY, 71);
  const Made small = make(60000, 0, 6, 10, Z_DEFAULT_STRATEGY, 72);
  using Script = std::string (*)(const Api&, z_stream&, const Made&);
  const std::pair<const Made*, Script> scripts[] = {
      {&m,
       [](const Api& a, z_stream& s, const Made& mm) {  // Z_BLOCK from the first call (zran)
         std::string t;
         Bytes out(70000);
         s.next_in = const_cast<Bytef*>(mm.stream.data());
         s.avail_in = 3;
         s.next_out = out.data();
         s.avail_out = 70000;
         t += std::to_string(a.inflate(&s, Z_NO_FLUSH)) + " ";
         s.avail_in += static_cast<uInt>(mm.stream.size()) - 3;
         for (int i = 0; i < 200; ++i) {
           const int rc = a.inflate(&s, Z_BLOCK);
           t += std::to_string(rc) + "/" + std::to_string(s.data_type) + "/" +
                std::to_string(s.total_in) + "/" + std::to_string(a.inflateMark(&s)) + " ";
           if (rc != Z_OK) break;
         }
         return t;
       }},
      {&r,
       [](const Api& a, z_stream& s, const Made& mm) {  // inflatePrime on a raw stream
         std::string t;
         Bytes out(70000);
         t += std::to_string(a.inflatePrime(&s, 3, 5)) + " " +
              std::to_string(a.inflatePrime(&s, -1, 0)) + " ";
         s.next_in = const_cast<Bytef*>(mm.stream.data());
         s.avail_in = static_cast<uInt>(mm.stream.size());
         s.next_out = out.data();
         s.avail_out = 70000;
         t += std::to_string(a.inflate(&s, Z_NO_FLUSH)) + " " + std::to_string(s.total_out);
         return t;
       }},
      {&small,
       [](const Api& a, z_stream& s, const Made& mm) {  // windowBits 0, a 1 KiB window
         std::string t;
         Bytes out(70000);
         s.next_in = const_cast<Bytef*>(mm.stream.data());
         s.avail_in = static_cast<uInt>(mm.stream.size());
         for (size_t room : {size_t{100}, size_t{5000}, size_t{70000}}) {
           s.next_out = out.data();
           s.avail_out = static_cast<uInt>(room);
           t += std::to_string(a.inflate(&s, Z_NO_FLUSH)) + "/" + std::to_string(s.total_out) + " ";
         }
         return t;
       }},
  };
  int k = 0;
  for (const auto& [made, script] : scripts) {
    std::string t[2];
    int i = 0;
    for (const Api* api : {&Api::dropin(), &Api::stock()}) {
      z_stream s{};
      ASSERT_EQ(api->inflate_init(&s, k == 2 ? 0 : made->wbits), Z_OK);
      t[i++] = script(*api, s, *made);
      api->inflateEnd(&s);
    }
    EXPECT_EQ(t[0], t[1]) << "script " << k;
    ++k;
  }
}

TEST(DropinStreamInflate, OtherWindowBitsAreZlibs) {
  for (int wbits : {9, 10, 12, 14, -9, -12, 25, 40, 8}) {
    const int deflate_bits = wbits == 40 ? 8 + 16 : wbits == 8 ? 9 : wbits;
    const Made m =
        make(30000, 0, 6, deflate_bits == 8 + 16 ? 25 : deflate_bits, Z_DEFAULT_STRATEGY, 80);
    const Result ours = run(Api::dropin(), m.stream, wbits, 777, 555, 3);
    const Result stock = run(Api::stock(), m.stream, wbits, 777, 555, 3);
    EXPECT_EQ(ours, stock) << wbits;
  }
}

TEST(DropinStreamInflate, CopyResetDictionaryValidate) {
  const Made m = make(100000, 0, 6, 15, Z_DEFAULT_STRATEGY, 90);
  // inflateCopy mid-stream: both finish with the same output.
  z_stream s{};
  ASSERT_EQ(Api::dropin().inflate_init(&s), Z_OK);
  Bytes out(100000);
  s.next_in = const_cast<Bytef*>(m.stream.data());
  s.avail_in = static_cast<uInt>(m.stream.size() / 2);
  s.next_out = out.data();
  s.avail_out = 100000;
  ASSERT_EQ(Api::dropin().inflate(&s, Z_NO_FLUSH), Z_OK);
  // The dictionary so far is zlib's: the last 32 KiB handed out.
  Bytes dict(32768);
  uInt dict_len = 0;
  ASSERT_EQ(Api::dropin().inflateGetDictionary(&s, dict.data(), &dict_len), Z_OK);
  const size_t done = 100000 - s.avail_out;
  ASSERT_EQ(dict_len, std::min<size_t>(done, 32768));
  EXPECT_TRUE(std::equal(dict.begin(), dict.begin() + dict_len, out.begin() + (done - dict_len)));
  z_stream c{};
  ASSERT_EQ(Api::dropin().inflateCopy(&c, &s), Z_OK);
  Bytes out2 = out;
  c.next_out = out2.data() + (c.next_out - out.data());
  s.avail_in = c.avail_in = static_cast<uInt>(m.stream.size()) - static_cast<uInt>(s.total_in);
  EXPECT_EQ(Api::dropin().inflate(&s, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(Api::dropin().inflate(&c, Z_FINISH), Z_STREAM_END);
  EXPECT_TRUE(out == m.data);
  EXPECT_TRUE(out2 == m.data);
  EXPECT_EQ(Api::dropin().inflateEnd(&c), Z_OK);
  // inflateReset and the same stream again; then inflateReset2 to raw.
  ASSERT_EQ(Api::dropin().inflateReset(&s), Z_OK);
  EXPECT_EQ(s.total_in, 0u);
  const Result again = run(Api::dropin(), m.stream, 15, 5000, 5000, 1);
  EXPECT_TRUE(again.out == m.data);
  ASSERT_EQ(Api::dropin().inflateEnd(&s), Z_OK);
  // inflateValidate(0): a damaged trailer is not an error, for zlib or the drop-in.
  Bytes bad = m.stream;
  bad.back() ^= 1;
  for (const Api* api : {&Api::dropin(), &Api::stock()}) {
    z_stream v{};
    ASSERT_EQ(api->inflate_init(&v), Z_OK);
    ASSERT_EQ(api->inflateValidate(&v, 0), Z_OK);
    Bytes o(100000);
    v.next_in = bad.data();
    v.avail_in = static_cast<uInt>(bad.size());
    v.next_out = o.data();
    v.avail_out = 100000;
    EXPECT_EQ(api->inflate(&v, Z_FINISH), Z_STREAM_END) << api->label;
    api->inflateEnd(&v);
  }
}

TEST(DropinStreamInflate, StreamsOnManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      bool good = true;
      for (int i = 0; i < 5; ++i) {
        const int wbits = i % 3 == 0 ? 15 : i % 3 == 1 ? 31 : -15;
        const Made m = make(30000 + 7000 * i, i % 4, 1 + i, wbits, Z_DEFAULT_STRATEGY,
                            static_cast<uint32_t>(t * 10 + i));
        const Result r = run(Api::dropin(), m.stream, wbits, 4000, 3000, static_cast<uint32_t>(i));
        good = good && r.rc == Z_STREAM_END && r.out == m.data;
      }
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int v : ok) EXPECT_TRUE(v);
}

}  // namespace
