// store/volume/dedup_index.h — the advisory dedup index: block contents' 128-bit hash to the
// map entry that held those contents (docs/format.md §7), within a fixed entry budget, saved
// to the index region on a clean close.
//
// Promise:
//   - hash_block() is XXH3-128 with seed 0, as the format names it.
//   - find() returns a candidate only; the write path must compare bytes before sharing,
//     because a block may have been freed and rewritten since it was indexed. So losing,
//     dropping or mis-loading entries loses savings, never data.
//   - At most `max_entries` entries are held (LRU: a hit or an insert makes an entry newest,
//     the oldest goes first), so memory is set by configuration, not by the volume size.
//   - save() writes the newest entries that fit the region, newest first, under a generation
//     the caller then records in the clean superblock; load() reads them back (stopping at
//     the first page that is not a valid page of that generation) so that recency survives.
//
// Thread-safety: hash_block() is a pure function. A DedupIndex is not thread-safe; one owner
// (the engine's metadata thread) makes every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>

#include "accz/types.h"
#include "store/backing/backing_store.h"
#include "store/format/map_entry.h"
#include "store/format/superblock.h"

namespace accz::store {

struct BlockHash {
  uint64_t low = 0;
  uint64_t high = 0;
  bool operator==(const BlockHash&) const = default;
};

BlockHash hash_block(ByteSpan block);

struct DedupIndexStats {
  uint64_t lookups = 0;
  uint64_t hits = 0;
  uint64_t inserts = 0;
  uint64_t evictions = 0;
};

class DedupIndex {
 public:
  // Rough memory per entry (node, hash-table slot, allocator overhead), for turning a byte
  // budget into max_entries.
  static constexpr size_t kBytesPerEntry = 96;

  explicit DedupIndex(size_t max_entries);

  std::optional<MapEntry> find(const BlockHash& hash);
  // REQUIRES: target references a block.
  void insert(const BlockHash& hash, const MapEntry& target);
  void erase(const BlockHash& hash);
  void clear();

  // Writes min(size, index_blocks × 169) newest entries to the index region, then flushes.
  StoreStatus save(BackingStore& dev, const Superblock& sb, uint64_t generation) const;
  // Replaces the contents with what save() wrote under `generation` (0: nothing to load).
  // Only read errors fail; invalid pages end the load.
  StoreStatus load(BackingStore& dev, const Superblock& sb, uint64_t generation);

  size_t size() const { return map_.size(); }
  size_t capacity() const { return max_entries_; }
  const DedupIndexStats& stats() const { return stats_; }

 private:
  struct HashOf {
    size_t operator()(const BlockHash& h) const { return static_cast<size_t>(h.low); }
  };
  struct Node {
    BlockHash hash;
    MapEntry target;
  };

  const size_t max_entries_;
  std::list<Node> lru_;  // front: newest
  std::unordered_map<BlockHash, std::list<Node>::iterator, HashOf> map_;
  DedupIndexStats stats_;
};

}  // namespace accz::store
