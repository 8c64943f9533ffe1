// store/volume/metadata_io.h — loading and storing one block-map page or refcount block by the
// two-copy rule (docs/format.md §4, §5): read both copies, keep the valid one with the higher
// point, and write the next version to the other copy.
//
// Promise: load_*() never fails on a torn, stale or unwritten copy (that is the normal state
// after a crash or on a fresh volume: the structure is empty at point 0); only a read error
// fails. store_*() writes one copy and does not flush: the caller flushes before writing the
// same structure again (W4) and before treating the written copy as the newest.
//
// Thread-safety: functions; as thread-safe as the backing store.
#pragma once

#include <cstdint>

#include "store/backing/backing_store.h"
#include "store/format/metadata_page.h"
#include "store/format/superblock.h"

namespace accz::store {

template <class Array>
struct LoadedStructure {
  Array data{};
  uint64_t point = 0;  // applied journal point; 0 for a structure never written
  int next_write = 0;  // the copy not holding the newest durable version
};
using LoadedMapPage = LoadedStructure<MapPageEntries>;
using LoadedRefcountBlock = LoadedStructure<RefcountArray>;

StoreResult<LoadedMapPage> load_map_page(BackingStore& dev, const Superblock& sb, uint64_t page);
StoreResult<LoadedRefcountBlock> load_refcount_block(BackingStore& dev, const Superblock& sb,
                                                     uint64_t index);

// Writes copy `s.next_write` of the structure with its data and point.
StoreStatus store_map_page(BackingStore& dev, const Superblock& sb, uint64_t page,
                           const LoadedMapPage& s);
StoreStatus store_refcount_block(BackingStore& dev, const Superblock& sb, uint64_t index,
                                 const LoadedRefcountBlock& s);

}  // namespace accz::store
