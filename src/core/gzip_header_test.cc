// gzip headers: what we write, zlib reads; what we parse, byte by byte or whole, is exactly
// what was written; bad headers are refused with a reason.
#include <gtest/gtest.h>
#include <zlib.h>

#include "accz/framing.h"
#include "engines/testing/test_data.h"

namespace accz {
namespace {

using testing::Bytes;

GzipHeader full_header() {
  GzipHeader h;
  h.mtime = 0x5f3e2d1c;
  h.xfl = 2;
  h.os = 11;
  h.text = true;
  h.hcrc = true;
  h.has_extra = h.has_name = h.has_comment = true;
  h.name = "archive.tar";
  h.comment = "made by accz";
  h.extra = {'A', 'Z', 4, 0, 1, 2, 3, 4};
  return h;
}

void expect_same(const GzipHeader& a, const GzipHeader& b) {
  EXPECT_EQ(a.mtime, b.mtime);
  EXPECT_EQ(a.xfl, b.xfl);
  EXPECT_EQ(a.os, b.os);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.hcrc, b.hcrc);
  EXPECT_EQ(a.has_extra, b.has_extra);
  EXPECT_EQ(a.has_name, b.has_name);
  EXPECT_EQ(a.has_comment, b.has_comment);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.comment, b.comment);
  EXPECT_EQ(a.extra, b.extra);
}

TEST(GzipHeader, EveryFieldParsedByteByByte) {
  const GzipHeader h = full_header();
  Bytes bytes = gzip_header_bytes(h);
  bytes.push_back(0x99);  // the first body byte: must not be taken
  GzipHeaderParser p;
  size_t used = 0;
  for (size_t i = 0; i < bytes.size() && p.state() == GzipHeaderParser::State::kNeedMore; ++i)
    used += p.feed(ByteSpan(&bytes[i], 1));
  ASSERT_EQ(p.state(), GzipHeaderParser::State::kDone) << (p.error() ? p.error() : "");
  EXPECT_EQ(used, bytes.size() - 1);
  expect_same(p.header(), h);

  GzipHeaderParser whole;
  EXPECT_EQ(whole.feed(bytes), bytes.size() - 1);
  ASSERT_EQ(whole.state(), GzipHeaderParser::State::kDone);
  expect_same(whole.header(), h);
}

TEST(GzipHeader, ParsedInEveryTwoPieceSplit) {
  const GzipHeader h = full_header();
  const Bytes bytes = gzip_header_bytes(h);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    GzipHeaderParser p;
    size_t used = p.feed(ByteSpan(bytes).first(cut));
    used += p.feed(ByteSpan(bytes).subspan(used));
    ASSERT_EQ(p.state(), GzipHeaderParser::State::kDone) << cut;
    EXPECT_EQ(used, bytes.size());
    expect_same(p.header(), h);
  }
}

TEST(GzipHeader, MinimalHeader) {
  GzipHeader h;
  const Bytes bytes = gzip_header_bytes(h);
  EXPECT_EQ(bytes, (Bytes{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}));
  GzipHeaderParser p;
  EXPECT_EQ(p.feed(bytes), 10u);
  EXPECT_EQ(p.state(), GzipHeaderParser::State::kDone);
  expect_same(p.header(), h);
}

TEST(GzipHeader, ZlibReadsOurHeader) {
  const GzipHeader h = full_header();
  Bytes member = gzip_header_bytes(h);
  // An empty deflate body (final fixed block with just end-of-block), then the trailer.
  member.insert(member.end(), {0x03, 0x00});
  auto trailer = gzip_trailer_bytes(0, 0);
  member.insert(member.end(), trailer.begin(), trailer.end());

  z_stream s{};
  ASSERT_EQ(inflateInit2(&s, 31), Z_OK);
  gz_header zh{};
  char name[64] = {}, comment[64] = {};
  Bytef extra[64] = {};
  zh.name = reinterpret_cast<Bytef*>(name);
  zh.name_max = sizeof(name);
  zh.comment = reinterpret_cast<Bytef*>(comment);
  zh.comm_max = sizeof(comment);
  zh.extra = extra;
  zh.extra_max = sizeof(extra);
  ASSERT_EQ(inflateGetHeader(&s, &zh), Z_OK);
  uint8_t out[16];
  s.next_in = member.data();
  s.avail_in = static_cast<uInt>(member.size());
  s.next_out = out;
  s.avail_out = sizeof(out);
  EXPECT_EQ(inflate(&s, Z_FINISH), Z_STREAM_END) << (s.msg ? s.msg : "");
  inflateEnd(&s);
  EXPECT_EQ(zh.time, h.mtime);
  EXPECT_EQ(zh.os, h.os);
  EXPECT_EQ(zh.xflags, h.xfl);
  EXPECT_EQ(zh.text, 1);
  EXPECT_EQ(zh.hcrc, 1);
  EXPECT_EQ(std::string(name), h.name);
  EXPECT_EQ(std::string(comment), h.comment);
  EXPECT_EQ(Bytes(extra, extra + zh.extra_len), h.extra);
}

TEST(GzipHeader, ParsesZlibsHeader) {
  // zlib's deflate with a custom gz_header: our parser must read what it wrote.
  z_stream s{};
  ASSERT_EQ(deflateInit2(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  char name[] = "from-zlib.txt", comment[] = "zlib comment";
  Bytef extra[] = {'x', 'y', 2, 0, 7, 8};
  gz_header zh{};
  zh.text = 0;
  zh.time = 123456;
  zh.os = 3;
  zh.name = reinterpret_cast<Bytef*>(name);
  zh.comment = reinterpret_cast<Bytef*>(comment);
  zh.extra = extra;
  zh.extra_len = sizeof(extra);
  zh.hcrc = 1;
  ASSERT_EQ(deflateSetHeader(&s, &zh), Z_OK);
  Bytes out(256);
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);

  GzipHeaderParser p;
  for (size_t i = 0; i < out.size() && p.state() == GzipHeaderParser::State::kNeedMore; ++i)
    p.feed(ByteSpan(&out[i], 1));
  ASSERT_EQ(p.state(), GzipHeaderParser::State::kDone) << (p.error() ? p.error() : "");
  EXPECT_EQ(p.header().name, name);
  EXPECT_EQ(p.header().comment, comment);
  EXPECT_EQ(p.header().extra, Bytes(extra, extra + sizeof(extra)));
  EXPECT_EQ(p.header().mtime, 123456u);
  EXPECT_TRUE(p.header().hcrc);
}

struct BadCase {
  Bytes bytes;
  std::string why;
};

TEST(GzipHeader, RejectsBadHeaders) {
  Bytes good = gzip_header_bytes(full_header());
  Bytes bad_hcrc = good;
  bad_hcrc.back() ^= 1;
  const BadCase cases[] = {
      {{0x1f, 0x8c, 8, 0, 0, 0, 0, 0, 0, 3}, "invalid gzip header"},
      {{0x78, 0x9c}, "invalid gzip header"},
      {{0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3}, "unknown compression method"},
      {{0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3}, "unknown header flags set"},
      {{0x1f, 0x8b, 8, 0x80, 0, 0, 0, 0, 0, 3}, "unknown header flags set"},
      {bad_hcrc, "header crc mismatch"},
  };
  for (const BadCase& c : cases) {
    for (bool bytewise : {false, true}) {
      GzipHeaderParser p;
      if (bytewise) {
        for (size_t i = 0; i < c.bytes.size() && p.state() == GzipHeaderParser::State::kNeedMore;
             ++i)
          p.feed(ByteSpan(&c.bytes[i], 1));
      } else {
        p.feed(c.bytes);
      }
      ASSERT_EQ(p.state(), GzipHeaderParser::State::kBad) << c.why;
      EXPECT_EQ(std::string(p.error()), c.why);
    }
  }
}

TEST(GzipHeader, TruncatedHeaderNeedsMore) {
  Bytes good = gzip_header_bytes(full_header());
  for (size_t cut = 0; cut < good.size(); ++cut) {
    GzipHeaderParser p;
    EXPECT_EQ(p.feed(ByteSpan(good).first(cut)), cut);
    EXPECT_EQ(p.state(), GzipHeaderParser::State::kNeedMore) << cut;
  }
}

TEST(GzipHeader, ResetAllowsReuse) {
  GzipHeaderParser p;
  p.feed(Bytes{0x00});
  ASSERT_EQ(p.state(), GzipHeaderParser::State::kBad);
  p.reset();
  const Bytes good = gzip_header_bytes(full_header());
  EXPECT_EQ(p.feed(good), good.size());
  EXPECT_EQ(p.state(), GzipHeaderParser::State::kDone);
}

TEST(GzipHeader, TrailerLayout) {
  auto t = gzip_trailer_bytes(0x11223344, (uint64_t{1} << 32) + 5);
  EXPECT_EQ(Bytes(t.begin(), t.end()), (Bytes{0x44, 0x33, 0x22, 0x11, 5, 0, 0, 0}));
}

}  // namespace
}  // namespace accz
