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
  // Per data block, what references it: a whole-block entry, fragments whose extent starts
  // there, fragments with bytes there.
  constexpr uint8_t kWholeRef = 1, kHeadRef = 2, kBytesRef = 4;
  std::vector<uint8_t> kind(g.data_blocks, 0);
  // Entries of one extent are usually neighbours in the map: its header is read once for them.
  uint64_t header_pbn = 0;
  StoreResult<CompressedHeader> header{StoreStatus::Ok(), {}};
  std::vector<uint8_t> head(kBlockSize);

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
      const std::string where = "LBN " + std::to_string(lbn) + ": PBN " + std::to_string(e->pbn);
      if (e->pbn < g.data_start || e->pbn - g.data_start >= g.data_blocks ||
          e->blocks() > g.data_blocks - (e->pbn - g.data_start)) {
        problems.add(where + " +" + std::to_string(e->blocks()) + " outside the data region");
        continue;
      }
      ++report.lbns_mapped;
      for (uint64_t pbn : e->referenced_blocks()) {
        ++refs[pbn - g.data_start];
        kind[pbn - g.data_start] |= e->kind == MapEntry::Kind::kWhole ? kWholeRef : kBytesRef;
      }
      if (e->kind != MapEntry::Kind::kFragment) continue;
      ++report.fragments_mapped;
      kind[e->pbn - g.data_start] |= kHeadRef;
      if (header_pbn != e->pbn) {
        StoreStatus st = read_block(dev, e->pbn, head);
        if (!st.ok()) return {st, {}};
        header = parse_compressed_header(head, static_cast<uint8_t>(sb.algorithm));
        header_pbn = e->pbn;
      }
      if (!header.ok()) {
        problems.add(where + ": fragment mapped but " + header.status.message());
        continue;
      }
      const CompressedHeader& h = header.value;
      if (h.extent != e->extent) {
        problems.add(where + ": mapped as an extent of " + std::to_string(e->blocks()) +
                     " blocks, the header says " + std::to_string(h.blocks()));
      } else if (e->slot >= h.fragment_count) {
        problems.add(where + ": fragment " + std::to_string(e->slot) + " mapped but only " +
                     std::to_string(h.fragment_count) + " in the extent");
      } else if (h.first_block(e->slot) != e->first ||
                 h.last_block(e->slot) != uint64_t{e->first} + e->spans) {
        problems.add(where + ": fragment " + std::to_string(e->slot) +
                     " mapped to other blocks of its extent than it lies in");
      }
    }
  }

  for (uint64_t s = 0; s < g.data_blocks; ++s) {
    if ((kind[s] & kWholeRef) && (kind[s] & (kHeadRef | kBytesRef))) {
      problems.add("PBN " + std::to_string(g.data_start + s) +
                   ": mapped both whole and as fragments");
    }
    if (kind[s] & (kHeadRef | kBytesRef)) ++report.compressed_blocks;
    if (kind[s] & kHeadRef) ++report.compressed_extents;
  }

  if (sb.state == VolumeState::kClean && sb.mapped_at_close &&
      *sb.mapped_at_close != report.lbns_mapped) {
    problems.add("superblock: " + std::to_string(*sb.mapped_at_close) +
                 " LBNs mapped at the last clean close, but the map has " +
                 std::to_string(report.lbns_mapped));
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
