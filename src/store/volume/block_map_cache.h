// store/volume/block_map_cache.h — the block map in memory: a bounded LRU cache of map pages
// with write-back by the two-copy rule (docs/format.md §4, W3, W4).
//
// Promise:
//   - At most `capacity_pages` pages are held (about 4 KiB each), however large the volume:
//     memory is set by configuration, not by the logical size.
//   - update() applies a journaled remap in journal order, with replay's idempotence rule (a
//     page changes only for a point newer than its own), so the page's point always names
//     the newest entry it reflects and none after.
//   - A page is written only once every change in it is committed (its point is below the
//     committed end the owner reports with set_committed_end()), always to the copy that
//     does not hold its newest durable version, and each write is flushed before the page can
//     be written again, so a crash tears at most one copy (W4).
//   - Eviction drops the least recently used clean page, except that a page peek() found
//     since it was last considered gets a second chance (it goes to the front once, as in
//     CLOCK), so pages only readers use stay cached; when there is no clean page it first
//     writes back every committed dirty page (one flush for the batch). If every page holds
//     uncommitted changes, lookup/update fail with kNoSpace and change nothing: the owner
//     must commit the journal and retry.
//   - oldest_unwritten_point() tells the owner how far the journal head may advance (W3).
//   - After a failed write or flush the cache is read-only (kReadOnly): which copy holds
//     what is no longer known, and only reopening (replay) can tell.
//   - peek() answers from a cached page only: no I/O, no change to the cache, its LRU order
//     or its stats; it only marks the page as used (an atomic flag eviction reads).
//
// Thread-safety: not thread-safe; one owner (the engine's metadata thread) makes every call,
// except that peek() (const) may run on several threads at once while no other call runs
// (the owner serialises them, e.g. with a reader/writer lock).
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>

#include "store/backing/backing_store.h"
#include "store/format/map_entry.h"
#include "store/format/superblock.h"
#include "store/volume/metadata_io.h"

namespace accz::store {

struct BlockMapCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;  // pages read from the device
  uint64_t evictions = 0;
  uint64_t pages_written = 0;
  uint64_t flushes = 0;
};

class BlockMapCache {
 public:
  static constexpr size_t kMinCapacity = 2;

  // `dev` and `sb` must outlive the cache. capacity_pages < kMinCapacity is raised to it.
  BlockMapCache(BackingStore& dev, const Superblock& sb, size_t capacity_pages);

  StoreResult<MapEntry> lookup(uint64_t lbn);
  // The entry of `lbn` if its page is cached and the entry decodes; nothing otherwise
  // (lookup() then reads the page or reports the error).
  std::optional<MapEntry> peek(uint64_t lbn) const;
  // REQUIRES: points arrive in journal order.
  StoreStatus update(uint64_t lbn, const MapEntry& entry, uint64_t point);

  // Points below `end` are committed (JournalWriter::committed_point_end()).
  void set_committed_end(uint64_t end) { committed_end_ = end; }

  // Writes every dirty page whose changes are all committed, then flushes.
  StoreStatus write_back_committed();

  // The oldest point of a change not yet durable in a page; UINT64_MAX if there is none.
  uint64_t oldest_unwritten_point() const;

  size_t pages_cached() const { return pages_.size(); }
  size_t pages_dirty() const;
  size_t capacity() const { return capacity_; }
  bool read_only() const { return read_only_; }
  const BlockMapCacheStats& stats() const { return stats_; }

 private:
  struct Page {
    LoadedMapPage s;
    uint64_t first_unwritten = 0;  // point of the oldest change not yet durable; 0 if clean
    std::list<uint64_t>::iterator lru;
    // Set by peek() (several readers at once), cleared by eviction's second chance.
    mutable std::atomic<bool> peeked{false};
    bool dirty() const { return first_unwritten != 0; }
  };

  StoreResult<Page*> page(uint64_t index);
  // Makes room for one more page. REQUIRES: pages_.size() >= capacity_.
  StoreStatus evict_one();
  // The clean page to evict (second chance for peeked ones), or lru_.end() if none is clean.
  std::list<uint64_t>::iterator clean_victim();
  StoreStatus fail(StoreStatus s);

  BackingStore& dev_;
  const Superblock& sb_;
  const size_t capacity_;
  uint64_t committed_end_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages_;
  std::list<uint64_t> lru_;  // front: most recently used
  bool read_only_ = false;
  BlockMapCacheStats stats_;
};

}  // namespace accz::store
