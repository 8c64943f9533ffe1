// store/volume/extent_reader.h — reads the fragments of one compressed extent (docs/format.md
// §8) from a backing store, touching only the blocks they occupy.
//
// Promise: fragment() reads the extent's header once, then the blocks the requested slot's
// bytes lie in, each block at most once however many of its slots are asked for, with one read
// for the blocks a slot needs that are not in memory yet. A fragment that ends in the first
// three blocks costs one read in all (the extent from its start to the fragment's end); any
// other, two (the header's sector, then its blocks): a random read pays for little more than
// it uses. A reader
// made `whole` (for a long read, which will want most of the extent's fragments) instead reads
// the whole extent at the first call, in one read. Either way it hands out no byte outside the
// blocks the requested fragment lies in: the blocks of an extent that no live fragment uses may
// already hold other data. It returns the fragment's bytes as a view into this reader, valid while
// it lives. An extent whose header does not check, that lacks the slot, or whose layout differs
// from what the map entry says (length, blocks of the fragment) is kCorruption; a failed read is
// the backing store's error. Memory: the extent's blocks.
//
// Thread-safety: not thread-safe; one reader per thread. The caller keeps the extent's blocks
// from being freed and reused while it reads (the engine's gate does).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "accz/types.h"
#include "store/backing/backing_store.h"
#include "store/format/compressed_block.h"
#include "store/format/map_entry.h"

namespace accz::store {

class ExtentReader {
 public:
  // REQUIRES: entry.kind == kFragment.
  explicit ExtentReader(const MapEntry& entry, bool whole = false);

  uint64_t pbn() const { return pbn_; }
  // REQUIRES: entry.kind == kFragment and entry.pbn == pbn().
  StoreResult<ByteSpan> fragment(BackingStore& dev, uint8_t algorithm, const MapEntry& entry);

 private:
  StoreStatus load(BackingStore& dev, uint64_t first, uint64_t last);

  uint64_t pbn_;
  uint8_t extent_;
  bool whole_;
  std::unique_ptr<uint8_t[]> data_;  // the extent, filled as blocks are read (not zeroed)
  uint32_t loaded_ = 0;              // bit i: block i is in data_
  std::optional<CompressedHeader> header_;
};

}  // namespace accz::store
