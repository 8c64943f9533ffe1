// store/volume/volume_metadata.h — a volume's metadata for one session: the block map cache,
// the reference counts and the recovery journal, kept in step by the write-ordering rules of
// docs/format.md §9. The write and read paths of the engine sit on top of this.
//
// Promise:
//   - open() opens the volume (replaying the journal after a crash), loads the counts and
//     starts the journal; close() commits, writes back everything, and only then writes the
//     clean superblock (W6).
//   - remap() journals one mapping change (map[lbn] := entry, counts adjusted) and applies it
//     to the cache and counts in journal order; the caller wrote the data it maps first.
//     Nothing is durable until commit() returns (W1, W2).
//   - checkpoint() writes back every committed map page and refcount block and moves the
//     journal head past what is then durable (W3). remap() checkpoints by itself when the
//     journal ring or the map cache is full of uncommitted work.
//   - allocate() hands out only blocks whose last free is committed (W5); a block mapped by
//     remap() stops being handed out.
//   - After a failed journal or metadata write every mutating call returns kReadOnly, as §9
//     requires; reopening replays.
//
// Thread-safety: not thread-safe; one owner (the engine's metadata thread), except that
// peek() may run on several threads at once while no other call runs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "store/backing/backing_store.h"
#include "store/format/superblock.h"
#include "store/volume/block_map_cache.h"
#include "store/volume/journal_writer.h"
#include "store/volume/open_volume.h"
#include "store/volume/refcount_table.h"

namespace accz::store {

struct VolumeMetadataOptions {
  // Block-map pages held in memory (about 4 KiB each). Default: 256 (1 MiB).
  size_t map_cache_pages = 256;
  // Open without writing anything: a volume that was not closed cleanly is refused
  // (kReadOnly) rather than replayed, and every mutating call returns kReadOnly.
  bool read_only = false;
};

class VolumeMetadata {
 public:
  static StoreResult<std::unique_ptr<VolumeMetadata>> open(BackingStore& dev,
                                                           const VolumeMetadataOptions& options);

  StoreResult<MapEntry> lookup(uint64_t lbn);
  // The map entry of `lbn` from the cache alone (BlockMapCache::peek): no I/O, no change.
  std::optional<MapEntry> peek(uint64_t lbn) const { return map_.peek(lbn); }
  // kInvalidArgument (nothing journaled) if `entry` names a block outside the data region or
  // one that is at the reference limit.
  StoreResult<uint64_t> remap(uint64_t lbn, const MapEntry& entry);
  // The same, also reporting the entry it replaced (for counting logical blocks in use).
  StoreResult<uint64_t> remap(uint64_t lbn, const MapEntry& entry, MapEntry* old_entry);
  StoreStatus commit();
  StoreStatus checkpoint();
  // `index_generation`: the generation a dedup index was just saved under (0: none), and
  // `mapped`: how many LBNs map to data (nullopt: not counted), both recorded in the clean
  // superblock.
  StoreStatus close(uint64_t index_generation = 0, std::optional<uint64_t> mapped = std::nullopt);

  StoreResult<uint64_t> allocate() { return counts_.allocate(); }
  // `blocks` consecutive blocks for a compressed extent (RefcountTable::allocate_run).
  StoreResult<uint64_t> allocate_run(uint64_t blocks) { return counts_.allocate_run(blocks); }
  void release(uint64_t pbn) { counts_.release(pbn); }
  bool can_share(uint64_t pbn) const { return counts_.can_share(pbn); }
  uint8_t refcount(uint64_t pbn) const { return counts_.count(pbn); }

  const Superblock& superblock() const { return sb_; }
  const OpenedVolume& opened() const { return opened_; }
  const JournalStats& journal_stats() const { return journal_.stats(); }
  uint64_t journal_head() const { return journal_.head(); }
  uint64_t journal_next_sequence() const { return journal_.next_sequence(); }
  const BlockMapCacheStats& map_cache_stats() const { return map_.stats(); }
  uint64_t blocks_in_use() const { return counts_.blocks_in_use(); }
  uint64_t blocks_allocatable() const { return counts_.blocks_allocatable(); }
  bool read_only() const { return read_only_; }

 private:
  VolumeMetadata(BackingStore& dev, const OpenedVolume& opened,
                 const VolumeMetadataOptions& options);
  void publish_commit();

  BackingStore& dev_;
  const OpenedVolume opened_;
  Superblock sb_;  // declared before the parts that keep a reference to it
  JournalWriter journal_;
  BlockMapCache map_;
  RefcountTable counts_;
  const bool read_only_;
  bool closed_ = false;
};

}  // namespace accz::store
