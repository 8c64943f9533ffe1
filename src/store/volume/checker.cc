#include "store/volume/checker.h"

#include <algorithm>
#include <string>
#include <vector>

#include "store/format/compressed_block.h"
#include "store/format/layout.h"
#include "store/format/map_entry.h"
#include "store/format/metadata_page.h"
#include "store/volume/block_io.h"

namespace accz::store {
namespace {

class Problems {
 public:
  Problems(CheckReport& r, size_t max) : r_(r), max_(max) {}
  void add(std::string what) {
    if (r_.problems.size() < max_) {
      r_.problems.push_back(std::move(what));
    } else {
      ++dropped_;
    }
  }
  void finish() {
    if (dropped_ > 0) r_.problems.push_back(std::to_string(dropped_) + " more problems");
  }

 private:
  CheckReport& r_;
  size_t max_;
  uint64_t dropped_ = 0;
};

// Both copies of a two-copy structure, counting torn ones; returns the chosen copy's bytes.
template <class Array, class Decode>
StoreResult<Array> read_structure(BackingStore& dev, uint64_t first_pbn, Decode decode,
                                  CheckReport& report) {
  std::vector<uint8_t> b0(kBlockSize), b1(kBlockSize);
  StoreStatus s = read_block(dev, first_pbn, b0);
  if (s.ok()) s = read_block(dev, first_pbn + 1, b1);
  if (!s.ok()) return {s, {}};
  Array a0{}, a1{};
  const CopyInfo i0 = decode(b0, &a0);
  const CopyInfo i1 = decode(b1, &a1);
  report.torn_copies += (i0.state == BlockState::kInvalid) + (i1.state == BlockState::kInvalid);
  const CopyChoice c = pick_copy(i0, i1);
  Array out{};
  if (c.load == 0) out = a0;
  if (c.load == 1) out = a1;
  return {StoreStatus::Ok(), out};
}

}  // namespace

StoreResult<CheckReport> check_volume(BackingStore& dev, const Superblock& sb,
                                      size_t max_problems) {
  const Geometry& g = sb.geometry;
  CheckReport report;
  Problems problems(report, max_problems);
  std::vector<uint16_t> refs(g.data_blocks, 0);
  // Per data block: 0 unreferenced, 1 whole, 2 fragments, 3 both; and the highest slot + 1.
  std::vector<uint8_t> kind(g.data_blocks, 0), slots(g.data_blocks, 0);

  for (uint64_t page = 0; page < g.blockmap_pages; ++page) {
    auto entries = read_structure<MapPageEntries>(
        dev, g.blockmap_start + 2 * page,
        [&](ByteSpan b, MapPageEntries* out) { return decode_map_page(b, page, sb.nonce, out); },
        report);
    if (!entries.ok()) return {entries.status, {}};
    for (uint64_t i = 0; i < kMapEntriesPerPage; ++i) {
      const uint64_t lbn = page * kMapEntriesPerPage + i;
      const uint64_t raw = entries.value[i];
      if (lbn >= g.logical_blocks) {
        if (raw != 0) problems.add("map entry beyond the volume at LBN " + std::to_string(lbn));
        continue;
      }
      const auto e = decode_map_entry(raw);
      if (!e) {
        problems.add("LBN " + std::to_string(lbn) + ": impossible map entry");
        continue;
      }
      if (e->kind == MapEntry::Kind::kZero) ++report.lbns_zero;
      if (!e->references_block()) continue;
      if (e->pbn < g.data_start || e->pbn - g.data_start >= g.data_blocks) {
        problems.add("LBN " + std::to_string(lbn) + ": PBN " + std::to_string(e->pbn) +
                     " outside the data region");
        continue;
      }
      const uint64_t s = e->pbn - g.data_start;
      ++report.lbns_mapped;
      ++refs[s];
      if (e->kind == MapEntry::Kind::kFragment) {
        ++report.fragments_mapped;
        kind[s] |= 2;
        slots[s] = std::max<uint8_t>(slots[s], static_cast<uint8_t>(e->slot + 1));
      } else {
        kind[s] |= 1;
      }
    }
  }

  std::vector<uint8_t> block(kBlockSize);
  for (uint64_t s = 0; s < g.data_blocks; ++s) {
    const std::string pbn = "PBN " + std::to_string(g.data_start + s);
    if (kind[s] == 3) problems.add(pbn + ": mapped both whole and as fragments");
    if (kind[s] & 2) {
      ++report.compressed_blocks;
      StoreStatus st = read_block(dev, g.data_start + s, block);
      if (!st.ok()) return {st, {}};
      auto view = parse_compressed_block(block, static_cast<uint8_t>(sb.algorithm));
      if (!view.ok()) {
        problems.add(pbn + ": fragments mapped but " + view.status.message());
      } else if (view.value.fragment_count < slots[s]) {
        problems.add(pbn + ": fragment " + std::to_string(slots[s] - 1) + " mapped but only " +
                     std::to_string(view.value.fragment_count) + " in the block");
      }
    }
  }

  for (uint64_t j = 0; j < g.refcount_blocks; ++j) {
    auto counts = read_structure<RefcountArray>(
        dev, g.refcount_start + 2 * j,
        [&](ByteSpan b, RefcountArray* out) { return decode_refcount_block(b, j, sb.nonce, out); },
        report);
    if (!counts.ok()) return {counts.status, {}};
    for (uint64_t i = 0; i < kRefcountsPerBlock; ++i) {
      const uint64_t s = j * kRefcountsPerBlock + i;
      const uint8_t c = counts.value[i];
      if (s >= g.data_blocks) {
        if (c != 0) problems.add("refcount beyond the data region in block " + std::to_string(j));
        continue;
      }
      if (c != 0) ++report.blocks_in_use;
      if (c != refs[s] || refs[s] > kRefcountLimit) {
        problems.add("PBN " + std::to_string(g.data_start + s) + ": count " + std::to_string(c) +
                     " but " + std::to_string(refs[s]) + " map entries reference it");
      }
    }
  }
  problems.finish();
  return {StoreStatus::Ok(), std::move(report)};
}

}  // namespace accz::store
