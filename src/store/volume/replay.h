// store/volume/replay.h — recovery: bringing the block map and refcounts up to date from the
// journal after a crash (docs/format.md §6 "Replay").
//
// Promise: replay_journal() finds the newest valid journal block of the current session (M),
// replays from the head recorded in it up to the first missing or invalid sequence, applies
// each entry idempotently through MetadataUpdater, writes every changed structure back and
// flushes. It returns the sequence the next session must start at (M + 1, never the gap:
// valid blocks past a gap were never committed and must never be mistaken for new ones).
// Replaying again, or after a crash during replay, reaches the same state. It does not touch
// the superblock; open_volume() records the result.
//
// Thread-safety: a function; the caller has the device to itself.
#pragma once

#include <cstdint>

#include "store/backing/backing_store.h"
#include "store/format/superblock.h"

namespace accz::store {

struct ReplayResult {
  uint64_t next_sequence = 1;    // where the next session's journal starts
  uint64_t blocks_replayed = 0;  // journal blocks applied
  uint64_t entries_replayed = 0;
  uint64_t blocks_discarded = 0;  // valid blocks past the first gap
};

// REQUIRES: sb is the superblock on disk and its state is dirty.
StoreResult<ReplayResult> replay_journal(BackingStore& dev, const Superblock& sb);

}  // namespace accz::store
