// deflate() streams on the drop-in against stock zlib (src/zlib/deflate_stream.h).
//
// Whole-buffer streams (levels 1..5, default strategy, windowBits 15/31/-15): every output
// inflates back under stock zlib, is never larger than stock zlib's at the same parameters,
// and the fields zlib's contract defines (return codes, total_in/total_out, adler, data_type,
// deflateBound, deflatePending, deflateGetDictionary) are zlib's, with input and output split
// at random down to one byte. Every fallback (each flush kind, each deflate* call mid-stream,
// dictionaries, gzip headers, the other levels/strategies/windowBits) runs a script of calls
// on the drop-in and on stock zlib: a stream moved to zlib must give byte-identical output and
// identical return codes and counters, since nothing of its body was emitted before the move.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

#include "dropin_stream_api.h"

namespace {

using dropin_stream::Api;
using dropin_stream::Bytes;
using dropin_stream::generate;
using dropin_stream::oneshot_deflate;
using dropin_stream::stock_inflate;

// One stream driven call by call; every call's visible results are recorded so that two
// sessions (drop-in, stock) running the same script can be compared.
struct Session {
  const Api& api;
  z_stream s{};
  Bytes input;
  size_t pos = 0;
  Bytes out;
  std::string trace;
  bool recording = true;
  bool trace_deflate = true;  // record deflate() calls too, not just the others

  Session(const Api& a, Bytes in) : api(a), input(std::move(in)) {}
  ~Session() {
    if (s.state != Z_NULL) api.deflateEnd(&s);
  }

  void note(const char* what, int rc) {
    if (!recording) return;
    // Without the deflate() calls, only what does not depend on when output is handed out.
    trace += std::string(what) + " rc=" + std::to_string(rc) + " in=" + std::to_string(s.total_in) +
             " adler=" + std::to_string(s.adler);
    if (trace_deflate || std::string(what) == "final")
      trace += " out=" + std::to_string(s.total_out) + " avail_in=" + std::to_string(s.avail_in);
    trace += "\n";
  }

  int init(int level, int wbits = 15, int mem = 8, int strategy = Z_DEFAULT_STRATEGY) {
    const int rc = api.deflate_init(&s, level, wbits, mem, strategy);
    note("init", rc);
    return rc;
  }

  // deflate with what the last call left of its input plus the next in_n input bytes, and
  // out_n bytes of output space (a program keeps unconsumed input for the next call).
  size_t left = 0;
  int call(size_t in_n, size_t out_n, int flush) {
    in_n = std::min(in_n + left, input.size() - pos);
    Bytes buf(out_n + 1);
    s.next_in = input.data() + pos;
    s.avail_in = static_cast<uInt>(in_n);
    s.next_out = buf.data();
    s.avail_out = static_cast<uInt>(out_n);
    const int rc = api.deflate(&s, flush);
    pos += in_n - s.avail_in;
    left = s.avail_in;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(out_n - s.avail_out));
    s.next_out = Z_NULL;  // buf is gone
    s.avail_out = 0;
    if (trace_deflate) note("deflate", rc);
    return rc;
  }

  // Another deflate* call that may write output (deflateParams): out_n bytes of room, kept.
  template <typename Fn>
  int with_output(size_t out_n, Fn&& fn) {
    Bytes buf(out_n + 1);
    s.next_out = buf.data();
    s.avail_out = static_cast<uInt>(out_n);
    const int rc = fn();
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(out_n - s.avail_out));
    s.next_out = Z_NULL;
    s.avail_out = 0;
    return rc;
  }

  // Z_FINISH with the rest of the input, out_n bytes of output per call, until the end.
  int finish(size_t out_n) {
    int rc = Z_OK;
    for (int guard = 0; guard < 10000000 && rc != Z_STREAM_END; ++guard) {
      rc = call(input.size() - pos, out_n, Z_FINISH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return rc;
    }
    return rc;
  }
};

struct Params {
  int level, wbits, mem, strategy;
};

void expect_valid(const Bytes& stream, int wbits, const Bytes& input) {
  Bytes back;
  ASSERT_TRUE(stock_inflate(stream, wbits, back)) << "stock zlib cannot inflate the output";
  ASSERT_TRUE(back == input) << "round trip mismatch";
}

uLong expected_check(const Bytes& in, int wbits) {
  const Api& z = Api::stock();
  if (wbits < 0) return 1;
  if (wbits > 15) return z.crc32(0, in.data(), static_cast<uInt>(in.size()));
  return z.adler32(1, in.data(), static_cast<uInt>(in.size()));
}

// Random input and output splits, down to one byte, then Z_FINISH.
TEST(DropinStreamDeflate, WholeBufferRoundTripsWithRandomSplits) {
  std::mt19937 rng(7);
  const Params params[] = {{1, 15, 8, 0}, {2, 31, 8, 0},  {3, -15, 8, 0}, {4, 15, 9, 0},
                           {5, 31, 1, 0}, {1, -15, 5, 0}, {5, 15, 8, 0}};
  const size_t sizes[] = {0, 1, 100, 4095, 4096, 20000, 150000};
  for (const Params& p : params) {
    for (size_t n : sizes) {
      for (int kind : {0, 1, 3, 4}) {
        SCOPED_TRACE("level " + std::to_string(p.level) + " wbits " + std::to_string(p.wbits) +
                     " size " + std::to_string(n) + " kind " + std::to_string(kind));
        const Bytes data = generate(n, kind, static_cast<uint32_t>(n + kind));
        Session d(Api::dropin(), data);
        ASSERT_EQ(d.init(p.level, p.wbits, p.mem, p.strategy), Z_OK);
        const size_t max_out = n < 30000 ? 1 + rng() % 3 : 1 + rng() % 9000;
        while (d.pos < n) {
          const int rc = d.call(1 + rng() % 7000, 1 + rng() % max_out, Z_NO_FLUSH);
          ASSERT_TRUE(rc == Z_OK || rc == Z_BUF_ERROR) << rc;
          if (p.wbits > 0) {
            ASSERT_EQ(d.s.adler,
                      expected_check(Bytes(data.begin(), data.begin() + static_cast<long>(d.pos)),
                                     p.wbits));
          }
        }
        ASSERT_EQ(d.finish(1 + rng() % max_out), Z_STREAM_END);
        EXPECT_EQ(d.s.total_in, n);
        EXPECT_EQ(d.s.total_out, d.out.size());
        EXPECT_EQ(d.s.adler, expected_check(data, p.wbits));
        expect_valid(d.out, p.wbits, data);
        const Bytes stock = oneshot_deflate(Api::stock(), data, p.level, p.wbits, p.mem);
        EXPECT_LE(d.out.size(), stock.size());
        // The header bytes are zlib's.
        const size_t header = p.wbits < 0 ? 0 : p.wbits > 15 ? 10 : 2;
        EXPECT_TRUE(
            std::equal(stock.begin(), stock.begin() + static_cast<long>(header), d.out.begin()));
      }
    }
  }
}

TEST(DropinStreamDeflate, OneCallIsNeverLargerAndAlwaysValid) {
  for (int level = -1; level <= 9; ++level) {
    for (int wbits : {15, 31, -15, 9, 12, 25, -10}) {
      for (int kind = 0; kind < 6; ++kind) {
        const Bytes data = generate(70000 + 13 * kind, kind, 3);
        const Bytes ours = oneshot_deflate(Api::dropin(), data, level, wbits);
        const Bytes stock = oneshot_deflate(Api::stock(), data, level, wbits);
        SCOPED_TRACE("level " + std::to_string(level) + " wbits " + std::to_string(wbits));
        expect_valid(ours, wbits, data);
        EXPECT_LE(ours.size(), stock.size());
      }
    }
  }
}

// Return codes and counters of zlib's contract, call by call, in situations where zlib's
// output timing does not matter: the same script on both libraries gives the same trace.
TEST(DropinStreamDeflate, ReturnCodesAndCountersMatchZlib) {
  const Bytes data = generate(50000, 0, 1);
  for (int wbits : {15, 31, -15}) {
    std::string traces[2];
    int i = 0;
    for (const Api* api : {&Api::dropin(), &Api::stock()}) {
      Session t(*api, data);
      t.init(1, wbits);
      t.call(0, 0, Z_NO_FLUSH);   // avail_out 0: Z_BUF_ERROR
      t.call(0, 1, Z_NO_FLUSH);   // first call: header byte(s)
      t.call(0, 64, Z_NO_FLUSH);  // rest of the header
      t.call(0, 64, Z_NO_FLUSH);  // nothing to do: Z_BUF_ERROR
      t.call(10, 0, Z_NO_FLUSH);  // avail_out 0 again
      t.call(0, 64, 7);           // invalid flush
      t.note("pending", api->deflatePending(&t.s, nullptr, nullptr));
      t.trace += "end mid-stream " + std::to_string(api->deflateEnd(&t.s)) + "\n";
      traces[i++] = t.trace;
    }
    EXPECT_EQ(traces[0], traces[1]) << "wbits " << wbits;
  }
  for (int wbits : {15, 31, -15}) {
    std::string traces[2];
    int i = 0;
    for (const Api* api : {&Api::dropin(), &Api::stock()}) {
      Session t(*api, Bytes(100, 'a'));
      t.init(2, wbits);
      t.call(100, 1000, Z_FINISH);
      t.call(0, 1000, Z_FINISH);    // repeated Z_FINISH after the end: Z_STREAM_END
      t.call(0, 1000, Z_NO_FLUSH);  // another flush after Z_FINISH: Z_STREAM_ERROR
      t.call(5, 1000, Z_FINISH);    // input after the end: Z_BUF_ERROR
      t.trace += "end " + std::to_string(api->deflateEnd(&t.s)) + "\n";
      t.out.push_back(0);
      traces[i++] = t.trace;
    }
    EXPECT_EQ(traces[0], traces[1]) << "wbits " << wbits;
  }
}

// One byte of output per call: every call fills it and returns Z_OK, and the end comes as
// zlib's does (Z_STREAM_END from the call after the last byte, as zlib when its trailer did
// not fit in the call that made it).
TEST(DropinStreamDeflate, DrainsOneByteAtATimeAndFinishesLikeZlib) {
  const Bytes data = generate(100000, 0, 5);
  for (int wbits : {15, 31, -15}) {
    size_t extra_calls[2];
    int i = 0;
    for (const Api* api : {&Api::dropin(), &Api::stock()}) {
      Session d(*api, data);
      d.recording = false;
      ASSERT_EQ(d.init(3, wbits), Z_OK);
      ASSERT_EQ(d.call(data.size(), 0, Z_NO_FLUSH), Z_BUF_ERROR);
      int rc;
      size_t calls = 0;
      do {
        rc = d.call(data.size() - d.pos, 1, Z_FINISH);
        ++calls;
        ASSERT_TRUE(rc == Z_OK || rc == Z_STREAM_END) << rc;
        if (rc == Z_OK) {
          ASSERT_EQ(d.s.avail_out, 0u);
        }
      } while (rc != Z_STREAM_END);
      extra_calls[i++] = calls - d.out.size();
      expect_valid(d.out, wbits, data);
      EXPECT_EQ(api->deflateEnd(&d.s), Z_OK);
    }
    EXPECT_EQ(extra_calls[0], extra_calls[1]) << wbits;
  }
}

TEST(DropinStreamDeflate, DataTypeIsZlibs) {
  for (int kind : {0, 1, 4, 5}) {
    for (size_t n : {size_t{5000}, size_t{100000}}) {
      const Bytes data = generate(n, kind, 9);
      int types[2];
      int i = 0;
      for (const Api* api : {&Api::dropin(), &Api::stock()}) {
        z_stream s{};
        ASSERT_EQ(api->deflate_init(&s, 1), Z_OK);
        EXPECT_EQ(s.data_type, Z_UNKNOWN);
        Bytes out(api->deflateBound(&s, n));
        s.next_in = const_cast<Bytef*>(data.data());
        s.avail_in = static_cast<uInt>(n);
        s.next_out = out.data();
        s.avail_out = static_cast<uInt>(out.size());
        ASSERT_EQ(api->deflate(&s, Z_FINISH), Z_STREAM_END);
        types[i++] = s.data_type;
        api->deflateEnd(&s);
      }
      EXPECT_EQ(types[0], types[1]) << "kind " << kind << " size " << n;
    }
  }
}

TEST(DropinStreamDeflate, OutputFitsDeflateBound) {
  for (int level = 1; level <= 5; ++level) {
    for (int wbits : {15, 31, -15}) {
      for (size_t n : {size_t{4096}, size_t{65536}, size_t{300001}}) {
        const Bytes data = generate(n, 1, static_cast<uint32_t>(level));
        z_stream s{};
        ASSERT_EQ(Api::dropin().deflate_init(&s, level, wbits), Z_OK);
        Bytes out(Api::dropin().deflateBound(&s, n));
        s.next_in = const_cast<Bytef*>(data.data());
        s.avail_in = static_cast<uInt>(n);
        s.next_out = out.data();
        s.avail_out = static_cast<uInt>(out.size());
        EXPECT_EQ(Api::dropin().deflate(&s, Z_FINISH), Z_STREAM_END) << level << " " << n;
        Api::dropin().deflateEnd(&s);
      }
    }
  }
}

TEST(DropinStreamDeflate, GetDictionaryPendingAndCopy) {
  for (size_t n : {size_t{1000}, size_t{40000}, size_t{200000}}) {
    const Bytes data = generate(n, 0, 2);
    Bytes dicts[2];
    int i = 0;
    for (const Api* api : {&Api::dropin(), &Api::stock()}) {
      Session t(*api, data);
      t.init(1);
      t.call(n, 1 << 20, Z_NO_FLUSH);
      Bytes dict(32768);
      uInt len = 0;
      ASSERT_EQ(api->deflateGetDictionary(&t.s, dict.data(), &len), Z_OK);
      dict.resize(len);
      dicts[i++] = dict;
    }
    EXPECT_EQ(dicts[0], dicts[1]) << n;
  }
  // deflateCopy with buffered input: both streams finish on their own, same valid output.
  const Bytes data = generate(100000, 0, 4);
  Session a(Api::dropin(), data);
  ASSERT_EQ(a.init(2, 31), Z_OK);
  a.call(60000, 100, Z_NO_FLUSH);
  const Bytes before_copy = a.out;
  z_stream copy{};
  ASSERT_EQ(Api::dropin().deflateCopy(&copy, &a.s), Z_OK);
  unsigned pending = 99;
  int bits = 9;
  EXPECT_EQ(Api::dropin().deflatePending(&copy, &pending, &bits), Z_OK);
  EXPECT_EQ(bits, 0);
  ASSERT_EQ(a.finish(777), Z_STREAM_END);
  Bytes out2(200000);
  copy.next_in = const_cast<Bytef*>(data.data()) + 60000;
  copy.avail_in = 40000;
  copy.next_out = out2.data();
  copy.avail_out = static_cast<uInt>(out2.size());
  ASSERT_EQ(Api::dropin().deflate(&copy, Z_FINISH), Z_STREAM_END);
  out2.resize(copy.total_out - before_copy.size());
  EXPECT_EQ(Api::dropin().deflateEnd(&copy), Z_OK);
  out2.insert(out2.begin(), before_copy.begin(), before_copy.end());
  EXPECT_EQ(a.out, out2);
  expect_valid(a.out, 31, data);
}

// A script of calls that moves a whole-buffer stream to zlib; the drop-in must give exactly
// stock zlib's bytes, return codes of the other deflate* calls and final counters. The scripts
// give zlib room to take all input before the move (so both see the same input at every
// call); when output is handed out differs (zlib emits blocks during Z_NO_FLUSH, the drop-in
// queues the replay's output), as zlib's contract leaves open, so deflate()'s own per-call
// results are not compared.
using Script = void (*)(Session&);

void expect_same_as_zlib(const char* name, Script script, int level, int wbits, size_t n,
                         int kind = 0) {
  const Bytes data = generate(n, kind, 11);
  Session d(Api::dropin(), data), z(Api::stock(), data);
  d.init(level, wbits);
  z.init(level, wbits);
  d.recording = z.recording = false;
  d.trace_deflate = z.trace_deflate = false;
  script(d);
  script(z);
  d.recording = z.recording = true;
  d.note("final", 0);
  z.note("final", 0);
  EXPECT_EQ(d.trace, z.trace) << name;
  EXPECT_TRUE(d.out == z.out) << name << ": output differs from zlib's";
}

TEST(DropinStreamDeflate, EveryFlushKindMovesToZlibExactly) {
  for (int flush : {Z_PARTIAL_FLUSH, Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_BLOCK}) {
    for (int wbits : {15, 31, -15}) {
      static int f;
      f = flush;
      expect_same_as_zlib(
          "flush",
          [](Session& t) {
            t.call(30000, 100000, Z_NO_FLUSH);
            t.call(20000, 100000, Z_NO_FLUSH);
            t.recording = true;
            t.call(100, 100000, f);  // the move
            for (int i = 0; i < 3; ++i) t.call(0, 1000, f);
            t.call(10000, 100000, Z_NO_FLUSH);
            t.call(0, 1 << 20, f);
            t.finish(100000);
          },
          2, wbits, 80000);
    }
  }
}

// Moved with little output room: zlib may then emit extra empty blocks on repeated flush calls
// at other points than the drop-in, so only validity is compared.
TEST(DropinStreamDeflate, MoveWithOneByteOutputStaysValid) {
  const Bytes data = generate(80000, 0, 13);
  for (int flush : {Z_PARTIAL_FLUSH, Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_BLOCK}) {
    for (int wbits : {15, 31, -15}) {
      Session d(Api::dropin(), data);
      ASSERT_EQ(d.init(2, wbits), Z_OK);
      d.call(30000, 1, Z_NO_FLUSH);
      d.call(20000, 5, Z_NO_FLUSH);
      int rc = Z_OK;
      for (int i = 0; i < 100000 && d.left + d.pos < 50100; ++i) rc = d.call(100, 3, flush);
      for (int i = 0; i < 100000 && (rc == Z_OK && d.s.avail_out == 0); ++i)
        rc = d.call(0, 1, flush);
      EXPECT_TRUE(rc == Z_OK || rc == Z_BUF_ERROR) << rc;
      ASSERT_EQ(d.finish(7), Z_STREAM_END);
      expect_valid(d.out, wbits, data);
    }
  }
}

TEST(DropinStreamDeflate, CallsMidStreamMoveToZlibExactly) {
  for (int wbits : {15, 31, -15}) {
    expect_same_as_zlib(
        "params",
        [](Session& t) {
          t.call(40000, 100000, Z_NO_FLUSH);
          t.recording = true;
          auto params = [&t] { return t.api.deflateParams(&t.s, 9, Z_FILTERED); };
          t.note("params", t.with_output(0, params));  // Z_BUF_ERROR: no room
          t.call(0, 1 << 20, Z_NO_FLUSH);
          t.note("params", t.with_output(1 << 20, params));
          t.finish(1000);
        },
        3, wbits, 90000);
    expect_same_as_zlib(
        "params at start",
        [](Session& t) {
          t.recording = true;
          t.note("params", t.api.deflateParams(&t.s, 4, Z_DEFAULT_STRATEGY));
          t.note("params", t.api.deflateParams(&t.s, 1, Z_HUFFMAN_ONLY));
          t.finish(5000);
        },
        3, wbits, 90000);
    expect_same_as_zlib(
        "tune",
        [](Session& t) {
          t.call(1000, 100000, Z_NO_FLUSH);
          t.recording = true;
          t.note("tune", t.api.deflateTune(&t.s, 4, 5, 16, 16));
          t.finish(5000);
        },
        1, wbits, 90000);
    expect_same_as_zlib(
        "prime",
        [](Session& t) {
          t.recording = true;
          t.note("prime", t.api.deflatePrime(&t.s, 5, 0x15));
          t.finish(5000);
        },
        1, wbits, 90000);
    expect_same_as_zlib(
        "prime mid-stream",
        [](Session& t) {
          t.call(5000, 100000, Z_NO_FLUSH);
          t.recording = true;
          t.call(0, 100000, Z_BLOCK);
          t.note("prime", t.api.deflatePrime(&t.s, 3, 0x2));
          t.finish(5000);
        },
        1, wbits, 90000);
    if (wbits == 31) continue;  // gzip refuses dictionaries (checked below)
    expect_same_as_zlib(
        "dictionary",
        [](Session& t) {
          static const Bytes dict = generate(5000, 0, 99);
          t.recording = true;
          t.note("dict", t.api.deflateSetDictionary(&t.s, dict.data(), 5000));
          t.finish(5000);
        },
        2, wbits, 90000);
    expect_same_as_zlib(
        "dictionary mid-stream",
        [](Session& t) {
          static const Bytes dict = generate(5000, 0, 98);
          t.call(3000, 100000, Z_NO_FLUSH);
          t.recording = true;
          t.note("dict", t.api.deflateSetDictionary(&t.s, dict.data(), 5000));
          t.call(3000, 10000, Z_SYNC_FLUSH);
          t.note("dict", t.api.deflateSetDictionary(&t.s, dict.data(), 5000));
          t.finish(5000);
        },
        2, wbits, 90000);
    expect_same_as_zlib(
        "small input",
        [](Session& t) {
          t.call(100, 100000, Z_NO_FLUSH);
          t.recording = true;
          t.finish(1);
        },
        4, wbits, 3000);
    expect_same_as_zlib(
        "reset after a move",
        [](Session& t) {
          t.recording = true;
          t.call(100, 1000, Z_SYNC_FLUSH);
          t.note("reset", t.api.deflateReset(&t.s));
          t.pos = t.left = 0;
          t.out.clear();
          t.call(100, 1000, Z_FULL_FLUSH);
          t.finish(1000);
        },
        4, wbits, 30000);
  }
  gz_header head{};
  head.time = 12345;
  head.os = 7;
  static gz_header* hp;
  hp = &head;
  expect_same_as_zlib(
      "gzip header",
      [](Session& t) {
        t.recording = true;
        t.note("header", t.api.deflateSetHeader(&t.s, hp));
        t.finish(10000);
        t.note("reset", t.api.deflateReset(&t.s));  // the header stays set across a reset
        t.pos = t.left = 0;
        t.finish(100000);
      },
      1, 31, 50000);
}

TEST(DropinStreamDeflate, RefusedCallsKeepTheEngine) {
  const Bytes data = generate(90000, 0, 31);
  const Bytes dict = generate(5000, 0, 99);
  for (int wbits : {31, 15}) {
    Session d(Api::dropin(), data);
    ASSERT_EQ(d.init(1, wbits), Z_OK);
    d.call(3000, 100000, Z_NO_FLUSH);
    EXPECT_EQ(Api::dropin().deflateSetDictionary(&d.s, dict.data(), 5000), Z_STREAM_ERROR);
    EXPECT_EQ(Api::dropin().deflateSetDictionary(&d.s, nullptr, 5), Z_STREAM_ERROR);
    if (wbits == 15) {
      EXPECT_EQ(Api::dropin().deflateSetHeader(&d.s, nullptr), Z_STREAM_ERROR);
    }
    ASSERT_EQ(d.finish(1 << 20), Z_STREAM_END);
    expect_valid(d.out, wbits, data);
    EXPECT_LT(d.out.size(), oneshot_deflate(Api::stock(), data, 1, wbits).size());
  }
}

// Parameters the engine does not serve are zlib's from deflateInit on.
TEST(DropinStreamDeflate, OtherParametersAreZlibsExactly) {
  struct P {
    int level, wbits, strategy;
  };
  for (const P& p : {P{0, 15, 0}, P{6, 15, 0}, P{9, 31, 0}, P{-1, -15, 0}, P{1, 15, Z_FILTERED},
                     P{2, 15, Z_HUFFMAN_ONLY}, P{3, 15, Z_RLE}, P{4, 15, Z_FIXED}, P{1, 9, 0},
                     P{2, 14, 0}, P{3, -12, 0}, P{5, 25, 0}}) {
    const Bytes data = generate(60000, 0, 17);
    Session d(Api::dropin(), data), z(Api::stock(), data);
    d.s.zalloc = z.s.zalloc = Z_NULL;
    const int rc_d = Api::dropin().deflateInit2_(&d.s, p.level, Z_DEFLATED, p.wbits, 8, p.strategy,
                                                 ZLIB_VERSION, sizeof(z_stream));
    const int rc_z = Api::stock().deflateInit2_(&z.s, p.level, Z_DEFLATED, p.wbits, 8, p.strategy,
                                                ZLIB_VERSION, sizeof(z_stream));
    ASSERT_EQ(rc_d, rc_z);
    d.call(30000, 7, Z_NO_FLUSH);
    z.call(30000, 7, Z_NO_FLUSH);
    d.finish(999);
    z.finish(999);
    EXPECT_EQ(d.trace, z.trace);
    EXPECT_TRUE(d.out == z.out) << p.level << " " << p.wbits << " " << p.strategy;
  }
  // Invalid parameters: zlib's error codes.
  for (int bad : {0, 1, 2}) {
    z_stream a{}, b{};
    const int level = bad == 0 ? 10 : 1, mem = bad == 1 ? 0 : 8, wbits = bad == 2 ? 7 : 15;
    EXPECT_EQ(Api::dropin().deflateInit2_(&a, level, Z_DEFLATED, wbits, mem, 0, ZLIB_VERSION,
                                          sizeof(z_stream)),
              Api::stock().deflateInit2_(&b, level, Z_DEFLATED, wbits, mem, 0, ZLIB_VERSION,
                                         sizeof(z_stream)));
  }
  z_stream v{};
  EXPECT_EQ(Api::dropin().deflateInit2_(&v, 1, Z_DEFLATED, 15, 8, 0, "2.0.0", sizeof(z_stream)),
            Z_VERSION_ERROR);
}

TEST(DropinStreamDeflate, ResetReturnsToTheEngine) {
  const Bytes data = generate(200000, 0, 21);
  const Bytes stock = oneshot_deflate(Api::stock(), data, 1);
  Session d(Api::dropin(), data);
  ASSERT_EQ(d.init(1), Z_OK);
  for (int round = 0; round < 3; ++round) {
    d.pos = d.left = 0;
    d.out.clear();
    if (round == 1) d.call(10, 100, Z_SYNC_FLUSH);  // moved to zlib this round
    ASSERT_EQ(d.finish(1 << 20), Z_STREAM_END);
    expect_valid(d.out, 15, data);
    if (round != 1) {
      EXPECT_LT(d.out.size(), stock.size()) << "round " << round << " not on the engine";
    }
    ASSERT_EQ(Api::dropin().deflateReset(&d.s), Z_OK);
    EXPECT_EQ(d.s.total_in, 0u);
    EXPECT_EQ(d.s.total_out, 0u);
  }
}

TEST(DropinStreamDeflate, CustomAllocatorServesAllMemory) {
  struct Counter {
    long live = 0, total = 0;
  } counter;
  const Bytes data = generate(100000, 0, 23);
  z_stream s{};
  s.opaque = &counter;
  s.zalloc = [](voidpf o, uInt n, uInt m) -> voidpf {
    auto* c = static_cast<Counter*>(o);
    ++c->live;
    ++c->total;
    return calloc(n, m);
  };
  s.zfree = [](voidpf o, voidpf p) {
    --static_cast<Counter*>(o)->live;
    free(p);
  };
  ASSERT_EQ(Api::dropin().deflate_init(&s, 2), Z_OK);
  Bytes out(200000);
  s.next_in = const_cast<Bytef*>(data.data());
  s.avail_in = 50000;
  s.next_out = out.data();
  s.avail_out = 10;
  ASSERT_EQ(Api::dropin().deflate(&s, Z_NO_FLUSH), Z_OK);
  s.avail_in += 50000;
  s.avail_out = static_cast<uInt>(out.size()) - static_cast<uInt>(s.total_out);
  ASSERT_EQ(Api::dropin().deflate(&s, Z_FINISH), Z_STREAM_END);
  ASSERT_EQ(Api::dropin().deflateEnd(&s), Z_OK);
  EXPECT_GT(counter.total, 2);
  EXPECT_EQ(counter.live, 0);
}

TEST(DropinStreamDeflate, StreamsOnManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      bool good = true;
      for (int i = 0; i < 6; ++i) {
        const Bytes data = generate(20000 + 5000 * i, i % 4, static_cast<uint32_t>(t * 10 + i));
        const Bytes c = oneshot_deflate(Api::dropin(), data, 1 + (i + t) % 5, i % 2 ? 31 : 15);
        Bytes back;
        good = good && stock_inflate(c, i % 2 ? 31 : 15, back) && back == data;
      }
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int v : ok) EXPECT_TRUE(v);
}

// The corpus (when present): every file at levels 1..5, never larger than zlib in streaming
// 64 KiB pieces either.
TEST(DropinStreamDeflate, CorpusNeverLarger) {
  const char* dir = std::getenv("ACCZ_CORPUS_DIR");
  const std::filesystem::path root = dir != nullptr ? dir : ACCZ_CORPUS_DIR;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) GTEST_SKIP() << "no corpus at " << root;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root, ec)) {
    if (e.is_regular_file() && e.path().filename() != "README.md") files.push_back(e.path());
  }
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    const Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.empty()) continue;
    for (int level = 1; level <= 5; level += 2) {
      Session s(Api::dropin(), data);
      ASSERT_EQ(s.init(level), Z_OK);
      while (s.pos < data.size()) s.call(65536, 65536, Z_NO_FLUSH);
      ASSERT_EQ(s.finish(65536), Z_STREAM_END);
      const Bytes stock = oneshot_deflate(Api::stock(), data, level);
      EXPECT_LE(s.out.size(), stock.size()) << f << " level " << level;
      expect_valid(s.out, 15, data);
    }
  }
}

}  // namespace
