#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "store/backing/fault_backing.h"
#include "store/backing/memory_backing.h"
#include "store/format/crc32c.h"
#include "store/format/endian.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"
#include "store/volume/open_volume.h"
#include "store/volume/superblock_io.h"

namespace accz::store {
namespace {

constexpr uint64_t kDevBlocks = 256;

CreateOptions small_options(uint64_t nonce = 0) {
  CreateOptions o;
  o.logical_blocks = 3000;
  o.journal_blocks = 16;
  o.index_blocks = 2;
  o.algorithm = VolumeAlgorithm::kDeflate;
  o.dedupe = false;
  o.nonce = nonce;
  return o;
}

std::vector<uint8_t> block_at(BackingStore& dev, uint64_t pbn) {
  std::vector<uint8_t> b(kBlockSize);
  EXPECT_TRUE(read_block(dev, pbn, b).ok());
  return b;
}

TEST(CreateVolume, ComputesGeometryAndWritesBothCopies) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  auto created = create_volume(dev, small_options(7));
  ASSERT_TRUE(created.ok()) << created.status.to_string();
  const Superblock& sb = created.value;
  EXPECT_EQ(sb.geometry.physical_blocks, kDevBlocks);
  EXPECT_EQ(sb.geometry.blockmap_pages, 6u);  // ceil(3000 / 507)
  EXPECT_EQ(sb.geometry.journal_blocks, 16u);
  EXPECT_EQ(sb.geometry.index_blocks, 2u);
  EXPECT_EQ(sb.geometry.data_start + sb.geometry.data_blocks, kDevBlocks);
  EXPECT_EQ(sb.state, VolumeState::kClean);
  EXPECT_EQ(sb.journal_next_seq, 1u);
  EXPECT_EQ(sb.generation, 1u);
  auto c0 = decode_superblock(block_at(dev, 0), kDevBlocks);
  auto c1 = decode_superblock(block_at(dev, 1), kDevBlocks);
  ASSERT_TRUE(c0.ok() && c1.ok());
  EXPECT_EQ(c0.value.generation, 0u);
  EXPECT_EQ(c1.value, sb);
  Superblock same_but_gen = c0.value;
  same_but_gen.generation = 1;
  EXPECT_EQ(same_but_gen, sb);
}

TEST(CreateVolume, RefusesADeviceTooSmallOrAZeroSize) {
  MemoryBacking tiny(20 * kBlockSize);
  EXPECT_EQ(create_volume(tiny, small_options()).status.code(), StoreErrc::kNoSpace);
  MemoryBacking dev(kDevBlocks * kBlockSize);
  CreateOptions o = small_options();
  o.logical_blocks = 0;
  EXPECT_EQ(create_volume(dev, o).status.code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(dev.snapshot(), std::vector<uint8_t>(kDevBlocks * kBlockSize));
}

TEST(CreateVolume, RandomNoncesDiffer) {
  MemoryBacking a(kDevBlocks * kBlockSize), b(kDevBlocks * kBlockSize);
  auto x = create_volume(a, small_options());
  auto y = create_volume(b, small_options());
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_NE(x.value.nonce, 0u);
  EXPECT_NE(x.value.nonce, y.value.nonce);
}

TEST(OpenVolume, MarksDirtyAndReportsAnUncleanLastSession) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(dev, small_options(11)).ok());
  auto v = open_volume(dev);
  ASSERT_TRUE(v.ok()) << v.status.to_string();
  EXPECT_FALSE(v.value.was_dirty);
  EXPECT_EQ(v.value.sb.state, VolumeState::kDirty);
  EXPECT_EQ(v.value.sb.generation, 2u);
  EXPECT_EQ(v.value.first_sequence, 1u);
  auto on_disk = load_superblock(dev);
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(on_disk.value, v.value.sb);
  // No close: the next open sees a crashed session with an empty journal.
  auto again = open_volume(dev);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value.was_dirty);
  EXPECT_EQ(again.value.replay.blocks_replayed, 0u);
  EXPECT_EQ(again.value.first_sequence, 1u);
  // A clean close carries the journal sequence and the saved index's generation over.
  Superblock sb = again.value.sb;
  ASSERT_TRUE(close_volume(dev, &sb, 42, 9).ok());
  auto third = open_volume(dev);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third.value.was_dirty);
  EXPECT_EQ(third.value.first_sequence, 42u);
  EXPECT_EQ(third.value.saved_index_generation, 9u);
  EXPECT_EQ(third.value.sb.index_generation, 0u);  // invalid until the next clean close
}

TEST(OpenVolume, ReadOnlyWritesNothing) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(dev, small_options(3)).ok());
  const auto before = dev.snapshot();
  auto v = open_volume(dev, {.read_only = true});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value.sb.state, VolumeState::kClean);
  EXPECT_EQ(dev.snapshot(), before);
}

TEST(OpenVolume, RefusesADeviceWithoutAVolumeAndWritesNothing) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  auto v = open_volume(dev);
  EXPECT_EQ(v.status.code(), StoreErrc::kCorruption);
  EXPECT_NE(v.status.message().find("magic"), std::string::npos) << v.status.message();
  EXPECT_EQ(dev.snapshot(), std::vector<uint8_t>(kDevBlocks * kBlockSize));
}

// Rewrites the major version of the superblock at `pbn` and reseals it.
void set_major(BackingStore& dev, uint64_t pbn, uint16_t major) {
  auto b = block_at(dev, pbn);
  le::store16(b.data() + 8, major);
  le::store32(b.data() + kChecksumOffset, crc32c(ByteSpan(b).first(kChecksumOffset)));
  ASSERT_TRUE(write_block(dev, pbn, b).ok());
}

TEST(OpenVolume, RefusesAnUnknownMajorVersion) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(dev, small_options(5)).ok());
  set_major(dev, 0, 3);
  set_major(dev, 1, 3);
  const auto before = dev.snapshot();
  auto v = open_volume(dev);
  EXPECT_EQ(v.status.code(), StoreErrc::kNotSupported) << v.status.to_string();
  EXPECT_NE(v.status.message().find("version 3"), std::string::npos) << v.status.message();
  EXPECT_EQ(dev.snapshot(), before);
}

// A major-1 volume (no compressed extents) opens; a read-only open leaves it major 1, a
// writable one marks it major 2 before writing anything a major-1 build could not read.
TEST(OpenVolume, UpgradesAMajorOneVolumeWhenOpenedForWriting) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(dev, small_options(6)).ok());
  set_major(dev, 0, 1);
  set_major(dev, 1, 1);
  auto ro = open_volume(dev, {.read_only = true});
  ASSERT_TRUE(ro.ok()) << ro.status.to_string();
  EXPECT_EQ(ro.value.sb.version_major, 1);
  auto rw = open_volume(dev);
  ASSERT_TRUE(rw.ok()) << rw.status.to_string();
  EXPECT_EQ(rw.value.sb.version_major, 2);
  auto on_disk = load_superblock(dev);
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(on_disk.value.version_major, 2);
}

TEST(OpenVolume, SurvivesOneCorruptCopyAndRefusesTwo) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(dev, small_options(5)).ok());
  auto b1 = block_at(dev, 1);
  b1[100] ^= 0x40;
  ASSERT_TRUE(write_block(dev, 1, b1).ok());
  auto v = open_volume(dev, {.read_only = true});
  ASSERT_TRUE(v.ok()) << v.status.to_string();
  EXPECT_EQ(v.value.sb.generation, 0u);
  auto b0 = block_at(dev, 0);
  b0[200] ^= 0x01;
  ASSERT_TRUE(write_block(dev, 0, b0).ok());
  v = open_volume(dev);
  EXPECT_EQ(v.status.code(), StoreErrc::kCorruption);
  EXPECT_NE(v.status.message().find("checksum"), std::string::npos) << v.status.message();
}

TEST(OpenVolume, RefusesCopiesOfTwoDifferentVolumes) {
  MemoryBacking a(kDevBlocks * kBlockSize), b(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(a, small_options(1)).ok());
  ASSERT_TRUE(create_volume(b, small_options(2)).ok());
  ASSERT_TRUE(write_block(a, 1, block_at(b, 1)).ok());
  auto v = open_volume(a);
  EXPECT_EQ(v.status.code(), StoreErrc::kCorruption);
  EXPECT_NE(v.status.message().find("different volumes"), std::string::npos);
}

TEST(OpenVolume, RefusesABackingStoreSmallerThanTheGeometry) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(dev, small_options(5)).ok());
  auto image = dev.snapshot();
  image.resize((kDevBlocks - 1) * kBlockSize);
  MemoryBacking shrunk(std::move(image));
  auto v = open_volume(shrunk);
  EXPECT_EQ(v.status.code(), StoreErrc::kCorruption);
  EXPECT_NE(v.status.message().find("larger than its backing store"), std::string::npos)
      << v.status.message();
}

TEST(OpenVolume, FailsCleanlyWhenTheDirtyMarkCannotBeWritten) {
  auto base = std::make_shared<MemoryBacking>(kDevBlocks * kBlockSize);
  FaultBacking dev(base, 1);
  ASSERT_TRUE(create_volume(dev, small_options(5)).ok());
  dev.add_rule({.ops = kFaultWrite});
  EXPECT_EQ(open_volume(dev).status.code(), StoreErrc::kIoError);
  dev.clear_rules();
  EXPECT_TRUE(open_volume(dev).ok());
}

// Power cut at every write of create (and at its flush), with the unflushed writes dropped,
// kept or torn at random, over a blank device and over an earlier volume: the device then
// either opens as exactly one of the two volumes or is refused as corrupt; and a volume that
// opened once opens again the same way.
TEST(CreateVolumeCrash, EveryCrashPointOpensCleanlyOrIsRefused) {
  constexpr uint64_t kOld = 0x01D, kNew = 0x2E3;
  int opened_new = 0, opened_old = 0, refused = 0;
  for (bool earlier_volume : {false, true}) {
    for (uint64_t stop_after = 0; stop_after <= 3; ++stop_after) {
      for (uint64_t seed = 1; seed <= 40; ++seed) {
        auto base = std::make_shared<MemoryBacking>(kDevBlocks * kBlockSize);
        if (earlier_volume) {
          CreateOptions old = small_options(kOld);
          old.logical_blocks = 500;
          old.journal_blocks = 20;
          ASSERT_TRUE(create_volume(*base, old).ok());
        }
        FaultBacking dev(base, seed);
        dev.stop_writing_after(stop_after, FaultBacking::StopMode::kDiscard);
        (void)create_volume(dev, small_options(kNew));
        dev.crash({.keep_ppm = 300'000, .tear_ppm = 400'000});
        auto v = open_volume(dev, {.read_only = true});
        if (!v.ok()) {
          EXPECT_EQ(v.status.code(), StoreErrc::kCorruption) << v.status.to_string();
          ++refused;
          continue;
        }
        if (v.value.sb.nonce == kNew) {
          ++opened_new;
          EXPECT_EQ(v.value.sb.geometry.logical_blocks, 3000u);
          EXPECT_EQ(v.value.sb.algorithm, VolumeAlgorithm::kDeflate);
        } else {
          ASSERT_TRUE(earlier_volume);
          EXPECT_EQ(v.value.sb.nonce, kOld);
          EXPECT_EQ(v.value.sb.geometry.logical_blocks, 500u);
          ++opened_old;
        }
        auto rw = open_volume(dev);
        ASSERT_TRUE(rw.ok()) << rw.status.to_string();
        EXPECT_EQ(rw.value.sb.nonce, v.value.sb.nonce);
        auto again = open_volume(dev);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(again.value.sb.nonce, v.value.sb.nonce);
      }
    }
  }
  // The sweep reached every outcome, so it did test something.
  EXPECT_GT(opened_new, 0);
  EXPECT_GT(opened_old, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace accz::store
