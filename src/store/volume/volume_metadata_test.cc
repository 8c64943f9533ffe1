#include "store/volume/volume_metadata.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "store/backing/fault_backing.h"
#include "store/backing/memory_backing.h"
#include "store/format/endian.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"
#include "store/volume/checker.h"
#include "store/volume/cutoff_backing_for_test.h"
#include "store/volume/superblock_io.h"
#include "util/rng.h"

namespace accz::store {
namespace {

constexpr uint64_t kDevBlocks = 384;
constexpr uint64_t kLogical = 3000;  // 6 map pages, against a cache of 2

std::vector<uint8_t> tagged_block(uint64_t tag) {
  std::vector<uint8_t> b(kBlockSize);
  for (size_t i = 0; i < b.size(); i += 8) le::store64(b.data() + i, tag ^ i);
  return b;
}

CreateOptions options(uint64_t nonce) {
  CreateOptions o;
  o.logical_blocks = kLogical;
  o.journal_blocks = 16;
  o.nonce = nonce;
  return o;
}

TEST(VolumeMetadata, CleanCloseKeepsEverythingAndNeedsNoReplay) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(dev, options(4)).ok());
  std::vector<MapEntry> model(kLogical);
  {
    auto v = VolumeMetadata::open(dev, {.map_cache_pages = 2});
    ASSERT_TRUE(v.ok()) << v.status.to_string();
    VolumeMetadata& m = *v.value;
    Rng rng(4);
    for (int i = 0; i < 3000; ++i) {  // several trips round the 16-block ring
      const uint64_t lbn = rng.below(kLogical);
      MapEntry e = MapEntry::zero();
      if (rng.below(2) == 0) {
        auto a = m.allocate();
        if (a.ok()) e = MapEntry::whole(a.value);
      }
      ASSERT_TRUE(m.remap(lbn, e).ok());
      model[lbn] = e;
      if (rng.below(50) == 0) {
        ASSERT_TRUE(m.commit().ok());
      }
    }
    EXPECT_GT(m.journal_stats().blocks_written, 16u);
    ASSERT_TRUE(m.close().ok());
  }
  auto v = VolumeMetadata::open(dev, {.map_cache_pages = 2});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v.value->opened().was_dirty);
  std::map<uint64_t, int> refs;
  for (uint64_t l = 0; l < kLogical; ++l) {
    auto e = v.value->lookup(l);
    ASSERT_TRUE(e.ok());
    ASSERT_EQ(e.value, model[l]) << l;
    if (e.value.references_block()) ++refs[e.value.pbn];
  }
  uint64_t in_use = 0;
  for (const auto& [pbn, n] : refs) {
    EXPECT_EQ(v.value->refcount(pbn), n);
    ++in_use;
  }
  EXPECT_EQ(v.value->blocks_in_use(), in_use);
}

TEST(VolumeMetadata, RefusesBlocksOutsideTheDataRegionOrAtTheLimit) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(dev, options(5)).ok());
  auto v = VolumeMetadata::open(dev, {});
  ASSERT_TRUE(v.ok());
  VolumeMetadata& m = *v.value;
  EXPECT_EQ(m.remap(0, MapEntry::whole(1)).status.code(), StoreErrc::kInvalidArgument);
  const uint64_t pbn = m.allocate().value;
  for (uint64_t l = 0; l < kRefcountLimit; ++l) ASSERT_TRUE(m.remap(l, MapEntry::whole(pbn)).ok());
  EXPECT_FALSE(m.can_share(pbn));
  EXPECT_EQ(m.remap(300, MapEntry::whole(pbn)).status.code(), StoreErrc::kInvalidArgument);
  EXPECT_TRUE(m.remap(0, MapEntry::fragment(pbn, 1)).ok());  // same block: no new reference
}

TEST(VolumeMetadata, ACheckpointWithUncommittedChangesStillMovesTheHead) {
  MemoryBacking dev(kDevBlocks * kBlockSize);
  ASSERT_TRUE(create_volume(dev, options(6)).ok());
  auto v = VolumeMetadata::open(dev, {.map_cache_pages = 8});
  ASSERT_TRUE(v.ok());
  VolumeMetadata& m = *v.value;
  for (int i = 0; i < 14; ++i) {
    ASSERT_TRUE(m.remap(i, MapEntry::zero()).ok());
    ASSERT_TRUE(m.commit().ok());
  }
  // An open change on another page must not hold the head back from the written blocks.
  ASSERT_TRUE(m.remap(2000, MapEntry::zero()).ok());
  ASSERT_TRUE(m.checkpoint().ok());
  EXPECT_EQ(m.journal_head(), m.journal_next_sequence());
  EXPECT_EQ(m.journal_head(), m.opened().first_sequence + 14);
}

// Random remaps with data, commits and checkpoints through VolumeMetadata, a power cut at any
// write or flush, then reopen: the map is a prefix that holds every committed remap, every
// count equals the references in the recovered map, every mapped block holds its data, and
// the checker finds the volume consistent.
TEST(VolumeMetadataCrash, RecoversAConsistentCommittedPrefix) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto base = std::make_shared<MemoryBacking>(kDevBlocks * kBlockSize);
    FaultBacking fault(base, seed);
    CutoffBacking dev(fault);
    ASSERT_TRUE(create_volume(dev, options(seed)).ok());
    Rng rng(seed);
    std::vector<MapEntry> model(kLogical);  // as recovered so far
    std::map<uint64_t, uint64_t> tags;
    for (int cycle = 0; cycle < 3; ++cycle) {
      SCOPED_TRACE("cycle " + std::to_string(cycle));
      struct Remap {
        uint64_t lbn;
        MapEntry entry;
      };
      std::vector<Remap> remaps;
      size_t committed = 0, submitted = 0;
      {
        auto v = VolumeMetadata::open(dev, {.map_cache_pages = 2});
        ASSERT_TRUE(v.ok()) << v.status.to_string();
        VolumeMetadata& m = *v.value;
        dev.cut_after(rng.below(400));
        for (int i = 0; i < 300 && !dev.cut(); ++i) {
          // 300 LBNs over every page: overwrites (and so frees) are frequent.
          const uint64_t lbn = rng.below(300) * 10;
          MapEntry e = rng.below(4) == 0 ? MapEntry::zero() : MapEntry::unmapped();
          const uint32_t kind = rng.below(10);
          if (kind < 5) {
            auto a = m.allocate();
            if (a.ok()) {
              const uint64_t tag = rng.next();
              ASSERT_TRUE(write_block(dev, a.value, tagged_block(tag)).ok());
              tags[a.value] = tag;
              e = MapEntry::whole(a.value);
            }
          } else if (kind < 8) {
            auto other = m.lookup(rng.below(kLogical));
            ASSERT_TRUE(other.ok());
            if (other.value.kind == MapEntry::Kind::kWhole && m.can_share(other.value.pbn)) {
              e = other.value;  // dedupe
            }
          }
          // A remap may commit by itself (ring or cache full): count it as submitted.
          submitted = remaps.size() + 1;
          auto p = m.remap(lbn, e);
          ASSERT_TRUE(p.ok()) << p.status.to_string();
          remaps.push_back({lbn, e});
          if (rng.below(4) == 0) {
            submitted = remaps.size();
            ASSERT_TRUE(m.commit().ok());
            if (!dev.cut()) committed = remaps.size();
          }
          if (rng.below(10) == 0) {
            ASSERT_TRUE(m.checkpoint().ok());
          }
        }
      }
      dev.never_cut();
      fault.crash({.keep_ppm = 300'000, .tear_ppm = 300'000});

      auto v = VolumeMetadata::open(dev, {.map_cache_pages = 2});
      ASSERT_TRUE(v.ok()) << v.status.to_string();
      VolumeMetadata& m = *v.value;
      EXPECT_TRUE(m.opened().was_dirty);
      std::vector<MapEntry> got(kLogical);
      std::map<uint64_t, int> refs;
      for (uint64_t l = 0; l < kLogical; ++l) {
        auto e = m.lookup(l);
        ASSERT_TRUE(e.ok()) << e.status.to_string();
        got[l] = e.value;
        if (e.value.references_block()) ++refs[e.value.pbn];
      }
      std::vector<MapEntry> prefix = model;
      for (size_t i = 0; i < committed; ++i) prefix[remaps[i].lbn] = remaps[i].entry;
      bool matched = prefix == got;
      for (size_t i = committed; !matched && i < submitted; ++i) {
        prefix[remaps[i].lbn] = remaps[i].entry;
        matched = prefix == got;
      }
      ASSERT_TRUE(matched) << committed << " committed, " << submitted << " submitted";
      const Geometry& g = m.superblock().geometry;
      for (uint64_t pbn = g.data_start; pbn < g.data_start + g.data_blocks; ++pbn) {
        const auto it = refs.find(pbn);
        ASSERT_EQ(m.refcount(pbn), it == refs.end() ? 0 : it->second) << "PBN " << pbn;
      }
      for (const auto& [pbn, n] : refs) {
        std::vector<uint8_t> b(kBlockSize);
        ASSERT_TRUE(read_block(dev, pbn, b).ok());
        ASSERT_EQ(b, tagged_block(tags.at(pbn))) << "data of PBN " << pbn;
      }
      // Replay wrote everything back, so the on-disk metadata must check out.
      auto report = check_volume(dev, m.superblock());
      ASSERT_TRUE(report.ok());
      ASSERT_TRUE(report.value.consistent()) << report.value.problems.front();
      model = got;
      ASSERT_TRUE(m.close().ok());
    }
  }
}

}  // namespace
}  // namespace accz::store
