// Map entries, compressed blocks and journal blocks: round trips and rejections.
#include <gtest/gtest.h>

#include <vector>

#include "store/format/compressed_block.h"
#include "store/format/crc32c.h"
#include "store/format/endian.h"
#include "store/format/journal_block.h"
#include "store/format/map_entry.h"

namespace accz::store {
namespace {

TEST(MapEntry, RoundTripsEveryKind) {
  const uint64_t max_pbn = (uint64_t{1} << 48) - 1;
  std::vector<MapEntry> all = {MapEntry::unmapped(), MapEntry::zero(), MapEntry::whole(1),
                               MapEntry::whole(max_pbn)};
  for (uint8_t s = 0; s < kMaxFragments; ++s) all.push_back(MapEntry::fragment(12345, s));
  for (const MapEntry& e : all) {
    auto d = decode_map_entry(encode_map_entry(e));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, e);
  }
  EXPECT_EQ(encode_map_entry(MapEntry::unmapped()), 0u);
  EXPECT_EQ(encode_map_entry(MapEntry::whole(7)), (uint64_t{1} << 48) | 7);
  EXPECT_EQ(encode_map_entry(MapEntry::fragment(7, 13)), (uint64_t{15} << 48) | 7);
  EXPECT_FALSE(MapEntry::zero().references_block());
  EXPECT_TRUE(MapEntry::fragment(7, 0).references_block());
}

TEST(MapEntry, RejectsImpossibleEncodings) {
  EXPECT_FALSE(decode_map_entry(uint64_t{1} << 52).has_value());  // reserved bit
  EXPECT_FALSE(decode_map_entry(5).has_value());                  // unmapped with a PBN
  EXPECT_FALSE(decode_map_entry(uint64_t{2} << 48).has_value());  // fragment of PBN 0
}

std::vector<std::vector<uint8_t>> make_fragments(std::vector<size_t> sizes) {
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::vector<uint8_t> f(sizes[i]);
    for (size_t j = 0; j < f.size(); ++j) f[j] = static_cast<uint8_t>(i * 17 + j);
    out.push_back(std::move(f));
  }
  return out;
}

TEST(CompressedBlock, RoundTripsUpToFourteenFragments) {
  for (size_t n : {size_t{1}, size_t{5}, size_t{14}}) {
    std::vector<size_t> sizes(n, kMaxFragmentBytes / n);
    sizes[0] += kMaxFragmentBytes % n;  // exactly full
    auto frags = make_fragments(sizes);
    std::vector<ByteSpan> views(frags.begin(), frags.end());
    std::vector<uint8_t> block(kBlockSize, 0xCC);
    encode_compressed_block(1, views, block);
    auto r = parse_compressed_block(block, 1);
    ASSERT_TRUE(r.ok()) << r.status.to_string();
    ASSERT_EQ(r.value.fragment_count, n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_TRUE(std::equal(r.value.fragments[i].begin(), r.value.fragments[i].end(),
                             frags[i].begin(), frags[i].end()))
          << i;
    }
    EXPECT_EQ(le::load16(block.data() + 8), sizes[0]);
  }
}

TEST(CompressedBlock, RejectsBadHeaders) {
  auto frags = make_fragments({100, 200});
  std::vector<ByteSpan> views(frags.begin(), frags.end());
  std::vector<uint8_t> block(kBlockSize);
  encode_compressed_block(2, views, block);
  EXPECT_EQ(parse_compressed_block(block, 1).status.code(), StoreErrc::kCorruption);
  auto with = [&](size_t at, uint8_t v) {
    std::vector<uint8_t> b = block;
    b[at] = v;
    le::store32(b.data() + 36, crc32c(ByteSpan(b).first(36)));
    return parse_compressed_block(b, 2).status.code();
  };
  EXPECT_EQ(with(7, 0), StoreErrc::kCorruption);     // no fragments
  EXPECT_EQ(with(7, 15), StoreErrc::kCorruption);    // too many
  EXPECT_EQ(with(7, 3), StoreErrc::kCorruption);     // third fragment empty
  EXPECT_EQ(with(13, 1), StoreErrc::kCorruption);    // size in an unused slot
  EXPECT_EQ(with(9, 0x10), StoreErrc::kCorruption);  // 4196-byte fragment overruns
  EXPECT_EQ(with(4, 2), StoreErrc::kNotSupported);   // version 2
  std::vector<uint8_t> flipped = block;
  flipped[9] ^= 1;  // size changed without a new checksum
  EXPECT_EQ(parse_compressed_block(flipped, 2).status.code(), StoreErrc::kCorruption);
  EXPECT_EQ(parse_compressed_block(std::vector<uint8_t>(kBlockSize), 2).status.code(),
            StoreErrc::kCorruption);
}

TEST(JournalBlock, RoundTrips) {
  JournalBlock jb;
  jb.sequence = 777;
  jb.head = 700;
  for (uint64_t i = 0; i < kJournalEntriesPerBlock; ++i) {
    jb.entries.push_back({i * 3, MapEntry::fragment(1000 + i, uint8_t(i % 14)),
                          i % 2 ? MapEntry::whole(50 + i) : MapEntry::unmapped()});
  }
  std::vector<uint8_t> block(kBlockSize);
  encode_journal_block(jb, 0xABCD, block);
  auto r = decode_journal_block(block, 0xABCD, 777);
  ASSERT_TRUE(r.ok()) << r.status.to_string();
  EXPECT_EQ(r.value.head, 700u);
  EXPECT_EQ(r.value.entries, jb.entries);
}

TEST(JournalBlock, EndsReplayOnAnythingButTheExpectedBlock) {
  JournalBlock jb{5, 3, {{9, MapEntry::whole(44), MapEntry::zero()}}};
  std::vector<uint8_t> block(kBlockSize);
  encode_journal_block(jb, 1, block);
  EXPECT_TRUE(decode_journal_block(block, 1, 5).ok());
  // The same slot one trip round the ring earlier or later.
  EXPECT_FALSE(decode_journal_block(block, 1, 5 + 64).ok());
  EXPECT_FALSE(decode_journal_block(block, 2, 5).ok());  // another volume
  EXPECT_FALSE(decode_journal_block(std::vector<uint8_t>(kBlockSize), 1, 5).ok());
  std::vector<uint8_t> torn = block;
  std::fill(torn.begin() + 3584, torn.end(), 0);  // the sector with the checksum is old
  EXPECT_FALSE(decode_journal_block(torn, 1, 5).ok());
}

}  // namespace
}  // namespace accz::store
