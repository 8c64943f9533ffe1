// store/volume/refcount_table.h — the reference counts of every data block in memory, with
// allocation and two-copy write-back (docs/format.md §5, W3, W4, W5).
//
// Promise:
//   - Holds one byte per data block (as VDO's slabs do: the counts are 1/4096 of the data
//     they describe), loaded by load() from the newer valid copy of each refcount block.
//   - apply() performs a journaled remap's count changes with replay's idempotence rule (one
//     decision per refcount block per entry), refusing (kCorruption, nothing changed) counts
//     that would leave 0 … 254. A fragment's entry counts on its extent's first block and on the
//     blocks holding its bytes (MapEntry::referenced_blocks).
//   - allocate() hands out a block whose count is 0, that is not already handed out, and
//     whose last free is committed (W5: a block freed by an entry is reused only once that
//     entry is committed, so a crash can never leave an old mapping over new contents).
//     Handed-out blocks are not on disk: release() returns one whose write failed, and after
//     a crash they are simply free. can_share() is false at the 254 limit (past it, dedupe
//     writes a new copy).
//   - write_back_committed() writes each changed block whose changes are all committed, to
//     the copy not holding its newest durable version, then flushes (W3, W4).
//   - After a failed write or flush the table is read-only (kReadOnly).
//   - Memory: the count byte plus one bit of the free bitmap per data block, 32 bytes per
//     refcount block, and the frees and handed-out blocks not yet settled (bounded by the
//     journal and the writes in flight, not by the volume's size). Allocation scans the bitmap
//     from a rotating cursor, so successive allocations walk the volume and wrap once.
//
// Thread-safety: not thread-safe; one owner (the engine's metadata thread).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "store/backing/backing_store.h"
#include "store/format/journal_block.h"
#include "store/format/superblock.h"
#include "store/volume/metadata_io.h"

namespace accz::store {

class RefcountTable {
 public:
  // `dev` and `sb` must outlive the table.
  RefcountTable(BackingStore& dev, const Superblock& sb);

  StoreStatus load();

  // REQUIRES: points arrive in journal order.
  StoreStatus apply(const JournalEntry& entry, uint64_t point);

  // Points below `end` are committed; frees at those points make their blocks allocatable.
  void set_committed_end(uint64_t end);

  // kNoSpace when no block is allocatable (the volume is full, or every free block waits for
  // its free to commit).
  StoreResult<uint64_t> allocate();
  // `blocks` consecutive allocatable blocks (a compressed extent, §8), searched from the
  // rotating cursor through at most `max_scan` free blocks; kNoSpace when no such run is found,
  // which on a fragmented volume can happen while single blocks remain. Each block of the run is
  // handed out as allocate() hands out one.
  StoreResult<uint64_t> allocate_run(uint64_t blocks, uint64_t max_scan = uint64_t{1} << 20);
  // Returns a block from allocate() or allocate_run() that will not be mapped after all.
  void release(uint64_t pbn);

  uint8_t count(uint64_t pbn) const;
  bool can_share(uint64_t pbn) const;

  StoreStatus write_back_committed();
  // The oldest point of a change not yet durable; UINT64_MAX if none.
  uint64_t oldest_unwritten_point() const;

  uint64_t blocks_in_use() const { return in_use_; }  // count > 0
  uint64_t blocks_allocatable() const { return free_count_; }
  bool read_only() const { return read_only_; }
  // Bytes this table holds on the heap (container capacities plus an estimate of the tree
  // nodes), so tests can check memory grows with configuration, not with free space.
  uint64_t memory_bytes() const;

 private:
  struct Block {
    uint64_t point = 0;
    int next_write = 0;
    uint64_t first_unwritten = 0;  // 0: clean
  };

  uint64_t slot(uint64_t pbn) const { return pbn - sb_.geometry.data_start; }
  bool is_data_pbn(uint64_t pbn) const;
  bool is_free(uint64_t s) const { return (free_bits_[s / 64] >> (s % 64)) & 1; }
  void mark_free(uint64_t s);
  void unmark_free(uint64_t s);
  // The first free slot in [lo, hi), or UINT64_MAX.
  uint64_t find_free(uint64_t lo, uint64_t hi) const;

  BackingStore& dev_;
  const Superblock& sb_;
  std::vector<uint8_t> counts_;      // by data-block slot
  std::vector<Block> blocks_;        // by refcount block index
  std::vector<uint64_t> free_bits_;  // by data-block slot: allocatable
  uint64_t free_count_ = 0;
  uint64_t cursor_ = 0;                             // slot where the next allocation search starts
  std::set<uint64_t> handed_out_;                   // PBNs allocated but not yet mapped or released
  std::multimap<uint64_t, uint64_t> pending_free_;  // point of the free -> PBN
  std::map<uint64_t, uint64_t> last_free_;          // PBN -> point of its newest free
  uint64_t committed_end_ = 0;
  uint64_t in_use_ = 0;
  bool read_only_ = false;
};

}  // namespace accz::store
