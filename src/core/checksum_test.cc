// CRC-32 and Adler-32 must equal zlib's, at every length and alignment, and combine exactly.
#include <gtest/gtest.h>
#include <zlib.h>

#include "accz/framing.h"
#include "engines/testing/test_data.h"

namespace accz {
namespace {

using testing::Bytes;

TEST(Checksum, MatchesZlibAtManyLengthsAndAlignments) {
  const Bytes data = testing::random_bytes(70'000, 81);
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  for (size_t n : {511, 512, 513, 4095, 4096, 5552, 5553, 65535, 65536, 69'000})
    lengths.push_back(n);
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t n : lengths) {
      if (offset + n > data.size()) continue;
      ByteSpan s(data.data() + offset, n);
      ASSERT_EQ(crc32(0, s), ::crc32(0, s.data(), static_cast<uInt>(n))) << offset << "+" << n;
      ASSERT_EQ(adler32(1, s), ::adler32(1, s.data(), static_cast<uInt>(n))) << offset << "+" << n;
    }
  }
}

TEST(Checksum, ChainsLikeZlib) {
  const Bytes data = testing::text_bytes(100'000, 82);
  uint32_t c = 0, a = 1;
  for (size_t pos = 0; pos < data.size(); pos += 777) {
    ByteSpan s = ByteSpan(data).subspan(pos, std::min<size_t>(777, data.size() - pos));
    c = crc32(c, s);
    a = adler32(a, s);
  }
  EXPECT_EQ(c, ::crc32(0, data.data(), static_cast<uInt>(data.size())));
  EXPECT_EQ(a, ::adler32(1, data.data(), static_cast<uInt>(data.size())));
  // Adler-32 of bytes that push both sums past the modulus many times.
  Bytes ff(200'000, 0xff);
  EXPECT_EQ(adler32(1, ff), ::adler32(1, ff.data(), static_cast<uInt>(ff.size())));
}

TEST(Checksum, CombineEqualsChecksumOfConcatenation) {
  const Bytes data = testing::random_bytes(200'000, 83);
  for (size_t split : {0, 1, 3, 100, 4096, 65'537, 199'999, 200'000}) {
    ByteSpan a = ByteSpan(data).first(split), b = ByteSpan(data).subspan(split);
    EXPECT_EQ(crc32_combine(crc32(0, a), crc32(0, b), b.size()), crc32(0, data)) << split;
    EXPECT_EQ(adler32_combine(adler32(1, a), adler32(1, b), b.size()), adler32(1, data)) << split;
  }
}

TEST(Checksum, CombineMatchesZlibForHugeLengths) {
  // Lengths no test could materialise: check against zlib's own combine.
  for (uint64_t len : {uint64_t{1} << 32, (uint64_t{1} << 40) + 12345, uint64_t{0xffffffffff}}) {
    const uint32_t ca = 0x12345678, cb = 0x9abcdef0;
    EXPECT_EQ(crc32_combine(ca, cb, len),
              static_cast<uint32_t>(::crc32_combine64(ca, cb, static_cast<z_off64_t>(len))));
    const uint32_t aa = 0x0a0b0c0d, ab = 0x01020304;
    EXPECT_EQ(adler32_combine(aa, ab, len),
              static_cast<uint32_t>(::adler32_combine64(aa, ab, static_cast<z_off64_t>(len))));
  }
}

}  // namespace
}  // namespace accz
