// store/volume/superblock_io.h — creating a volume and reading and rewriting its superblock
// on a backing store (docs/format.md §2, §3, rule W6).
//
// Promise:
//   - create_volume() computes the geometry from the logical size and the store's size and
//     writes both superblock copies (generations 0 and 1, clean, journal at sequence 1), then
//     flushes. Nothing else needs writing: every other region either holds blocks of an
//     earlier volume (another nonce: read as never written) or zeros (unwritten), and a map
//     page or refcount block with no valid copy is all unmapped / all free at point 0. A crash
//     at any point of create leaves a device that either opens (as the new volume, or as the
//     earlier volume untouched) or is refused with kCorruption; never a half-made volume,
//     because the only writes are the two self-checking superblock copies.
//   - load_superblock() reads both copies and returns the newest valid one, with a clear
//     error for a missing magic, a newer major version (kNotSupported), two copies of
//     different volumes, or a volume larger than the store.
//   - write_superblock() writes the next generation to the copy it belongs to and flushes, so
//     the other copy keeps the previous durable version until this one is durable.
//
// Thread-safety: functions; the caller serialises superblock writes of one volume.
#pragma once

#include <cstdint>

#include "store/backing/backing_store.h"
#include "store/format/superblock.h"

namespace accz::store {

struct CreateOptions {
  uint64_t logical_blocks = 0;  // the volume's size in 4 KiB blocks (thin)
  // Default: 2048 blocks (8 MiB); at least 16.
  uint64_t journal_blocks = 2048;
  // Blocks for the saved dedup index; 0 disables saving it. Default: 0.
  uint64_t index_blocks = 0;
  VolumeAlgorithm algorithm = VolumeAlgorithm::kLz4;
  uint8_t level = 0;
  bool dedupe = true;
  // 0: a random nonce (the normal case); tests pin it to make images reproducible.
  uint64_t nonce = 0;
};

// Uses the whole backing store. Returns the superblock now on disk (generation 1).
StoreResult<Superblock> create_volume(BackingStore& dev, const CreateOptions& options);

StoreResult<Superblock> load_superblock(BackingStore& dev);

// Bumps sb->generation, writes it to superblock_pbn(generation) and flushes. On failure
// sb->generation is still bumped: that generation may be on disk, so it is never reused.
StoreStatus write_superblock(BackingStore& dev, Superblock* sb);

}  // namespace accz::store
