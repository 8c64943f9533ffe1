// The engine contract (accz/engine.h), checked for every engine, framing and a spread of
// levels: round trips, bounds, overflow, corruption, streaming with tiny buffers, flushes,
// dictionaries, and deflate output crossing between engines and zlib.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <ostream>
#include <string>

#include "accz/engine.h"
#include "engines/testing/test_data.h"

namespace accz {
namespace {

using testing::Bytes;

struct Case {
  const char* engine;
  int level;
  Framing framing;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string f(to_string(info.param.framing));
  std::replace(f.begin(), f.end(), '-', '_');
  return std::string(info.param.engine) + "_" + f + "_" + std::to_string(info.param.level);
}

// What CTest shows after each test's name (instead of the bytes of a 16-byte object).
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.engine << " " << to_string(c.framing) << " level " << c.level;
}

const Case kCases[] = {
    {"isal", 0, Framing::kRaw},       {"isal", 1, Framing::kRaw},
    {"isal", 2, Framing::kRaw},       {"isal", 3, Framing::kRaw},
    {"libdeflate", 0, Framing::kRaw}, {"libdeflate", 1, Framing::kRaw},
    {"libdeflate", 6, Framing::kRaw}, {"libdeflate", 12, Framing::kRaw},
    {"zlib", 0, Framing::kRaw},       {"zlib", 1, Framing::kRaw},
    {"zlib", 6, Framing::kRaw},       {"zlib", 9, Framing::kRaw},
    {"lz4", 1, Framing::kLz4Block},   {"lz4", 2, Framing::kLz4Block},
    {"lz4", 9, Framing::kLz4Block},   {"lz4", 12, Framing::kLz4Block},
    {"lz4", 1, Framing::kLz4Frame},   {"lz4", 3, Framing::kLz4Frame},
    {"lz4", 12, Framing::kLz4Frame},  {"zstd", 1, Framing::kZstdFrame},
    {"zstd", 3, Framing::kZstdFrame}, {"zstd", 19, Framing::kZstdFrame},
};

class EngineTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    engine_ = find_engine(GetParam().engine);
    ASSERT_NE(engine_, nullptr);
    c_ = engine_->compressor(GetParam().level, GetParam().framing);
    d_ = engine_->decompressor(GetParam().framing);
    ASSERT_NE(c_, nullptr);
    ASSERT_NE(d_, nullptr);
  }

  const EngineCaps& caps() const { return engine_->caps(); }
  bool is_block() const { return GetParam().framing == Framing::kLz4Block; }
  bool can_stream() const { return caps().stream_compress && !is_block(); }
  bool is_deflate() const { return caps().algorithm == Algorithm::kDeflate; }
  // zlib and libdeflate write stored blocks at level 0 (ISA-L's level 0 still compresses).
  bool stores() const { return GetParam().level == 0 && caps().name != "isal"; }

  // One-shot into a buffer of exactly bound() bytes, which must suffice.
  Bytes compress(const Bytes& in) {
    Bytes out(c_->bound(in.size()));
    CodecResult r = c_->compress(in, out);
    EXPECT_EQ(r.status, Status::kOk) << "input of " << in.size();
    EXPECT_TRUE(r.end);
    EXPECT_EQ(r.consumed, in.size());
    EXPECT_LE(r.produced, out.size());
    out.resize(r.status == Status::kOk ? r.produced : 0);
    return out;
  }

  // Streams `in` through stream() in pieces of in_step, with out_step output space per call,
  // then kFinish. Fails the test if a call misbehaves.
  Bytes stream_compress(const Bytes& in, size_t in_step, size_t out_step) {
    Bytes out, buf(out_step);
    auto call = [&](ByteSpan piece, Flush f) {
      for (int guard = 0; guard < 10'000'000; ++guard) {
        CodecResult r = c_->stream(piece, buf, f);
        EXPECT_LE(r.produced, buf.size());
        out.insert(out.end(), buf.begin(), buf.begin() + r.produced);
        piece = piece.subspan(r.consumed);
        if (r.status == Status::kOk) {
          EXPECT_TRUE(piece.empty());
          EXPECT_EQ(r.end, f == Flush::kFinish);
          return;
        }
        if (r.status != Status::kOutputOverflow) {
          ADD_FAILURE() << "stream() gave " << to_string(r.status);
          return;
        }
      }
      ADD_FAILURE() << "stream() made no progress";
    };
    for (size_t pos = 0; pos < in.size(); pos += in_step)
      call(ByteSpan(in).subspan(pos, std::min(in_step, in.size() - pos)), Flush::kNone);
    call({}, Flush::kFinish);
    return out;
  }

  // Streams `in` through the decompressor with the given piece sizes; expects the end.
  Bytes stream_decompress(Decompressor& d, const Bytes& in, size_t in_step, size_t out_step,
                          size_t* consumed = nullptr) {
    Bytes out, buf(out_step);
    size_t pos = 0;
    for (int guard = 0; guard < 10'000'000; ++guard) {
      ByteSpan piece = ByteSpan(in).subspan(pos, std::min(in_step, in.size() - pos));
      CodecResult r = d.stream(piece, buf);
      out.insert(out.end(), buf.begin(), buf.begin() + r.produced);
      pos += r.consumed;
      if (r.status == Status::kOk && r.end) {
        if (consumed) *consumed = pos;
        return out;
      }
      if (r.status == Status::kOk && pos == in.size()) {
        ADD_FAILURE() << "input ran out before the end";
        return out;
      }
      if (r.status != Status::kOk && r.status != Status::kOutputOverflow) {
        ADD_FAILURE() << "stream() gave " << to_string(r.status);
        return out;
      }
    }
    ADD_FAILURE() << "stream() made no progress";
    return out;
  }

  Bytes decompress(const Bytes& comp, size_t size) {
    Bytes out(size);
    CodecResult r = d_->decompress(comp, out);
    EXPECT_EQ(r.status, Status::kOk);
    EXPECT_TRUE(r.end);
    out.resize(r.produced);
    return out;
  }

  const Engine* engine_ = nullptr;
  std::unique_ptr<Compressor> c_;
  std::unique_ptr<Decompressor> d_;
};

std::vector<Bytes> sample_inputs() {
  return {Bytes{}, Bytes{'a'}, testing::text_bytes(100'000), testing::random_bytes(65'536),
          testing::mixed_bytes(1 << 20)};
}

TEST_P(EngineTest, OneShotRoundTrip) {
  for (const Bytes& in : sample_inputs()) {
    Bytes comp = compress(in);
    ASSERT_FALSE(comp.empty());
    // Bytes after the stream must not be consumed (a block has no end: it is all input).
    Bytes padded = comp;
    if (!is_block()) padded.insert(padded.end(), {0x55, 0xaa, 0x00, 0xff});
    Bytes out(in.size());
    CodecResult r = d_->decompress(padded, out);
    ASSERT_EQ(r.status, Status::kOk) << "input of " << in.size();
    EXPECT_TRUE(r.end);
    EXPECT_EQ(r.consumed, comp.size());
    ASSERT_EQ(r.produced, in.size());
    EXPECT_EQ(out, in);
  }
}

TEST_P(EngineTest, TextCompresses) {
  if (stores()) GTEST_SKIP() << "level 0 stores";
  Bytes in = testing::text_bytes(100'000);
  EXPECT_LT(compress(in).size(), in.size() / 2);
}

TEST_P(EngineTest, BoundHoldsForIncompressibleSizes) {
  for (size_t n : {0, 1, 2, 100, 4095, 4096, 65535, 65536, 65537, 300'000}) {
    Bytes in = testing::random_bytes(n, static_cast<uint32_t>(n));
    Bytes comp = compress(in);
    ASSERT_EQ(decompress(comp, n), in) << n;
  }
}

TEST_P(EngineTest, ObjectsAreReusable) {
  Bytes a = testing::text_bytes(50'000, 7), b = testing::mixed_bytes(70'000, 8);
  Bytes ca = compress(a);
  Bytes cb = compress(b);
  EXPECT_EQ(compress(a), ca);  // no state leaks from one call into the next
  EXPECT_EQ(decompress(cb, b.size()), b);
  EXPECT_EQ(decompress(ca, a.size()), a);
  if (can_stream()) {
    c_->reset();
    Bytes s = stream_compress(a, 1000, 777);
    EXPECT_EQ(decompress(s, a.size()), a);
    // A stream abandoned half-way, then reset(), must not taint the next one.
    Bytes buf(100);
    c_->stream(b, buf, Flush::kNone);
    c_->reset();
    Bytes t = stream_compress(a, 4096, 4096);
    EXPECT_EQ(decompress(t, a.size()), a);
  }
}

TEST_P(EngineTest, TooSmallOutputOverflows) {
  Bytes in = testing::text_bytes(100'000);
  Bytes comp = compress(in);
  Bytes small(comp.size() - 1);
  EXPECT_EQ(c_->compress(in, small).status, Status::kOutputOverflow);
  Bytes empty_out;
  EXPECT_EQ(c_->compress(in, empty_out).status, Status::kOutputOverflow);
  Bytes out(in.size() - 1);
  EXPECT_EQ(d_->decompress(comp, out).status, Status::kOutputOverflow);
  // The objects still work afterwards.
  EXPECT_EQ(decompress(compress(in), in.size()), in);
}

TEST_P(EngineTest, TruncatedInputIsBadData) {
  if (is_block()) GTEST_SKIP() << "an lz4 block has no end marker: a cut may still decode";
  Bytes in = testing::mixed_bytes(200'000);
  Bytes comp = compress(in);
  std::mt19937 rng(11);
  std::vector<size_t> cuts = {0, 1, 2, 5, comp.size() / 2, comp.size() - 2, comp.size() - 1};
  for (int i = 0; i < 40; ++i) cuts.push_back(rng() % comp.size());
  Bytes out(in.size() + 64);
  for (size_t cut : cuts) {
    Bytes part(comp.begin(), comp.begin() + cut);
    CodecResult r = d_->decompress(part, out);
    EXPECT_EQ(r.status, Status::kBadData) << "cut at " << cut << " of " << comp.size();
  }
}

TEST_P(EngineTest, CorruptInputNeverCrashes) {
  Bytes in = testing::text_bytes(60'000);
  Bytes comp = compress(in);
  std::mt19937 rng(12);
  Bytes out(in.size() + 1024);
  const bool checksummed = !is_deflate() && !is_block();
  for (int i = 0; i < 60; ++i) {
    Bytes bad = comp;
    bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    CodecResult r = d_->decompress(bad, out);
    EXPECT_LE(r.produced, out.size());
    if (checksummed && r.status == Status::kOk) {
      // Only a flip that changes nothing decoded (say, in an unused field) may pass.
      EXPECT_TRUE(r.produced == in.size() && std::equal(in.begin(), in.end(), out.begin()));
    }
  }
  for (int i = 0; i < 30; ++i) {
    Bytes garbage = testing::random_bytes(1 + rng() % 3000, 100 + i);
    CodecResult r = d_->decompress(garbage, out);
    EXPECT_LE(r.produced, out.size());
    if (can_stream() && caps().stream_decompress) {
      d_->reset();
      Bytes buf(333);
      r = d_->stream(garbage, buf);
      EXPECT_LE(r.produced, buf.size());
      d_->reset();
    }
  }
}

TEST_P(EngineTest, InvalidStreamsAreBadData) {
  std::vector<Bytes> invalid;
  if (is_deflate()) {
    invalid = {{0x07},                                // BTYPE 11 is reserved
               {0x01, 0x05, 0x00, 0x00, 0x00},        // stored block whose NLEN != ~LEN
               {0x01, 0x02, 0x00, 0xfd, 0xff, 'a'}};  // stored block cut short
  } else if (GetParam().framing == Framing::kZstdFrame) {
    invalid = {{0x28, 0xb5, 0x2f, 0xfe, 0, 0, 0, 0}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}};
  } else if (GetParam().framing == Framing::kLz4Frame) {
    invalid = {{0x04, 0x22, 0x4d, 0x19, 0xff, 0x70, 0x00}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}};
  } else {
    invalid = {{0xf0}, {0x10}};  // literal runs longer than the block
  }
  Bytes out(1000);
  for (const Bytes& b : invalid) EXPECT_EQ(d_->decompress(b, out).status, Status::kBadData);
}

TEST_P(EngineTest, StreamingWithOneByteBuffers) {
  if (!can_stream()) {
    Bytes buf(16);
    EXPECT_EQ(c_->stream(Bytes{1, 2, 3}, buf, Flush::kFinish).status, Status::kUnsupported);
    GTEST_SKIP() << "no streaming compression";
  }
  Bytes in = testing::text_bytes(6000);
  Bytes comp = stream_compress(in, 1, 1);
  EXPECT_EQ(decompress(comp, in.size()), in);
  if (caps().stream_decompress) {
    d_->reset();
    Bytes padded = comp;
    padded.push_back(0x42);
    size_t consumed = 0;
    EXPECT_EQ(stream_decompress(*d_, padded, 1, 1, &consumed), in);
    EXPECT_EQ(consumed, comp.size());
  }
}

// Whatever the piece sizes, streaming decompression stops exactly at the end of the stream:
// the bytes after it (a gzip trailer, the next member) stay with the caller.
TEST_P(EngineTest, StreamingStopsExactlyAtTheEnd) {
  if (!caps().stream_decompress || is_block()) GTEST_SKIP() << "no streaming decompression";
  for (const Bytes& in : {testing::mixed_bytes(20'000, 13), testing::text_bytes(3000, 14)}) {
    Bytes comp = compress(in);
    Bytes padded = comp;
    for (int i = 0; i < 16; ++i) padded.push_back(static_cast<uint8_t>(0x1f + i * 37));
    for (size_t in_step : {1, 2, 3, 5, 8, 13, 64, 1000, 100'000}) {
      for (size_t out_step : {1, 7, 64, 4096, 100'000}) {
        if (in_step * out_step < 8 && in.size() > 5000) continue;  // slow, and covered below
        d_->reset();
        size_t consumed = 0;
        EXPECT_EQ(stream_decompress(*d_, padded, in_step, out_step, &consumed), in)
            << in_step << "/" << out_step;
        EXPECT_EQ(consumed, comp.size()) << in_step << "/" << out_step;
      }
    }
  }
}

TEST_P(EngineTest, StreamingWithLargeBuffers) {
  if (!can_stream()) GTEST_SKIP() << "no streaming compression";
  Bytes in = testing::mixed_bytes(1 << 20);
  Bytes comp = stream_compress(in, 300'000, 1 << 16);
  EXPECT_EQ(decompress(comp, in.size()), in);
  if (caps().stream_decompress) {
    d_->reset();
    EXPECT_EQ(stream_decompress(*d_, comp, 5000, 70'000), in);
  }
}

// After kSync or kFull, what has come out decodes to everything put in so far.
TEST_P(EngineTest, FlushMakesInputDecodable) {
  if (!can_stream()) GTEST_SKIP() << "no streaming compression";
  for (Flush flush : {Flush::kSync, Flush::kFull}) {
    if (!caps().supports(flush)) {
      Bytes buf(64);
      EXPECT_EQ(c_->stream(Bytes{1}, buf, flush).status, Status::kUnsupported);
      continue;
    }
    c_->reset();
    Bytes in = testing::text_bytes(40'000, 21), out, buf(1000);
    for (size_t piece = 0; piece < 4; ++piece) {
      ByteSpan part = ByteSpan(in).subspan(piece * 10'000, 10'000);
      CodecResult r;
      do {
        r = c_->stream(part, buf, flush);
        out.insert(out.end(), buf.begin(), buf.begin() + r.produced);
        part = part.subspan(r.consumed);
      } while (r.status == Status::kOutputOverflow);
      ASSERT_EQ(r.status, Status::kOk);
      const Bytes want(in.begin(), in.begin() + (piece + 1) * 10'000);
      Bytes got;
      if (is_deflate()) {
        ASSERT_TRUE(testing::zlib_inflate(out, &got, -15));
        ASSERT_GE(out.size(), 4u);
        // Byte aligned: the flush ends with an empty stored block's LEN/NLEN.
        EXPECT_TRUE(std::equal(out.end() - 4, out.end(), Bytes{0, 0, 0xff, 0xff}.begin()));
      } else {
        auto d = engine_->decompressor(GetParam().framing);
        Bytes obuf(50'000);
        CodecResult dr = d->stream(out, obuf);
        ASSERT_EQ(dr.status, Status::kOk);
        EXPECT_FALSE(dr.end);
        got.assign(obuf.begin(), obuf.begin() + dr.produced);
      }
      EXPECT_EQ(got, want) << to_string(flush) << " after piece " << piece;
    }
  }
}

// kFull forgets history: the deflate stream after a full flush decodes on its own.
TEST_P(EngineTest, FullFlushCutsHistory) {
  if (!can_stream() || !is_deflate()) GTEST_SKIP() << "deflate streaming only";
  Bytes piece = testing::text_bytes(20'000, 31);
  Bytes head(100'000), tail(100'000);
  CodecResult r = c_->stream(piece, head, Flush::kFull);
  ASSERT_EQ(r.status, Status::kOk);
  head.resize(r.produced);
  r = c_->stream(piece, tail, Flush::kFinish);
  ASSERT_EQ(r.status, Status::kOk);
  tail.resize(r.produced);
  Bytes got;
  bool ended = false;
  ASSERT_TRUE(testing::zlib_inflate(tail, &got, -15, &ended));
  EXPECT_TRUE(ended);
  EXPECT_EQ(got, piece);
}

TEST_P(EngineTest, DictionaryRoundTrip) {
  if (!caps().dictionary) {
    EXPECT_EQ(c_->set_dictionary(Bytes{1, 2, 3}), Status::kUnsupported);
    GTEST_SKIP() << "no dictionaries";
  }
  // Random data repeated from the dictionary: only the dictionary can make it compress.
  Bytes dict = testing::random_bytes(40'000, 41);
  Bytes in(dict.end() - 8000, dict.end());
  Bytes plain = stream_compress(in, in.size(), 100'000);
  c_->reset();
  ASSERT_EQ(c_->set_dictionary(dict), Status::kOk);
  Bytes with_dict = stream_compress(in, 1000, 100'000);
  if (!stores()) {
    EXPECT_LT(with_dict.size(), plain.size() / 4);
  }
  // Every deflate decompressor that takes a dictionary decodes it.
  for (const Engine* e : engines()) {
    if (e->caps().algorithm != Algorithm::kDeflate || !e->caps().dictionary) continue;
    auto d = e->decompressor(Framing::kRaw);
    ASSERT_EQ(d->set_dictionary(dict), Status::kOk) << e->caps().name;
    EXPECT_EQ(stream_decompress(*d, with_dict, with_dict.size(), 100'000), in) << e->caps().name;
  }
  Bytes got;
  ASSERT_TRUE(testing::zlib_inflate(with_dict.data(), with_dict.size(), &got, -15, nullptr, &dict));
  EXPECT_EQ(got, in);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, EngineTest, ::testing::ValuesIn(kCases), case_name);

TEST(EngineRegistry, OrderAndLookup) {
  std::vector<std::string_view> names;
  for (const Engine* e : engines()) names.push_back(e->caps().name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"isal", "libdeflate", "zlib", "lz4", "zstd"}));
  for (const Engine* e : engines()) EXPECT_EQ(find_engine(e->caps().name), e);
  EXPECT_EQ(find_engine("brotli"), nullptr);
}

TEST(EngineRegistry, RefusesOutOfRangeLevelsAndFramings) {
  for (const Engine* e : engines()) {
    const EngineCaps& caps = e->caps();
    EXPECT_GE(caps.default_level, caps.min_level);
    EXPECT_LE(caps.default_level, caps.max_level);
    for (Framing f : caps.framings) {
      EXPECT_EQ(e->compressor(caps.min_level - 1, f), nullptr) << caps.name;
      EXPECT_EQ(e->compressor(caps.max_level + 1, f), nullptr) << caps.name;
      EXPECT_NE(e->compressor(caps.default_level, f), nullptr) << caps.name;
      EXPECT_NE(e->decompressor(f), nullptr) << caps.name;
    }
    for (Framing f : {Framing::kRaw, Framing::kZlib, Framing::kGzip, Framing::kLz4Block,
                      Framing::kLz4Frame, Framing::kZstdFrame}) {
      if (caps.supports(f)) continue;
      EXPECT_EQ(e->compressor(caps.default_level, f), nullptr) << caps.name;
      EXPECT_EQ(e->decompressor(f), nullptr) << caps.name;
    }
  }
}

TEST(EngineRegistry, UnsupportedOperationsSaySo) {
  Bytes buf(100), in = {1, 2, 3};
  auto ld = find_engine("libdeflate")->decompressor(Framing::kRaw);
  EXPECT_EQ(ld->stream(in, buf).status, Status::kUnsupported);
  EXPECT_EQ(ld->set_dictionary(in), Status::kUnsupported);
  auto lb = find_engine("lz4")->decompressor(Framing::kLz4Block);
  EXPECT_EQ(lb->stream(in, buf).status, Status::kUnsupported);
  auto zc = find_engine("zstd")->compressor(3, Framing::kZstdFrame);
  EXPECT_EQ(zc->stream(in, buf, Flush::kFull).status, Status::kUnsupported);
  EXPECT_FALSE(find_engine("zstd")->caps().supports(Flush::kFull));
}

// Every deflate engine's output is read by every deflate decompressor and by zlib itself.
TEST(DeflateInterop, EveryEngineDecodesEveryOther) {
  const Bytes in = testing::mixed_bytes(300'000, 51);
  for (const Engine* ce : engines()) {
    if (ce->caps().algorithm != Algorithm::kDeflate) continue;
    for (int level : {ce->caps().min_level, ce->caps().default_level, ce->caps().max_level}) {
      auto c = ce->compressor(level, Framing::kRaw);
      Bytes comp(c->bound(in.size()));
      CodecResult r = c->compress(in, comp);
      ASSERT_EQ(r.status, Status::kOk);
      comp.resize(r.produced);
      for (const Engine* de : engines()) {
        if (de->caps().algorithm != Algorithm::kDeflate) continue;
        auto d = de->decompressor(Framing::kRaw);
        Bytes out(in.size());
        CodecResult dr = d->decompress(comp, out);
        EXPECT_EQ(dr.status, Status::kOk) << ce->caps().name << level << " -> " << de->caps().name;
        EXPECT_EQ(out, in) << ce->caps().name << level << " -> " << de->caps().name;
      }
      Bytes ref;
      bool ended = false;
      ASSERT_TRUE(testing::zlib_inflate(comp, &ref, -15, &ended));
      EXPECT_TRUE(ended);
      EXPECT_EQ(ref, in) << ce->caps().name << level << " -> zlib";
    }
  }
  // And what zlib itself writes, at every level.
  for (int level = 0; level <= 9; ++level) {
    Bytes comp = testing::zlib_deflate(in, level, -15);
    for (const Engine* de : engines()) {
      if (de->caps().algorithm != Algorithm::kDeflate) continue;
      auto d = de->decompressor(Framing::kRaw);
      Bytes out(in.size());
      EXPECT_EQ(d->decompress(comp, out).status, Status::kOk) << de->caps().name;
      EXPECT_EQ(out, in) << "zlib " << level << " -> " << de->caps().name;
    }
  }
}

}  // namespace
}  // namespace accz
