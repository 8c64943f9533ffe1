// ExtentReader: reads only the header and the blocks a fragment lies in, so the other blocks
// of an extent may be freed and reused without disturbing its live fragments.
#include "store/volume/extent_reader.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "store/backing/memory_backing.h"
#include "store/format/compressed_block.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"

namespace accz::store {
namespace {

constexpr uint8_t kAlg = 1;
constexpr uint64_t kFirst = 10;  // the extent's first PBN

// Remembers which blocks were read, and how many reads there were.
class CountingBacking final : public BackingStore {
 public:
  explicit CountingBacking(uint64_t block_count) : mem_(block_count * kBlockSize) {}
  StoreStatus read(uint64_t offset, MutableByteSpan out) override {
    ++reads;
    for (uint64_t b = offset / kBlockSize; b < (offset + out.size() + kBlockSize - 1) / kBlockSize;
         ++b) {
      blocks.insert(b);
    }
    return mem_.read(offset, out);
  }
  StoreStatus write(uint64_t offset, ByteSpan data) override { return mem_.write(offset, data); }
  StoreStatus flush() override { return mem_.flush(); }
  uint64_t size() const override { return mem_.size(); }

  std::set<uint64_t> blocks;
  int reads = 0;

 private:
  MemoryBacking mem_;
};

// Nine 2000-byte fragments over five blocks, fragment i filled with byte i + 1:
//   block 0: 0, 1, 2…   block 1: …2, 3, 4…   block 2: …4, 5, 6…   block 3: …6, 7, 8…
//   block 4: …8 (only fragment 8 uses it).
std::vector<std::vector<uint8_t>> write_extent(BackingStore& dev) {
  std::vector<std::vector<uint8_t>> frags;
  for (uint8_t i = 0; i < 9; ++i) frags.emplace_back(2000, static_cast<uint8_t>(i + 1));
  std::vector<ByteSpan> spans(frags.begin(), frags.end());
  std::vector<uint8_t> extent(5 * kBlockSize);
  encode_compressed_block(kAlg, spans, extent);
  EXPECT_TRUE(write_blocks(dev, kFirst, extent).ok());
  return frags;
}

MapEntry entry(uint8_t slot) {
  static constexpr uint8_t kFirstBlock[] = {0, 0, 0, 1, 1, 2, 2, 3, 3};
  static constexpr bool kSpans[] = {false, false, true, false, true, false, true, false, true};
  return MapEntry::fragment(kFirst, slot, 4, kFirstBlock[slot], kSpans[slot]);
}

bool same(ByteSpan got, const std::vector<uint8_t>& want) {
  return std::equal(got.begin(), got.end(), want.begin(), want.end());
}

// What a fresh reader's read of one fragment took: its reads and the blocks they touched.
struct Took {
  int reads = 0;
  std::set<uint64_t> blocks;
};
Took read_alone(CountingBacking& dev, uint8_t slot, const std::vector<uint8_t>& want) {
  dev.blocks.clear();
  dev.reads = 0;
  ExtentReader r(entry(slot));
  auto got = r.fragment(dev, kAlg, entry(slot));
  EXPECT_TRUE(got.ok()) << int{slot} << ": " << got.status.to_string();
  if (got.ok()) {
    EXPECT_TRUE(same(got.value, want)) << int{slot};
  }
  return {dev.reads, dev.blocks};
}

TEST(ExtentReader, ReadsOnlyTheHeaderAndTheFragmentsBlocks) {
  CountingBacking dev(32);
  const auto frags = write_extent(dev);
  // Far into the extent: the header's sector, then blocks 3–4 in one read.
  const Took far = read_alone(dev, 8, frags[8]);
  EXPECT_EQ(far.reads, 2);
  EXPECT_EQ(far.blocks, (std::set<uint64_t>{kFirst, kFirst + 3, kFirst + 4}));
  // Near the start: one read from the extent's start to the fragment's end.
  const Took near = read_alone(dev, 4, frags[4]);
  EXPECT_EQ(near.reads, 1);
  EXPECT_EQ(near.blocks, (std::set<uint64_t>{kFirst, kFirst + 1, kFirst + 2}));
  dev.blocks.clear();
  dev.reads = 0;
  {
    ExtentReader r(entry(1));
    auto got = r.fragment(dev, kAlg, entry(1));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(dev.reads, 1);
    EXPECT_EQ(dev.blocks, std::set<uint64_t>{kFirst});
    // Another slot of the same extent reads just what it adds.
    auto more = r.fragment(dev, kAlg, entry(7));
    ASSERT_TRUE(more.ok());
    EXPECT_TRUE(same(more.value, frags[7]));
    EXPECT_EQ(dev.reads, 2);
    EXPECT_EQ(dev.blocks, (std::set<uint64_t>{kFirst, kFirst + 3}));
    // Views stay put while the reader reads more.
    EXPECT_TRUE(same(got.value, frags[1]));
  }
}

TEST(ExtentReader, LiveFragmentsReadRightAfterOtherBlocksAreReused) {
  CountingBacking dev(32);
  const auto frags = write_extent(dev);
  // Block 4 held only fragment 8's tail: freed and rewritten with other data.
  ASSERT_TRUE(write_block(dev, kFirst + 4, std::vector<uint8_t>(kBlockSize, 0xEE)).ok());
  for (uint8_t slot = 0; slot < 8; ++slot) {
    EXPECT_EQ(read_alone(dev, slot, frags[slot]).blocks.count(kFirst + 4), 0u) << int{slot};
  }
}

TEST(ExtentReader, AWholeReaderReadsTheExtentOnceAndStillChecksEachEntry) {
  CountingBacking dev(32);
  const auto frags = write_extent(dev);
  ExtentReader r(entry(0), true);
  for (uint8_t slot = 0; slot < 9; ++slot) {
    auto got = r.fragment(dev, kAlg, entry(slot));
    ASSERT_TRUE(got.ok()) << int{slot};
    EXPECT_TRUE(same(got.value, frags[slot])) << int{slot};
  }
  EXPECT_EQ(dev.reads, 1);
  EXPECT_EQ(r.fragment(dev, kAlg, MapEntry::fragment(kFirst, 8, 4, 4, false)).status.code(),
            StoreErrc::kCorruption);
}

TEST(ExtentReader, AnEntryThatDisagreesWithTheHeaderIsCorruption) {
  CountingBacking dev(32);
  write_extent(dev);
  auto try_entry = [&](const MapEntry& e) {
    ExtentReader r(e);
    return r.fragment(dev, kAlg, e).status.code();
  };
  EXPECT_EQ(try_entry(MapEntry::fragment(kFirst, 8, 4, 3, false)), StoreErrc::kCorruption);
  EXPECT_EQ(try_entry(MapEntry::fragment(kFirst, 3, 4, 0, true)), StoreErrc::kCorruption);
  EXPECT_EQ(try_entry(MapEntry::fragment(kFirst, 1, 5, 0, false)), StoreErrc::kCorruption);
  EXPECT_EQ(try_entry(MapEntry::fragment(kFirst, 9, 4, 4, false)), StoreErrc::kCorruption);
  EXPECT_EQ(try_entry(MapEntry::fragment(kFirst + 1, 0, 0, 0, false)), StoreErrc::kCorruption);
  EXPECT_EQ(try_entry(entry(2)), StoreErrc::kOk);
}

}  // namespace
}  // namespace accz::store
