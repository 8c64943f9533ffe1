#include <gtest/gtest.h>

#include <vector>

#include "store/format/block_header.h"
#include "store/format/crc32c.h"
#include "store/format/endian.h"
#include "store/format/geometry.h"
#include "store/format/layout.h"
#include "store/format/superblock.h"

namespace accz::store {
namespace {

// ---- shared metadata block header ------------------------------------------------------

TEST(BlockHeader, SealedBlockInspectsValid) {
  std::vector<uint8_t> block(kBlockSize, 0);
  for (size_t i = kBlockHeaderSize; i < kChecksumOffset; ++i) block[i] = uint8_t(i);
  BlockHeader h{kMagicBlockMap, kMetadataBlockVersion, 0, 0x1234, 17, journal_point(5, 3)};
  seal_block(h, block);
  EXPECT_EQ(le::load32(block.data()), kMagicBlockMap);
  EXPECT_EQ(block[0], 'B');  // "BMAP" in file order
  BlockHeader got;
  ASSERT_EQ(inspect_block(block, kMagicBlockMap, 0x1234, 17, &got), BlockState::kValid);
  EXPECT_EQ(got.point, 5u * 256 + 3);
  EXPECT_EQ(got.number, 17u);
}

TEST(BlockHeader, ClassifiesUnwrittenStaleAndInvalid) {
  std::vector<uint8_t> block(kBlockSize, 0);
  EXPECT_EQ(inspect_block(block, kMagicRefcount, 1, 0, nullptr), BlockState::kUnwritten);

  seal_block({kMagicRefcount, kMetadataBlockVersion, 0, 1, 4, 0}, block);
  EXPECT_EQ(inspect_block(block, kMagicRefcount, 2, 4, nullptr), BlockState::kStale);
  EXPECT_EQ(inspect_block(block, kMagicRefcount, 1, 5, nullptr), BlockState::kInvalid);
  EXPECT_EQ(inspect_block(block, kMagicJournal, 1, 4, nullptr), BlockState::kInvalid);

  // A torn write: the second sector still holds zeros from before.
  std::vector<uint8_t> torn = block;
  torn[100] ^= 1;
  EXPECT_EQ(inspect_block(torn, kMagicRefcount, 1, 4, nullptr), BlockState::kInvalid);

  seal_block({kMagicRefcount, 2, 0, 1, 4, 0}, block);  // unknown structure version
  EXPECT_EQ(inspect_block(block, kMagicRefcount, 1, 4, nullptr), BlockState::kInvalid);
}

// ---- geometry ---------------------------------------------------------------------------

TEST(Geometry, LaysOutRegionsInOrderAndUsesEveryBlock) {
  for (uint64_t physical : {uint64_t{3000}, uint64_t{4096}, uint64_t{262144}, uint64_t{1} << 30}) {
    GeometryOptions o{.physical_blocks = physical,
                      .logical_blocks = physical * 3,
                      .journal_blocks = 64,
                      .index_blocks = 8};
    auto r = make_geometry(o);
    ASSERT_TRUE(r.ok()) << physical << ": " << r.status.to_string();
    const Geometry& g = r.value;
    EXPECT_TRUE(validate_geometry(g, physical).ok());
    EXPECT_EQ(g.blockmap_start, 2u + 64);
    EXPECT_EQ(g.blockmap_pages, (physical * 3 + 506) / 507);
    EXPECT_EQ(g.refcount_blocks, (g.data_blocks + 4059) / 4060);
    EXPECT_LE(g.data_start + g.data_blocks, physical);
    // Maximal: one more data block, with the refcount blocks it may need, would not fit.
    const uint64_t more = g.data_blocks + 1;
    const uint64_t extra_refcounts = 2 * ((more + 4059) / 4060 - g.refcount_blocks);
    EXPECT_GT(g.data_start + extra_refcounts + more, physical);
  }
}

TEST(Geometry, RejectsImpossibleVolumes) {
  EXPECT_EQ(make_geometry({.physical_blocks = 100, .logical_blocks = 0}).status.code(),
            StoreErrc::kInvalidArgument);
  EXPECT_EQ(make_geometry({.physical_blocks = 100, .logical_blocks = 10, .journal_blocks = 4})
                .status.code(),
            StoreErrc::kInvalidArgument);
  EXPECT_EQ(make_geometry({.physical_blocks = 100, .logical_blocks = 10}).status.code(),
            StoreErrc::kNoSpace);  // the default journal alone is 2048 blocks
}

TEST(Geometry, ValidationCatchesEachInconsistency) {
  auto r = make_geometry({.physical_blocks = 10000, .logical_blocks = 50000, .journal_blocks = 32});
  ASSERT_TRUE(r.ok());
  const Geometry g = r.value;
  EXPECT_FALSE(validate_geometry(g, 9999).ok());  // larger than the backing store
  auto broken = [&](auto mutate) {
    Geometry x = g;
    mutate(x);
    return !validate_geometry(x, 10000).ok();
  };
  EXPECT_TRUE(broken([](Geometry& x) { x.journal_start = 3; }));
  EXPECT_TRUE(broken([](Geometry& x) { x.journal_blocks = 8; }));
  EXPECT_TRUE(broken([](Geometry& x) { x.blockmap_pages -= 1; }));
  EXPECT_TRUE(broken([](Geometry& x) { x.refcount_start += 1; }));
  EXPECT_TRUE(broken([](Geometry& x) { x.data_blocks += 1; }));
  EXPECT_TRUE(broken([](Geometry& x) { x.data_blocks = 0; }));
  EXPECT_TRUE(broken([](Geometry& x) { x.data_start -= 1; }));
  EXPECT_TRUE(broken([](Geometry& x) { x.logical_blocks = uint64_t{1} << 60; }));
}

// ---- superblock -------------------------------------------------------------------------

Superblock sample_superblock() {
  Superblock sb;
  sb.nonce = 0xC0FFEE1234567890ULL;
  sb.generation = 6;
  sb.geometry = make_geometry({.physical_blocks = 20000,
                               .logical_blocks = 100000,
                               .journal_blocks = 128,
                               .index_blocks = 16})
                    .value;
  sb.algorithm = VolumeAlgorithm::kDeflate;
  sb.level = 6;
  sb.dedupe = false;
  sb.state = VolumeState::kClean;
  sb.journal_next_seq = 4242;
  sb.index_generation = 9;
  sb.created_unix_seconds = 1'790'000'000;
  return sb;
}

TEST(Superblock, RoundTrips) {
  const Superblock sb = sample_superblock();
  std::vector<uint8_t> block(kBlockSize, 0xEE);
  encode_superblock(sb, block);
  EXPECT_EQ(std::string(block.begin(), block.begin() + 8), "accz-vol");
  EXPECT_EQ(le::load64(block.data() + 136), 4242u);  // §3 offsets hold
  EXPECT_EQ(block[48], 2);                           // deflate's on-disk code
  auto r = decode_superblock(block, 20000);
  ASSERT_TRUE(r.ok()) << r.status.to_string();
  EXPECT_EQ(r.value, sb);
}

TEST(Superblock, MappedCountOfACleanCloseRoundTripsAndIsUnknownOtherwise) {
  Superblock sb = sample_superblock();
  std::vector<uint8_t> block(kBlockSize);
  for (uint64_t n : {uint64_t{0}, uint64_t{12345}}) {
    sb.mapped_at_close = n;
    encode_superblock(sb, block);
    EXPECT_EQ(le::load64(block.data() + 160), n + 1);  // 0 on disk means unknown
    auto r = decode_superblock(block, 20000);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.mapped_at_close, n);
  }
  // A dirty superblock's count means nothing: the session may have changed the map.
  sb.state = VolumeState::kDirty;
  encode_superblock(sb, block);
  EXPECT_FALSE(decode_superblock(block, 20000).value.mapped_at_close.has_value());
  // Minor 0 kept the bytes zero.
  sb.state = VolumeState::kClean;
  sb.mapped_at_close.reset();
  encode_superblock(sb, block);
  EXPECT_EQ(le::load64(block.data() + 160), 0u);
  EXPECT_FALSE(decode_superblock(block, 20000).value.mapped_at_close.has_value());
}

TEST(Superblock, CorruptChecksumIsRejected) {
  std::vector<uint8_t> block(kBlockSize);
  encode_superblock(sample_superblock(), block);
  for (size_t at : {size_t{16}, size_t{200}, size_t{4000}, size_t{4093}}) {
    std::vector<uint8_t> bad = block;
    bad[at] ^= 0x40;
    auto r = decode_superblock(bad, 20000);
    EXPECT_EQ(r.status.code(), StoreErrc::kCorruption) << at;
  }
}

TEST(Superblock, UnknownMajorVersionIsRejectedNewerMinorAccepted) {
  std::vector<uint8_t> block(kBlockSize);
  encode_superblock(sample_superblock(), block);
  EXPECT_EQ(le::load16(block.data() + 8), 2);  // compressed extents (format.md §8)
  // The block with the u16 at `at` set to `v`, its checksum resealed.
  auto with = [&](size_t at, uint16_t v) {
    std::vector<uint8_t> b = block;
    le::store16(b.data() + at, v);
    le::store32(b.data() + kChecksumOffset, crc32c(ByteSpan(b).first(kChecksumOffset)));
    return b;
  };
  for (uint16_t v : {0, 3}) {
    EXPECT_EQ(decode_superblock(with(8, v), 20000).status.code(), StoreErrc::kNotSupported) << v;
  }
  // Major 1 is major 2 without extents: still read (and rewritten as 2 by a writable open).
  auto old = decode_superblock(with(8, 1), 20000);
  ASSERT_TRUE(old.ok()) << old.status.to_string();
  EXPECT_EQ(old.value.version_major, 1);

  auto r = decode_superblock(with(10, 7), 20000);
  ASSERT_TRUE(r.ok()) << r.status.to_string();
  EXPECT_EQ(r.value.version_minor, 7);
}

TEST(Superblock, RejectsBadFieldsEvenWithAGoodChecksum) {
  std::vector<uint8_t> block(kBlockSize);
  encode_superblock(sample_superblock(), block);
  auto with = [&](size_t at, uint8_t v) {
    std::vector<uint8_t> b = block;
    b[at] = v;
    le::store32(b.data() + kChecksumOffset, crc32c(ByteSpan(b).first(kChecksumOffset)));
    return decode_superblock(b, 20000).status.code();
  };
  EXPECT_EQ(with(0, 'A'), StoreErrc::kCorruption);    // magic
  EXPECT_EQ(with(13, 0x20), StoreErrc::kCorruption);  // block size 8192
  EXPECT_EQ(with(48, 4), StoreErrc::kCorruption);     // algorithm
  EXPECT_EQ(with(50, 2), StoreErrc::kCorruption);     // dedupe
  EXPECT_EQ(with(51, 2), StoreErrc::kCorruption);     // state
  EXPECT_EQ(with(81, 1), StoreErrc::kCorruption);     // block map pages
  EXPECT_EQ(decode_superblock(block, 19999).status.code(), StoreErrc::kCorruption);
  EXPECT_EQ(decode_superblock(std::vector<uint8_t>(kBlockSize, 0), 20000).status.code(),
            StoreErrc::kCorruption);
}

TEST(Superblock, ChooseTakesNewestValidCopy) {
  Superblock older = sample_superblock();
  older.generation = 6;  // PBN 0
  Superblock newer = older;
  newer.generation = 7;  // PBN 1
  newer.state = VolumeState::kDirty;
  std::vector<uint8_t> c0(kBlockSize), c1(kBlockSize);
  encode_superblock(older, c0);
  encode_superblock(newer, c1);

  auto r = choose_superblock(c0, c1, 20000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.generation, 7u);

  // Generation 7's write tore: fall back to 6.
  std::vector<uint8_t> torn = c1;
  std::fill(torn.begin() + 3584, torn.end(), 0);  // the last sector (checksum) is old
  r = choose_superblock(c0, torn, 20000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value, older);

  // Neither valid.
  std::vector<uint8_t> zero(kBlockSize, 0);
  EXPECT_EQ(choose_superblock(zero, torn, 20000).status.code(), StoreErrc::kCorruption);
  // A copy at the wrong position is not trusted.
  EXPECT_FALSE(choose_superblock(c1, zero, 20000).ok());
  // Copies of two different volumes.
  Superblock other = newer;
  other.nonce ^= 1;
  encode_superblock(other, c1);
  EXPECT_EQ(choose_superblock(c0, c1, 20000).status.code(), StoreErrc::kCorruption);
}

}  // namespace
}  // namespace accz::store
