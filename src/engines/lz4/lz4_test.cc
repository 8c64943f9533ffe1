// lz4 specifics beyond the shared engine contract (engines_test.cc): the level mapping for
// blocks and the frame options we promise.
#include <gtest/gtest.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>

#include "accz/engine.h"
#include "engines/testing/test_data.h"

namespace accz {
namespace {

using testing::Bytes;

Bytes one_shot(Compressor& c, const Bytes& in) {
  Bytes out(c.bound(in.size()));
  CodecResult r = c.compress(in, out);
  EXPECT_EQ(r.status, Status::kOk);
  out.resize(r.produced);
  return out;
}

TEST(Lz4, BlockLevelOneIsTheDefaultCompressor) {
  Bytes in = testing::text_bytes(100'000, 71);
  auto c = find_engine("lz4")->compressor(1, Framing::kLz4Block);
  Bytes ref(LZ4_compressBound(static_cast<int>(in.size())));
  int n = LZ4_compress_default(reinterpret_cast<const char*>(in.data()),
                               reinterpret_cast<char*>(ref.data()), static_cast<int>(in.size()),
                               static_cast<int>(ref.size()));
  ref.resize(n);
  EXPECT_EQ(one_shot(*c, in), ref);
}

TEST(Lz4, BlockHigherLevelsAreHc) {
  Bytes in = testing::text_bytes(100'000, 72);
  for (int level : {2, 9, 12}) {
    auto c = find_engine("lz4")->compressor(level, Framing::kLz4Block);
    Bytes ref(LZ4_compressBound(static_cast<int>(in.size())));
    int n = LZ4_compress_HC(reinterpret_cast<const char*>(in.data()),
                            reinterpret_cast<char*>(ref.data()), static_cast<int>(in.size()),
                            static_cast<int>(ref.size()), level);
    ref.resize(n);
    EXPECT_EQ(one_shot(*c, in), ref) << level;
  }
}

// Content checksum on, independent blocks; the reference decoder agrees with our output.
TEST(Lz4, FrameCarriesChecksumAndIndependentBlocks) {
  Bytes in = testing::mixed_bytes(300'000, 73);
  auto c = find_engine("lz4")->compressor(1, Framing::kLz4Frame);
  Bytes frame = one_shot(*c, in);
  ASSERT_GE(frame.size(), 7u);
  const uint8_t flg = frame[4];
  EXPECT_TRUE(flg & 0x04) << "content checksum flag";
  EXPECT_TRUE(flg & 0x20) << "block independence flag";

  LZ4F_dctx* dctx = nullptr;
  ASSERT_FALSE(LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)));
  Bytes out(in.size());
  size_t dst = out.size(), src = frame.size();
  size_t ret = LZ4F_decompress(dctx, out.data(), &dst, frame.data(), &src, nullptr);
  LZ4F_freeDecompressionContext(dctx);
  EXPECT_EQ(ret, 0u);
  EXPECT_EQ(dst, in.size());
  EXPECT_EQ(out, in);
}

// A decompressor given too little room for a block says so, rather than calling it corrupt.
TEST(Lz4, BlockShortOutputIsOverflowNotCorruption) {
  Bytes in = testing::text_bytes(10'000, 74);
  auto c = find_engine("lz4")->compressor(1, Framing::kLz4Block);
  auto d = find_engine("lz4")->decompressor(Framing::kLz4Block);
  Bytes comp = one_shot(*c, in);
  for (size_t room : {size_t{1}, size_t{100}, in.size() - 1}) {
    Bytes out(room);
    EXPECT_EQ(d->decompress(comp, out).status, Status::kOutputOverflow) << room;
  }
}

}  // namespace
}  // namespace accz
