#include "store/format/geometry.h"

#include <string>

#include "store/format/layout.h"

namespace accz::store {
namespace {

constexpr uint64_t div_ceil(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

// Blocks the data region and its two refcount copies take for `data` data blocks.
constexpr uint64_t data_cost(uint64_t data) {
  return data + 2 * div_ceil(data, kRefcountsPerBlock);
}

}  // namespace

StoreResult<Geometry> make_geometry(const GeometryOptions& o) {
  if (o.logical_blocks == 0) return {StoreStatus::InvalidArgument("logical size is zero"), {}};
  if (o.journal_blocks < kMinJournalBlocks) {
    return {StoreStatus::InvalidArgument("journal shorter than " +
                                         std::to_string(kMinJournalBlocks) + " blocks"),
            {}};
  }
  // Keep every product below 2^63 so the validation arithmetic cannot overflow.
  constexpr uint64_t kMaxBlocks = uint64_t{1} << 48;  // the map entry's PBN width
  if (o.logical_blocks > kMaxBlocks || o.physical_blocks > kMaxBlocks ||
      o.journal_blocks > kMaxBlocks || o.index_blocks > kMaxBlocks) {
    return {StoreStatus::InvalidArgument("size beyond 2^48 blocks"), {}};
  }
  Geometry g;
  g.logical_blocks = o.logical_blocks;
  g.physical_blocks = o.physical_blocks;
  g.journal_start = kJournalStart;
  g.journal_blocks = o.journal_blocks;
  g.blockmap_start = g.journal_start + g.journal_blocks;
  g.blockmap_pages = div_ceil(o.logical_blocks, kMapEntriesPerPage);
  g.refcount_start = g.blockmap_start + 2 * g.blockmap_pages;
  const uint64_t fixed = g.refcount_start + o.index_blocks;
  if (o.physical_blocks <= fixed) {
    return {StoreStatus::NoSpace("backing store too small for the volume's metadata"), {}};
  }
  const uint64_t left = o.physical_blocks - fixed;
  // The largest data region whose refcounts fit beside it: start from the proportional
  // estimate and step, since the ceiling makes data_cost() jump by 2 every 4060 blocks.
  uint64_t data = left / (kRefcountsPerBlock + 2) * kRefcountsPerBlock;
  while (data_cost(data + 1) <= left) ++data;
  while (data > 0 && data_cost(data) > left) --data;
  if (data == 0) return {StoreStatus::NoSpace("backing store has no room for data"), {}};
  g.refcount_blocks = div_ceil(data, kRefcountsPerBlock);
  g.index_start = g.refcount_start + 2 * g.refcount_blocks;
  g.index_blocks = o.index_blocks;
  g.data_start = g.index_start + g.index_blocks;
  g.data_blocks = data;
  return {StoreStatus::Ok(), g};
}

StoreStatus validate_geometry(const Geometry& g, uint64_t backing_blocks) {
  auto bad = [](const char* why) {
    return StoreStatus::Corruption(std::string("geometry: ") + why);
  };
  constexpr uint64_t kMaxBlocks = uint64_t{1} << 48;
  if (g.physical_blocks > backing_blocks) return bad("volume is larger than its backing store");
  if (g.physical_blocks > kMaxBlocks || g.logical_blocks > kMaxBlocks ||
      g.journal_blocks > kMaxBlocks || g.index_blocks > kMaxBlocks) {
    return bad("size beyond 2^48 blocks");
  }
  if (g.logical_blocks == 0) return bad("logical size is zero");
  if (g.journal_start != kJournalStart || g.journal_blocks < kMinJournalBlocks) {
    return bad("journal region");
  }
  if (g.blockmap_start != g.journal_start + g.journal_blocks ||
      g.blockmap_pages != div_ceil(g.logical_blocks, kMapEntriesPerPage)) {
    return bad("block map region");
  }
  if (g.refcount_start != g.blockmap_start + 2 * g.blockmap_pages || g.data_blocks == 0 ||
      g.data_blocks > kMaxBlocks ||
      g.refcount_blocks != div_ceil(g.data_blocks, kRefcountsPerBlock)) {
    return bad("reference count region");
  }
  if (g.index_start != g.refcount_start + 2 * g.refcount_blocks) return bad("index region");
  if (g.data_start != g.index_start + g.index_blocks) return bad("data region start");
  if (g.data_start + g.data_blocks > g.physical_blocks) return bad("data region beyond the end");
  return StoreStatus::Ok();
}

}  // namespace accz::store
