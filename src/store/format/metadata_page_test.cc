#include "store/format/metadata_page.h"

#include <gtest/gtest.h>

#include <vector>

#include "store/format/layout.h"
#include "store/format/map_entry.h"

namespace accz::store {
namespace {

TEST(MapPage, RoundTripsAndKeepsItsPoint) {
  MapPageEntries entries{};
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i] = encode_map_entry(MapEntry::whole(100 + i));
  }
  std::vector<uint8_t> block(kBlockSize);
  encode_map_page(9, journal_point(40, 2), 77, entries, block);
  MapPageEntries got{};
  CopyInfo info = decode_map_page(block, 9, 77, &got);
  EXPECT_EQ(info.state, BlockState::kValid);
  EXPECT_EQ(info.point, journal_point(40, 2));
  EXPECT_EQ(got, entries);
  EXPECT_EQ(decode_map_page(block, 10, 77, &got).state, BlockState::kInvalid);
  EXPECT_EQ(decode_map_page(block, 9, 78, &got).state, BlockState::kStale);
}

TEST(RefcountBlock, RoundTripsAndRejects255) {
  RefcountArray counts{};
  for (size_t i = 0; i < counts.size(); ++i) counts[i] = uint8_t(i % 255);
  std::vector<uint8_t> block(kBlockSize);
  encode_refcount_block(3, 12, 5, counts, block);
  RefcountArray got{};
  CopyInfo info = decode_refcount_block(block, 3, 5, &got);
  EXPECT_EQ(info.state, BlockState::kValid);
  EXPECT_EQ(got, counts);
  counts[100] = 255;
  encode_refcount_block(3, 12, 5, counts, block);
  EXPECT_EQ(decode_refcount_block(block, 3, 5, &got).state, BlockState::kInvalid);
}

TEST(PickCopy, NewestValidCopyWinsAndTheOtherIsWrittenNext) {
  const CopyInfo none{BlockState::kUnwritten, 0};
  const CopyInfo torn{BlockState::kInvalid, 0};
  const CopyInfo old_valid{BlockState::kValid, 100};
  const CopyInfo new_valid{BlockState::kValid, 200};

  CopyChoice c = pick_copy(none, none);
  EXPECT_EQ(c.load, -1);
  EXPECT_EQ(c.point, 0u);
  c = pick_copy(old_valid, new_valid);
  EXPECT_EQ(c.load, 1);
  EXPECT_EQ(c.next_write, 0);
  EXPECT_EQ(c.point, 200u);
  c = pick_copy(new_valid, old_valid);
  EXPECT_EQ(c.load, 0);
  EXPECT_EQ(c.next_write, 1);
  // The write of the newer copy tore: the older one stands, and is not overwritten next.
  c = pick_copy(old_valid, torn);
  EXPECT_EQ(c.load, 0);
  EXPECT_EQ(c.next_write, 1);
  c = pick_copy(torn, old_valid);
  EXPECT_EQ(c.load, 1);
  EXPECT_EQ(c.next_write, 0);
}

}  // namespace
}  // namespace accz::store
