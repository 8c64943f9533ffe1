#include "store/format/index_page.h"

#include <gtest/gtest.h>

#include <vector>

#include "store/format/endian.h"
#include "store/format/layout.h"

namespace accz::store {
namespace {

std::vector<IndexRecord> sample(size_t n) {
  std::vector<IndexRecord> r;
  for (size_t i = 0; i < n; ++i) {
    const MapEntry t = i % 3 == 0 ? MapEntry::fragment(1000 + i, uint8_t(i % kMaxFragments))
                                  : MapEntry::whole(5000 + i);
    r.push_back({0x0123456789ABCDEFull * (i + 1), ~uint64_t(i), t});
  }
  return r;
}

TEST(IndexPage, RoundTripsEmptyPartialAndFullPages) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{kIndexRecordsPerPage}}) {
    const auto records = sample(n);
    std::vector<uint8_t> block(kBlockSize);
    encode_index_page(4, 17, 99, records, block);
    auto got = decode_index_page(block, 4, 99, 17);
    ASSERT_TRUE(got.ok()) << got.status.to_string();
    EXPECT_EQ(got.value, records) << n;
  }
}

TEST(IndexPage, RecordLayoutIsHashLowHighThenEntry) {
  const std::vector<IndexRecord> one = {{0x1111, 0x2222, MapEntry::whole(0x3333)}};
  std::vector<uint8_t> block(kBlockSize);
  encode_index_page(0, 1, 2, one, block);
  EXPECT_EQ(le::load32(block.data()), kMagicIndex);
  EXPECT_EQ(le::load16(block.data() + 6), 1u);
  EXPECT_EQ(le::load64(block.data() + 32), 0x1111u);
  EXPECT_EQ(le::load64(block.data() + 40), 0x2222u);
  EXPECT_EQ(le::load64(block.data() + 48), encode_map_entry(MapEntry::whole(0x3333)));
}

TEST(IndexPage, RejectsOtherGenerationPositionNonceAndDamage) {
  const auto records = sample(20);
  std::vector<uint8_t> block(kBlockSize);
  encode_index_page(4, 17, 99, records, block);
  EXPECT_FALSE(decode_index_page(block, 4, 99, 18).ok());  // an older save's page
  EXPECT_FALSE(decode_index_page(block, 4, 99, 0).ok());   // no valid index at all
  EXPECT_FALSE(decode_index_page(block, 5, 99, 17).ok());
  EXPECT_FALSE(decode_index_page(block, 4, 98, 17).ok());
  std::vector<uint8_t> torn = block;
  torn[600] ^= 1;
  EXPECT_FALSE(decode_index_page(torn, 4, 99, 17).ok());
  EXPECT_FALSE(decode_index_page(std::vector<uint8_t>(kBlockSize), 4, 99, 17).ok());
}

TEST(IndexPage, RejectsRecordsThatPointAtNoDataBlock) {
  const std::vector<IndexRecord> bad = {{1, 2, MapEntry::zero()}};
  std::vector<uint8_t> block(kBlockSize);
  encode_index_page(0, 3, 4, bad, block);
  EXPECT_EQ(decode_index_page(block, 0, 4, 3).status.code(), StoreErrc::kCorruption);
}

}  // namespace
}  // namespace accz::store
