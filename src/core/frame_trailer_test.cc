// lz4/zstd frame walking: the checksum is found only for exactly one whole frame.
#include "core/frame_trailer.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <xxhash.h>
#include <zstd.h>

#include <vector>

#include "util/datagen.h"

namespace accz {
namespace {

std::vector<uint8_t> lz4_frame(const std::vector<uint8_t>& in, bool checksum, bool block_sum) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.contentChecksumFlag =
      checksum ? LZ4F_contentChecksumEnabled : LZ4F_noContentChecksum;
  prefs.frameInfo.blockChecksumFlag = block_sum ? LZ4F_blockChecksumEnabled : LZ4F_noBlockChecksum;
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.contentSize = in.size();
  std::vector<uint8_t> out(LZ4F_compressFrameBound(in.size(), &prefs));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  EXPECT_FALSE(LZ4F_isError(n));
  out.resize(n);
  return out;
}

std::vector<uint8_t> zstd_frame(const std::vector<uint8_t>& in, bool checksum) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  std::vector<uint8_t> out(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress2(c, out.data(), out.size(), in.data(), in.size());
  EXPECT_FALSE(ZSTD_isError(n));
  ZSTD_freeCCtx(c);
  out.resize(n);
  return out;
}

template <typename F>
std::optional<FrameChecksum> parse(F f, const std::vector<uint8_t>& frame, size_t end) {
  ByteSpan s(frame);
  return f(std::span<const ByteSpan>(&s, 1), end);
}

TEST(FrameTrailer, Lz4FrameChecksumIsFoundAndMatchesContent) {
  auto plain = datagen::text(200000, 1);  // several 64 KiB blocks
  for (bool block_sum : {false, true}) {
    auto frame = lz4_frame(plain, true, block_sum);
    auto fc = parse(lz4_frame_checksum, frame, frame.size());
    ASSERT_TRUE(fc);
    EXPECT_EQ(fc->kind, FrameChecksum::Kind::kXxh32);
    EXPECT_EQ(fc->value, XXH32(plain.data(), plain.size(), 0));
    MutableByteSpan d(plain);
    EXPECT_EQ(frame_checksum_of(fc->kind, std::span<const MutableByteSpan>(&d, 1), plain.size()),
              fc->value);
    EXPECT_FALSE(parse(lz4_frame_checksum, frame, frame.size() - 1));  // truncated
  }
  auto bare = lz4_frame(plain, false, false);
  EXPECT_FALSE(parse(lz4_frame_checksum, bare, bare.size()));
}

TEST(FrameTrailer, ZstdFrameChecksumIsFoundAndMatchesContent) {
  auto plain = datagen::text(300000, 2);
  auto frame = zstd_frame(plain, true);
  auto fc = parse(zstd_frame_checksum, frame, frame.size());
  ASSERT_TRUE(fc);
  EXPECT_EQ(fc->kind, FrameChecksum::Kind::kXxh64Low32);
  EXPECT_EQ(fc->value, static_cast<uint32_t>(XXH64(plain.data(), plain.size(), 0)));
  EXPECT_FALSE(parse(zstd_frame_checksum, frame, frame.size() - 1));
  auto bare = zstd_frame(plain, false);
  EXPECT_FALSE(parse(zstd_frame_checksum, bare, bare.size()));
}

TEST(FrameTrailer, OnlyTheWholeOfOneFrameCounts) {
  auto a = datagen::text(5000, 3), b = datagen::text(7000, 4);
  auto fa = zstd_frame(a, true), fb = zstd_frame(b, true);
  std::vector<uint8_t> both = fa;
  both.insert(both.end(), fb.begin(), fb.end());
  EXPECT_FALSE(parse(zstd_frame_checksum, both, both.size()));
  EXPECT_TRUE(parse(zstd_frame_checksum, both, fa.size()));

  auto la = lz4_frame(a, true, false), lb = lz4_frame(b, true, false);
  std::vector<uint8_t> lboth = la;
  lboth.insert(lboth.end(), lb.begin(), lb.end());
  EXPECT_FALSE(parse(lz4_frame_checksum, lboth, lboth.size()));

  // Split across spans: same answer.
  ByteSpan parts[2] = {ByteSpan(fa).first(3), ByteSpan(fa).subspan(3)};
  auto fc = zstd_frame_checksum(parts, fa.size());
  ASSERT_TRUE(fc);
  EXPECT_EQ(fc->value, static_cast<uint32_t>(XXH64(a.data(), a.size(), 0)));
}

TEST(FrameTrailer, GarbageIsRejected) {
  auto junk = datagen::generate({datagen::Kind::kRandom, 5, 0}, 1000);
  EXPECT_FALSE(parse(lz4_frame_checksum, junk, junk.size()));
  EXPECT_FALSE(parse(zstd_frame_checksum, junk, junk.size()));
  std::vector<uint8_t> tiny = {0x28, 0xb5};
  EXPECT_FALSE(parse(zstd_frame_checksum, tiny, tiny.size()));
}

}  // namespace
}  // namespace accz
