// zlib/gzip framing over the deflate engines: interop with zlib both ways, multi-member gzip,
// checksum and length errors, and the streaming wrappers with one-byte buffers.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

#include "accz/framing.h"
#include "engines/testing/test_data.h"

namespace accz {
namespace {

using testing::Bytes;

std::vector<const Engine*> deflate_engines() {
  std::vector<const Engine*> v;
  for (const Engine* e : engines())
    if (e->caps().algorithm == Algorithm::kDeflate) v.push_back(e);
  return v;
}

std::vector<const Engine*> streaming_deflate_engines() {
  std::vector<const Engine*> v;
  for (const Engine* e : deflate_engines())
    if (e->caps().stream_compress && e->caps().stream_decompress) v.push_back(e);
  return v;
}

Bytes framed(const Engine& e, Framing f, const Bytes& in, const GzipHeader& gz = {},
             uint32_t* check = nullptr) {
  auto c = e.compressor(e.caps().default_level, Framing::kRaw);
  Bytes out(c->bound(in.size()) + 1024);
  CodecResult r = compress_framed(*c, f, 6, in, out, gz, check);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(r.end);
  out.resize(r.produced);
  return out;
}

TEST(ZlibHeader, CheckBitsAndLevelsMatchZlib) {
  for (int level = -1; level <= 9; ++level) {
    Bytes ours = zlib_header_bytes(level);
    ASSERT_EQ(ours.size(), 2u);
    EXPECT_EQ((ours[0] * 256 + ours[1]) % 31, 0) << level;
    Bytes ref = testing::zlib_deflate(Bytes{1, 2, 3}, level, 15);
    EXPECT_EQ(ours[0], ref[0]) << level;
    EXPECT_EQ(ours[1], ref[1]) << level;
  }
}

TEST(ZlibHeader, DictionaryHeaderMatchesZlib) {
  Bytes dict = testing::text_bytes(1000, 91);
  z_stream s{};
  ASSERT_EQ(deflateInit(&s, 9), Z_OK);
  ASSERT_EQ(deflateSetDictionary(&s, dict.data(), static_cast<uInt>(dict.size())), Z_OK);
  Bytes out(64);
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  deflateEnd(&s);
  Bytes ours = zlib_header_bytes(9, true, adler32(1, dict));
  EXPECT_EQ(ours, Bytes(out.begin(), out.begin() + 6));
  auto t = zlib_trailer_bytes(0x01020304);
  EXPECT_EQ(Bytes(t.begin(), t.end()), (Bytes{1, 2, 3, 4}));
}

TEST(FramedOneShot, OurOutputDecodesWithZlib) {
  const Bytes in = testing::mixed_bytes(300'000, 92);
  GzipHeader gz;
  gz.name = "data.bin";
  gz.mtime = 1700000000;
  for (const Engine* e : deflate_engines()) {
    uint32_t check = 0;
    Bytes gzip = framed(*e, Framing::kGzip, in, gz, &check);
    EXPECT_EQ(check, ::crc32(0, in.data(), static_cast<uInt>(in.size())));
    Bytes out;
    bool ended = false;
    ASSERT_TRUE(testing::zlib_inflate(gzip, &out, 31, &ended)) << e->caps().name;
    EXPECT_TRUE(ended);
    EXPECT_EQ(out, in) << e->caps().name;

    Bytes zlib = framed(*e, Framing::kZlib, in, {}, &check);
    EXPECT_EQ(check, ::adler32(1, in.data(), static_cast<uInt>(in.size())));
    ASSERT_TRUE(testing::zlib_inflate(zlib, &out, 15, &ended)) << e->caps().name;
    EXPECT_TRUE(ended);
    EXPECT_EQ(out, in) << e->caps().name;
  }
}

TEST(FramedOneShot, ZlibOutputDecodesWithUs) {
  const Bytes in = testing::text_bytes(200'000, 93);
  for (int level : {0, 1, 6, 9}) {
    const Bytes gzip = testing::zlib_deflate(in, level, 31);
    const Bytes zlib = testing::zlib_deflate(in, level, 15);
    for (const Engine* e : deflate_engines()) {
      auto d = e->decompressor(Framing::kRaw);
      Bytes out(in.size());
      uint32_t check = 0;
      CodecResult r = decompress_framed(*d, Framing::kGzip, gzip, out, &check);
      ASSERT_EQ(r.status, Status::kOk) << e->caps().name << " gzip " << level;
      EXPECT_EQ(r.consumed, gzip.size());
      EXPECT_EQ(out, in);
      EXPECT_EQ(check, crc32(0, in));
      r = decompress_framed(*d, Framing::kZlib, zlib, out, &check);
      ASSERT_EQ(r.status, Status::kOk) << e->caps().name << " zlib " << level;
      EXPECT_EQ(r.consumed, zlib.size());
      EXPECT_EQ(out, in);
      EXPECT_EQ(check, adler32(1, in));
    }
  }
}

TEST(FramedOneShot, EveryGzipMemberIsDecoded) {
  const Bytes a = testing::text_bytes(50'000, 94), b = testing::random_bytes(3000, 95), c;
  const Bytes d = testing::text_bytes(70'000, 96);
  Bytes stream = testing::zlib_deflate(a, 6, 31);
  Bytes more = testing::zlib_deflate(b, 1, 31);
  stream.insert(stream.end(), more.begin(), more.end());
  more = framed(*find_engine("isal"), Framing::kGzip, c);  // an empty member
  stream.insert(stream.end(), more.begin(), more.end());
  more = framed(*find_engine("libdeflate"), Framing::kGzip, d);
  stream.insert(stream.end(), more.begin(), more.end());
  const size_t members_end = stream.size();
  stream.insert(stream.end(), {0, 0, 0, 0});  // tar-style padding: not a member, not consumed

  Bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  want.insert(want.end(), d.begin(), d.end());
  for (const Engine* e : deflate_engines()) {
    auto dec = e->decompressor(Framing::kRaw);
    Bytes out(want.size());
    uint32_t check = 0;
    CodecResult r = decompress_framed(*dec, Framing::kGzip, stream, out, &check);
    ASSERT_EQ(r.status, Status::kOk) << e->caps().name;
    EXPECT_EQ(r.consumed, members_end);
    EXPECT_EQ(r.produced, want.size());
    EXPECT_EQ(out, want);
    EXPECT_EQ(check, crc32(0, want));
  }
}

TEST(FramedOneShot, DetectsCorruptTrailersAndTruncation) {
  const Bytes in = testing::text_bytes(40'000, 97);
  for (Framing f : {Framing::kGzip, Framing::kZlib}) {
    const Bytes good = framed(*find_engine("zlib"), f, in);
    std::vector<Bytes> bad;
    for (size_t back = 1; back <= (f == Framing::kGzip ? 8u : 4u); ++back) {
      Bytes x = good;
      x[x.size() - back] ^= 0x10;  // each checksum and length byte
      bad.push_back(x);
    }
    for (size_t cut : {size_t{0}, size_t{1}, size_t{5}, good.size() / 2, good.size() - 1})
      bad.push_back(Bytes(good.begin(), good.begin() + cut));
    Bytes wrong_magic = good;
    wrong_magic[0] ^= 0xff;
    bad.push_back(wrong_magic);
    for (const Engine* e : deflate_engines()) {
      auto d = e->decompressor(Framing::kRaw);
      Bytes out(in.size() + 100);
      for (const Bytes& b : bad)
        EXPECT_EQ(decompress_framed(*d, f, b, out).status, Status::kBadData)
            << e->caps().name << " " << to_string(f) << " size " << b.size();
    }
  }
}

TEST(FramedOneShot, ZlibPresetDictionaryIsUnsupported) {
  Bytes dict = testing::text_bytes(1000, 98), in = testing::text_bytes(5000, 98);
  z_stream s{};
  deflateInit(&s, 6);
  deflateSetDictionary(&s, dict.data(), static_cast<uInt>(dict.size()));
  Bytes comp(10'000);
  s.next_in = in.data();
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = comp.data();
  s.avail_out = static_cast<uInt>(comp.size());
  deflate(&s, Z_FINISH);
  comp.resize(s.total_out);
  deflateEnd(&s);
  auto d = find_engine("zlib")->decompressor(Framing::kRaw);
  Bytes out(in.size());
  EXPECT_EQ(decompress_framed(*d, Framing::kZlib, comp, out).status, Status::kUnsupported);
  FramedDecompressor fd(find_engine("zlib")->decompressor(Framing::kRaw), Framing::kZlib);
  EXPECT_EQ(fd.stream(comp, out).status, Status::kUnsupported);
  EXPECT_STREQ(fd.error(), "dictionary required");
}

TEST(FramedOneShot, PassesLz4AndZstdThrough) {
  const Bytes in = testing::text_bytes(30'000, 99);
  for (auto [name, f] :
       {std::pair{"lz4", Framing::kLz4Frame}, std::pair{"zstd", Framing::kZstdFrame}}) {
    const Engine* e = find_engine(name);
    auto c = e->compressor(e->caps().default_level, f);
    auto d = e->decompressor(f);
    Bytes comp(c->bound(in.size())), out(in.size());
    CodecResult r = compress_framed(*c, f, 6, in, comp);
    ASSERT_EQ(r.status, Status::kOk);
    comp.resize(r.produced);
    ASSERT_EQ(decompress_framed(*d, f, comp, out).status, Status::kOk);
    EXPECT_EQ(out, in);
  }
}

// Runs a FramedCompressor with the given buffer sizes; a kSync after the first half.
Bytes run_framed_compressor(FramedCompressor& fc, const Bytes& in, size_t in_step, size_t out_step,
                            Bytes* at_sync = nullptr) {
  Bytes out, buf(out_step);
  auto call = [&](ByteSpan piece, Flush f) {
    for (int guard = 0; guard < 10'000'000; ++guard) {
      CodecResult r = fc.stream(piece, buf, f);
      out.insert(out.end(), buf.begin(), buf.begin() + r.produced);
      piece = piece.subspan(r.consumed);
      if (r.status == Status::kOk) {
        EXPECT_EQ(r.end, f == Flush::kFinish);
        return;
      }
      ASSERT_EQ(r.status, Status::kOutputOverflow);
    }
    FAIL() << "no progress";
  };
  const size_t half = in.size() / 2;
  for (size_t pos = 0; pos < half; pos += in_step)
    call(ByteSpan(in).subspan(pos, std::min(in_step, half - pos)), Flush::kNone);
  call({}, Flush::kSync);
  if (at_sync) *at_sync = out;
  for (size_t pos = half; pos < in.size(); pos += in_step)
    call(ByteSpan(in).subspan(pos, std::min(in_step, in.size() - pos)), Flush::kNone);
  call({}, Flush::kFinish);
  return out;
}

TEST(FramedStream, CompressorWithOneByteBuffersDecodesWithZlib) {
  const Bytes in = testing::text_bytes(5000, 100);
  GzipHeader gz;
  gz.name = "tiny";
  gz.comment = "one byte at a time";
  gz.hcrc = true;
  for (const Engine* e : streaming_deflate_engines()) {
    for (Framing f : {Framing::kGzip, Framing::kZlib}) {
      FramedCompressor fc(e->compressor(e->caps().default_level, Framing::kRaw), f, 6, gz);
      Bytes at_sync;
      Bytes comp = run_framed_compressor(fc, in, 1, 1, &at_sync);
      const int wbits = f == Framing::kGzip ? 31 : 15;
      Bytes out;
      bool ended = false;
      ASSERT_TRUE(testing::zlib_inflate(comp, &out, wbits, &ended)) << e->caps().name;
      EXPECT_TRUE(ended);
      EXPECT_EQ(out, in) << e->caps().name << " " << to_string(f);
      EXPECT_EQ(fc.total_in(), in.size());
      EXPECT_EQ(fc.checksum(), f == Framing::kGzip ? crc32(0, in) : adler32(1, in));
      // After the sync flush, zlib already decodes the first half.
      ASSERT_TRUE(testing::zlib_inflate(at_sync, &out, wbits, &ended));
      EXPECT_FALSE(ended);
      EXPECT_EQ(out, Bytes(in.begin(), in.begin() + in.size() / 2));

      // A second member after reset() is the same bytes again.
      fc.reset();
      EXPECT_EQ(run_framed_compressor(fc, in, 700, 50), comp);
    }
  }
}

// Feeds `in` to a FramedDecompressor in in_step pieces with out_step room per call, across
// gzip members. Returns the status that stopped it (kOk when all input was used).
Status run_framed_decompressor(FramedDecompressor& fd, const Bytes& in, size_t in_step,
                               size_t out_step, Bytes* out, int* members) {
  Bytes buf(out_step);
  size_t pos = 0;
  *members = 0;
  for (int guard = 0; guard < 50'000'000; ++guard) {
    ByteSpan piece = ByteSpan(in).subspan(pos, std::min(in_step, in.size() - pos));
    CodecResult r = fd.stream(piece, buf);
    out->insert(out->end(), buf.begin(), buf.begin() + r.produced);
    pos += r.consumed;
    if (r.status != Status::kOk && r.status != Status::kOutputOverflow) return r.status;
    if (r.end) {
      ++*members;
      if (pos == in.size()) return Status::kOk;
      if (!is_gzip_magic(ByteSpan(in).subspan(pos)) && in.size() - pos >= 2) return Status::kOk;
    } else if (r.status == Status::kOk && pos == in.size()) {
      return Status::kBadData;  // ran out of input mid-stream: truncated
    }
  }
  return Status::kDeviceError;
}

TEST(FramedStream, DecompressorTakesOneByteAtATimeAcrossMembers) {
  const Bytes a = testing::text_bytes(4000, 101), b = testing::random_bytes(500, 102);
  GzipHeader gz;
  gz.name = "second";
  gz.extra = {1, 2, 3};
  gz.hcrc = true;
  Bytes stream = testing::zlib_deflate(a, 6, 31);
  Bytes second = framed(*find_engine("zlib"), Framing::kGzip, b, gz);
  stream.insert(stream.end(), second.begin(), second.end());
  Bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  for (const Engine* e : streaming_deflate_engines()) {
    FramedDecompressor fd(e->decompressor(Framing::kRaw), Framing::kGzip);
    Bytes out;
    int members = 0;
    ASSERT_EQ(run_framed_decompressor(fd, stream, 1, 1, &out, &members), Status::kOk)
        << e->caps().name << ": " << (fd.error() ? fd.error() : "");
    EXPECT_EQ(members, 2);
    EXPECT_EQ(out, want);
    EXPECT_EQ(fd.gzip_header().name, "second");
    EXPECT_EQ(fd.member_out(), b.size());
    EXPECT_EQ(fd.checksum(), crc32(0, b));

    FramedDecompressor fz(e->decompressor(Framing::kRaw), Framing::kZlib);
    Bytes zs = testing::zlib_deflate(a, 9, 15);
    out.clear();
    ASSERT_EQ(run_framed_decompressor(fz, zs, 1, 3, &out, &members), Status::kOk);
    EXPECT_EQ(out, a);
  }
}

TEST(FramedStream, DecompressorNamesTheProblem) {
  const Bytes in = testing::text_bytes(20'000, 103);
  const Bytes gzip = testing::zlib_deflate(in, 6, 31);
  const Bytes zlib = testing::zlib_deflate(in, 6, 15);
  struct Bad {
    Framing f;
    Bytes bytes;
    const char* why;
  };
  std::vector<Bad> cases;
  auto with = [](Bytes b, size_t at, uint8_t x) {
    b[at] ^= x;
    return b;
  };
  cases.push_back({Framing::kGzip, with(gzip, 0, 0xff), "invalid gzip header"});
  cases.push_back({Framing::kGzip, with(gzip, 2, 0x01), "unknown compression method"});
  cases.push_back({Framing::kGzip, with(gzip, 3, 0x40), "unknown header flags set"});
  cases.push_back({Framing::kGzip, with(gzip, gzip.size() - 8, 1), "crc error"});
  cases.push_back({Framing::kGzip, with(gzip, gzip.size() - 1, 1), "length error"});
  cases.push_back({Framing::kGzip, with(gzip, 10, 0xe0), "invalid deflate data"});
  cases.push_back({Framing::kZlib, with(zlib, 1, 1), "incorrect header check"});
  cases.push_back({Framing::kZlib, with(zlib, zlib.size() - 1, 1), "adler32 error"});
  for (const Engine* e : streaming_deflate_engines()) {
    for (const Bad& c : cases) {
      FramedDecompressor fd(e->decompressor(Framing::kRaw), c.f);
      Bytes out;
      int members = 0;
      EXPECT_EQ(run_framed_decompressor(fd, c.bytes, 7, 1000, &out, &members), Status::kBadData)
          << c.why;
      ASSERT_NE(fd.error(), nullptr) << c.why;
      EXPECT_STREQ(fd.error(), c.why) << e->caps().name;
      // Sticky until reset(); then the object works again.
      Bytes buf(10);
      EXPECT_EQ(fd.stream(c.bytes, buf).status, Status::kBadData);
      fd.reset();
      out.clear();
      EXPECT_EQ(run_framed_decompressor(fd, c.f == Framing::kGzip ? gzip : zlib, 4096, 4096, &out,
                                        &members),
                Status::kOk)
          << e->caps().name << " after " << c.why << ": " << (fd.error() ? fd.error() : "");
      EXPECT_EQ(out, in);
    }
  }
}

TEST(FramedStream, TruncationLeavesTheStreamUnfinished) {
  const Bytes in = testing::text_bytes(20'000, 104);
  const Bytes gzip = testing::zlib_deflate(in, 6, 31);
  for (size_t cut : {size_t{5}, size_t{12}, gzip.size() / 2, gzip.size() - 4, gzip.size() - 1}) {
    FramedDecompressor fd(find_engine("isal")->decompressor(Framing::kRaw), Framing::kGzip);
    Bytes out;
    int members = 0;
    EXPECT_EQ(run_framed_decompressor(fd, Bytes(gzip.begin(), gzip.begin() + cut), 1000, 1000, &out,
                                      &members),
              Status::kBadData)
        << cut;
    EXPECT_EQ(members, 0);
  }
}

}  // namespace
}  // namespace accz
