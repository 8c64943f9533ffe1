// store/format/superblock.h — the volume's superblock: identity, settings fixed at creation,
// geometry and the clean/dirty state (docs/format.md §3).
//
// Promise: encode_superblock() produces the exact §3 layout with its CRC-32C;
// decode_superblock() accepts a block only if magic, checksum, a known major version,
// block size, the field ranges and the geometry all check, and reports which check failed
// (kCorruption; kNotSupported for a newer major version). choose_superblock() reads the two
// copies the way open must: the valid one with the higher generation wins, so a torn write of
// one copy never loses the volume.
//
// Thread-safety: pure functions on caller-owned buffers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "accz/types.h"
#include "store/backing/store_status.h"
#include "store/format/geometry.h"
#include "store/format/layout.h"

namespace accz::store {

// On-disk algorithm codes, independent of accz::Algorithm's in-memory values.
enum class VolumeAlgorithm : uint8_t { kNone = 0, kLz4 = 1, kDeflate = 2, kZstd = 3 };
std::string_view to_string(VolumeAlgorithm a);

enum class VolumeState : uint8_t { kClean = 0, kDirty = 1 };

struct Superblock {
  uint16_t version_major = kSuperblockVersionMajor;
  uint16_t version_minor = kSuperblockVersionMinor;
  uint64_t nonce = 0;
  uint64_t generation = 0;  // +1 per write; stored at PBN generation % 2
  Geometry geometry;
  VolumeAlgorithm algorithm = VolumeAlgorithm::kLz4;
  uint8_t level = 0;  // 0: the engine's default
  bool dedupe = true;
  VolumeState state = VolumeState::kDirty;
  uint64_t journal_next_seq = 1;
  uint64_t index_generation = 0;  // 0: no valid saved index
  uint64_t created_unix_seconds = 0;
  // On a clean superblock: how many LBNs map to data (whole or fragment), so an open need not
  // read every map page to learn it. Unknown (nullopt) on a dirty one, and in superblocks
  // written before minor 1.
  std::optional<uint64_t> mapped_at_close;

  bool operator==(const Superblock&) const = default;
};

// PBN of the copy a superblock of this generation is written to.
constexpr uint64_t superblock_pbn(uint64_t generation) { return generation % 2; }

// REQUIRES: block.size() == 4096. Writes this build's versions (layout.h) whatever
// sb.version_* say: it writes only the format it knows.
void encode_superblock(const Superblock& sb, MutableByteSpan block);

// `backing_blocks`: the backing store's size in 4 KiB blocks, for the geometry check.
StoreResult<Superblock> decode_superblock(ByteSpan block, uint64_t backing_blocks);

// Given both copies (PBN 0 and PBN 1), the newest valid superblock. If neither is valid, the
// error of the copy that came closer (a newer version over a corrupt block).
StoreResult<Superblock> choose_superblock(ByteSpan copy0, ByteSpan copy1, uint64_t backing_blocks);

}  // namespace accz::store
