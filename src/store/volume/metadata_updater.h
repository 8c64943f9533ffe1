// store/volume/metadata_updater.h — applies journal entries to block-map pages and refcount
// blocks and writes them back by the two-copy rule (docs/format.md §4, §5, §6 step 4, W3, W4).
//
// Promise: apply() is idempotent per structure: an entry at point P changes a map page or
// refcount block only if that structure's point is older than P, and then raises the point
// to P. All of an entry's count changes to one refcount block happen together (an overwrite
// whose old and new blocks share a refcount block, or even the same block, is one decision,
// not two), so replaying any suffix of the journal over any mix of old and new structures
// converges to the same state. write_back() writes every changed structure to the copy that
// does not hold its newest durable version and then flushes, so each structure has at most one
// write in flight and a crash tears at most one copy (W4).
//
// Structures are loaded on first use and kept until release_clean(); memory grows with the
// number of distinct structures touched between releases, not with the volume size. The
// caller must only apply committed entries, in journal order (W3); this class does not know
// which entries are committed.
//
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "store/backing/backing_store.h"
#include "store/format/journal_block.h"
#include "store/format/metadata_page.h"
#include "store/format/superblock.h"
#include "store/volume/metadata_io.h"

namespace accz::store {

class MetadataUpdater {
 public:
  // `dev` and `sb` must outlive the updater.
  MetadataUpdater(BackingStore& dev, const Superblock& sb);

  // kCorruption for an LBN beyond the volume, a referenced PBN outside the data region, or a
  // count that would leave 0 … 254; kIoError if a structure cannot be read.
  StoreStatus apply(const JournalEntry& entry, uint64_t point);

  // Writes every changed structure, then flushes. On failure the structures stay changed
  // (and the volume must stop writing: which copies hold what is no longer known).
  StoreStatus write_back();

  // Forgets every structure without unwritten changes.
  void release_clean();

  StoreResult<MapEntry> map_entry(uint64_t lbn);
  StoreResult<uint8_t> refcount(uint64_t pbn);
  // Applied journal points of a map page and of a refcount block (0: never written).
  StoreResult<uint64_t> map_page_point(uint64_t page);
  StoreResult<uint64_t> refcount_point(uint64_t index);

  size_t structures_loaded() const { return maps_.size() + counts_.size(); }
  size_t structures_dirty() const;

 private:
  struct MapPage : LoadedMapPage {
    bool dirty = false;
  };
  struct CountBlock : LoadedRefcountBlock {
    bool dirty = false;
  };

  StoreResult<MapPage*> map_page(uint64_t page);
  StoreResult<CountBlock*> count_block(uint64_t index);
  bool is_data_pbn(uint64_t pbn) const;

  BackingStore& dev_;
  const Superblock& sb_;
  std::unordered_map<uint64_t, std::unique_ptr<MapPage>> maps_;
  std::unordered_map<uint64_t, std::unique_ptr<CountBlock>> counts_;
};

}  // namespace accz::store
