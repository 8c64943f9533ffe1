// store/volume/journal_writer.h — appends remap entries to the recovery journal and commits
// them with the flush ordering of docs/format.md §6 and §9.
//
// Promise:
//   - append() gives each entry its journal point (sequence × 256 + index) in append order;
//     entries fill blocks of up to 126.
//   - commit() makes every appended entry committed: it flushes first (W1: the data blocks
//     the entries map, written by the caller before append, become durable before any journal
//     block that maps them is written), writes each open block once under a fresh sequence,
//     and flushes again. A partly filled block is never rewritten: the next commit starts the
//     next sequence, so a torn write can only hit a block whose entries were never
//     acknowledged.
//   - Every block records the head: the oldest sequence replay may still need. The caller
//     advances it with advance_head() once everything from older blocks is durable in the map
//     and refcounts (W3). append() refuses with kNoSpace (nothing appended) when the entry
//     would need a block whose ring slot still holds a block at or after the head.
//   - After any failed commit the writer is read-only (kReadOnly): its sequences may be
//     partly on disk, and only a reopen (replay) can tell which.
//
// Thread-safety: not thread-safe; one owner serialises all calls.
#pragma once

#include <cstdint>
#include <vector>

#include "store/backing/backing_store.h"
#include "store/format/journal_block.h"
#include "store/format/superblock.h"

namespace accz::store {

struct JournalStats {
  uint64_t entries_appended = 0;
  uint64_t blocks_written = 0;
  uint64_t commits = 0;
  uint64_t flushes = 0;
};

class JournalWriter {
 public:
  // `first_sequence`: the sequence the session's first block gets (the superblock's
  // journal_next_seq after open); it is also the initial head. `dev` and `sb` must outlive
  // the writer.
  JournalWriter(BackingStore& dev, const Superblock& sb, uint64_t first_sequence);

  // The entry's journal point, or kNoSpace (ring full) / kReadOnly.
  StoreResult<uint64_t> append(const JournalEntry& entry);

  // Commits every appended entry (a no-op if there are none).
  StoreStatus commit();

  // REQUIRES: head ≤ next_sequence(), and every change from blocks before `head` is durable
  // in the map and refcounts. Moving backwards is ignored.
  void advance_head(uint64_t head);

  uint64_t head() const { return head_; }
  // The sequence the next written block gets.
  uint64_t next_sequence() const { return next_seq_; }
  // Points below this are committed.
  uint64_t committed_point_end() const { return committed_end_; }
  // Blocks the ring can still take before the head must advance (open entries included).
  uint64_t free_blocks() const;
  bool read_only() const { return read_only_; }
  const JournalStats& stats() const { return stats_; }

 private:
  BackingStore& dev_;
  const Superblock& sb_;
  uint64_t head_;
  uint64_t next_seq_;  // sequence of open_[0] when written
  uint64_t committed_end_ = 0;
  std::vector<std::vector<JournalEntry>> open_;  // blocks appended but not yet written
  bool read_only_ = false;
  JournalStats stats_;
};

}  // namespace accz::store
