// store/volume/block_io.h — whole-block I/O by PBN on a backing store, the only unit the
// volume's format uses (docs/format.md §1).
//
// Promise: read_block/write_block move exactly one 4 KiB block at PBN `pbn`, read_blocks/
// write_blocks `size / 4096` consecutive blocks from `pbn` on in one call; a block past the end
// of the store is kInvalidArgument, never a wrapped offset.
//
// Thread-safety: as thread-safe as the backing store (all of ours are).
#pragma once

#include <cstdint>

#include "accz/types.h"
#include "store/backing/backing_store.h"

namespace accz::store {

// REQUIRES: out.size() == kBlockSize.
StoreStatus read_block(BackingStore& dev, uint64_t pbn, MutableByteSpan out);
// REQUIRES: data.size() == kBlockSize.
StoreStatus write_block(BackingStore& dev, uint64_t pbn, ByteSpan data);

// REQUIRES: out.size() is a multiple of kBlockSize.
StoreStatus read_blocks(BackingStore& dev, uint64_t pbn, MutableByteSpan out);
// REQUIRES: data.size() is a multiple of kBlockSize.
StoreStatus write_blocks(BackingStore& dev, uint64_t pbn, ByteSpan data);

// The backing store's size in whole blocks.
uint64_t backing_blocks(const BackingStore& dev);

}  // namespace accz::store
