// Map entries, compressed blocks and journal blocks: round trips and rejections.
#include <gtest/gtest.h>

#include <algorithm>
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
  for (uint8_t x = 0; x < kMaxExtentBlocks; ++x) {
    for (uint8_t f = 0; f <= x; ++f) {
      all.push_back(MapEntry::fragment(99, 3, x, f, false));
      if (f < x) all.push_back(MapEntry::fragment(99, 13, x, f, true));
    }
  }
  for (const MapEntry& e : all) {
    auto d = decode_map_entry(encode_map_entry(e));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, e);
  }
  EXPECT_EQ(encode_map_entry(MapEntry::unmapped()), 0u);
  EXPECT_EQ(encode_map_entry(MapEntry::whole(7)), (uint64_t{1} << 48) | 7);
  EXPECT_EQ(encode_map_entry(MapEntry::fragment(7, 13)), (uint64_t{15} << 48) | 7);
  EXPECT_EQ(encode_map_entry(MapEntry::fragment(7, 0, 13)),
            (uint64_t{13} << 52) | (uint64_t{2} << 48) | 7);
  EXPECT_FALSE(MapEntry::zero().references_block());
  EXPECT_TRUE(MapEntry::fragment(7, 0).references_block());
  EXPECT_EQ(MapEntry::unmapped().blocks(), 0u);
  EXPECT_EQ(MapEntry::zero().blocks(), 0u);
  EXPECT_EQ(MapEntry::whole(7).blocks(), 1u);
  EXPECT_EQ(MapEntry::fragment(7, 2, 6).blocks(), 7u);
  EXPECT_EQ(
      encode_map_entry(MapEntry::fragment(7, 0, 6, 5, true)),
      (uint64_t{1} << 60) | (uint64_t{5} << 56) | (uint64_t{6} << 52) | (uint64_t{2} << 48) | 7);
}

TEST(MapEntry, ReferencesTheExtentsFirstBlockAndTheBlocksOfItsBytes) {
  auto refs = [](const MapEntry& e) {
    const BlockRefs r = e.referenced_blocks();
    return std::vector<uint64_t>(r.begin(), r.end());
  };
  EXPECT_EQ(refs(MapEntry::unmapped()), std::vector<uint64_t>{});
  EXPECT_EQ(refs(MapEntry::zero()), std::vector<uint64_t>{});
  EXPECT_EQ(refs(MapEntry::whole(40)), std::vector<uint64_t>{40});
  EXPECT_EQ(refs(MapEntry::fragment(40, 1)), std::vector<uint64_t>{40});
  EXPECT_EQ(refs(MapEntry::fragment(40, 1, 6, 0, true)), (std::vector<uint64_t>{40, 41}));
  EXPECT_EQ(refs(MapEntry::fragment(40, 9, 6, 4, false)), (std::vector<uint64_t>{40, 44}));
  EXPECT_EQ(refs(MapEntry::fragment(40, 12, 6, 5, true)), (std::vector<uint64_t>{40, 45, 46}));
}

TEST(MapEntry, RejectsImpossibleEncodings) {
  EXPECT_FALSE(decode_map_entry(uint64_t{1} << 61).has_value());  // reserved bits
  EXPECT_FALSE(decode_map_entry(uint64_t{1} << 63).has_value());
  const uint64_t frag = (uint64_t{2} << 48) | 9;
  // Bytes in blocks past the extent's end.
  EXPECT_FALSE(decode_map_entry(frag | (uint64_t{2} << 52) | (uint64_t{3} << 56)).has_value());
  EXPECT_FALSE(
      decode_map_entry(frag | (uint64_t{2} << 52) | (uint64_t{2} << 56) | (uint64_t{1} << 60))
          .has_value());
  EXPECT_FALSE(decode_map_entry(frag | (uint64_t{1} << 60)).has_value());
  // Placement bits on a whole block.
  EXPECT_FALSE(decode_map_entry((uint64_t{1} << 56) | (uint64_t{1} << 48) | 9).has_value());
  // An extent length on anything but a fragment, and one past 14 blocks.
  EXPECT_FALSE(decode_map_entry((uint64_t{1} << 52) | (uint64_t{1} << 48) | 9).has_value());
  EXPECT_FALSE(decode_map_entry(uint64_t{1} << 52).has_value());
  EXPECT_FALSE(decode_map_entry((uint64_t{14} << 52) | (uint64_t{2} << 48) | 9).has_value());
  // An extent running past the last 48-bit PBN.
  EXPECT_FALSE(
      decode_map_entry((uint64_t{1} << 52) | (uint64_t{2} << 48) | ((uint64_t{1} << 48) - 1))
          .has_value());
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

TEST(CompressedBlock, FragmentsCrossBlocksOfAnExtent) {
  // Thirteen fragments of 2085 bytes (a 4 KiB block half random, as fio's
  // buffer_compress_percentage=50 writes it) need seven blocks; two never fit in one.
  const std::vector<size_t> sizes(13, 2085);
  ASSERT_EQ(extent_blocks_for(13 * 2085), 7u);
  ASSERT_EQ(extent_blocks_for(kMaxFragmentBytes), 1u);
  ASSERT_EQ(extent_blocks_for(kMaxFragmentBytes + 1), 2u);
  auto frags = make_fragments(sizes);
  std::vector<ByteSpan> views(frags.begin(), frags.end());
  std::vector<uint8_t> extent(7 * kBlockSize, 0xCC);
  encode_compressed_block(3, views, extent);
  // The header alone is enough to learn where every fragment lies.
  EXPECT_EQ(parse_compressed_header(ByteSpan(extent).first(39), 3).status.code(),
            StoreErrc::kCorruption);
  auto h = parse_compressed_header(ByteSpan(extent).first(kCompressedHeaderSize), 3);
  ASSERT_TRUE(h.ok()) << h.status.to_string();
  EXPECT_EQ(h.value.extent, 6);
  EXPECT_EQ(h.value.blocks(), 7u);
  EXPECT_EQ(h.value.offsets[1], 40u + 2085);
  EXPECT_EQ(h.value.first_block(1), 0u);  // bytes 2125 … 4209
  EXPECT_EQ(h.value.last_block(1), 1u);
  EXPECT_EQ(h.value.first_block(12), 6u);
  auto r = parse_compressed_block(extent, 3);
  ASSERT_TRUE(r.ok()) << r.status.to_string();
  ASSERT_EQ(r.value.fragment_count, 13);
  for (size_t i = 0; i < 13; ++i) {
    EXPECT_TRUE(std::equal(r.value.fragments[i].begin(), r.value.fragments[i].end(),
                           frags[i].begin(), frags[i].end()))
        << i;
  }
  // The rest of the last block is zero, whatever the buffer held.
  EXPECT_TRUE(
      std::all_of(extent.begin() + 40 + 13 * 2085, extent.end(), [](uint8_t b) { return b == 0; }));
  // A buffer that is not the header's length is refused, so no view can run past it.
  EXPECT_EQ(parse_compressed_block(ByteSpan(extent).first(6 * kBlockSize), 3).status.code(),
            StoreErrc::kCorruption);
  EXPECT_EQ(parse_compressed_block(ByteSpan(extent).first(kBlockSize), 3).status.code(),
            StoreErrc::kCorruption);
}

TEST(CompressedBlock, ReadsVersionOneBlocks) {
  // A version-1 block (u16 version at byte 4) is a one-block extent.
  auto frags = make_fragments({1000, 3000});
  std::vector<ByteSpan> views(frags.begin(), frags.end());
  std::vector<uint8_t> block(kBlockSize);
  encode_compressed_block(1, views, block);
  block[4] = 1;
  block[5] = 0;
  le::store32(block.data() + 36, crc32c(ByteSpan(block).first(36)));
  auto r = parse_compressed_block(block, 1);
  ASSERT_TRUE(r.ok()) << r.status.to_string();
  EXPECT_EQ(r.value.extent, 0);
  EXPECT_EQ(r.value.fragments[1].size(), 3000u);
  // Version 1 had no extent: a length there is corruption.
  block[5] = 1;
  le::store32(block.data() + 36, crc32c(ByteSpan(block).first(36)));
  EXPECT_EQ(parse_compressed_header(block, 1).status.code(), StoreErrc::kCorruption);
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
  EXPECT_EQ(with(5, 14), StoreErrc::kCorruption);    // a 15-block extent
  EXPECT_EQ(with(4, 3), StoreErrc::kNotSupported);   // version 3
  EXPECT_EQ(with(4, 0), StoreErrc::kNotSupported);
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
