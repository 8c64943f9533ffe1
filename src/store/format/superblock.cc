#include "store/format/superblock.h"

#include <cstring>
#include <string>

#include "store/format/crc32c.h"
#include "store/format/endian.h"
#include "store/format/layout.h"

namespace accz::store {
namespace {

// Field offsets of docs/format.md §3.
enum Offset : size_t {
  kMagic = 0,
  kVersionMajor = 8,
  kVersionMinor = 10,
  kBlockSizeField = 12,
  kNonce = 16,
  kGeneration = 24,
  kLogicalBlocks = 32,
  kPhysicalBlocks = 40,
  kAlgorithm = 48,
  kLevel = 49,
  kDedupe = 50,
  kState = 51,
  kJournalStartField = 56,
  kJournalBlocks = 64,
  kBlockmapStart = 72,
  kBlockmapPages = 80,
  kRefcountStart = 88,
  kRefcountBlocks = 96,
  kIndexStart = 104,
  kIndexBlocks = 112,
  kDataStart = 120,
  kDataBlocks = 128,
  kJournalNextSeq = 136,
  kIndexGeneration = 144,
  kCreated = 152,
  kMappedAtClose = 160,  // minor 1: the count + 1; 0 unknown
};

}  // namespace

std::string_view to_string(VolumeAlgorithm a) {
  switch (a) {
    case VolumeAlgorithm::kNone:
      return "none";
    case VolumeAlgorithm::kLz4:
      return "lz4";
    case VolumeAlgorithm::kDeflate:
      return "deflate";
    case VolumeAlgorithm::kZstd:
      return "zstd";
  }
  return "unknown";
}

void encode_superblock(const Superblock& sb, MutableByteSpan block) {
  std::memset(block.data(), 0, kBlockSize);
  uint8_t* p = block.data();
  const Geometry& g = sb.geometry;
  std::memcpy(p + kMagic, kSuperblockMagic, sizeof(kSuperblockMagic));
  le::store16(p + kVersionMajor, kSuperblockVersionMajor);
  le::store16(p + kVersionMinor, kSuperblockVersionMinor);
  le::store32(p + kBlockSizeField, static_cast<uint32_t>(kBlockSize));
  le::store64(p + kNonce, sb.nonce);
  le::store64(p + kGeneration, sb.generation);
  le::store64(p + kLogicalBlocks, g.logical_blocks);
  le::store64(p + kPhysicalBlocks, g.physical_blocks);
  p[kAlgorithm] = static_cast<uint8_t>(sb.algorithm);
  p[kLevel] = sb.level;
  p[kDedupe] = sb.dedupe ? 1 : 0;
  p[kState] = static_cast<uint8_t>(sb.state);
  le::store64(p + kJournalStartField, g.journal_start);
  le::store64(p + kJournalBlocks, g.journal_blocks);
  le::store64(p + kBlockmapStart, g.blockmap_start);
  le::store64(p + kBlockmapPages, g.blockmap_pages);
  le::store64(p + kRefcountStart, g.refcount_start);
  le::store64(p + kRefcountBlocks, g.refcount_blocks);
  le::store64(p + kIndexStart, g.index_start);
  le::store64(p + kIndexBlocks, g.index_blocks);
  le::store64(p + kDataStart, g.data_start);
  le::store64(p + kDataBlocks, g.data_blocks);
  le::store64(p + kJournalNextSeq, sb.journal_next_seq);
  le::store64(p + kIndexGeneration, sb.index_generation);
  le::store64(p + kCreated, sb.created_unix_seconds);
  le::store64(p + kMappedAtClose, sb.mapped_at_close ? *sb.mapped_at_close + 1 : 0);
  le::store32(p + kChecksumOffset, crc32c(block.first(kChecksumOffset)));
}

StoreResult<Superblock> decode_superblock(ByteSpan block, uint64_t backing_blocks) {
  auto bad = [](const std::string& why) -> StoreResult<Superblock> {
    return {StoreStatus::Corruption("superblock: " + why), {}};
  };
  if (block.size() != kBlockSize) return bad("not a 4 KiB block");
  const uint8_t* p = block.data();
  if (std::memcmp(p + kMagic, kSuperblockMagic, sizeof(kSuperblockMagic)) != 0) {
    return bad("no accz volume magic");
  }
  if (le::load32(p + kChecksumOffset) != crc32c(block.first(kChecksumOffset))) {
    return bad("checksum mismatch");
  }
  Superblock sb;
  sb.version_major = le::load16(p + kVersionMajor);
  sb.version_minor = le::load16(p + kVersionMinor);
  // A higher minor only adds fields in bytes this version keeps zero: readable. A newer major
  // changes meanings: refuse rather than misread. Older majors are subsets (layout.h).
  if (sb.version_major > kSuperblockVersionMajor ||
      sb.version_major < kOldestReadableVersionMajor) {
    return {
        StoreStatus::NotSupported("superblock: format version " + std::to_string(sb.version_major) +
                                  "." + std::to_string(sb.version_minor) + " (this build reads " +
                                  std::to_string(kOldestReadableVersionMajor) + ".x to " +
                                  std::to_string(kSuperblockVersionMajor) + ".x)"),
        {}};
  }
  if (le::load32(p + kBlockSizeField) != kBlockSize) return bad("block size is not 4096");
  if (p[kAlgorithm] > static_cast<uint8_t>(VolumeAlgorithm::kZstd)) return bad("algorithm code");
  if (p[kDedupe] > 1) return bad("dedupe flag");
  if (p[kState] > static_cast<uint8_t>(VolumeState::kDirty)) return bad("state");
  sb.nonce = le::load64(p + kNonce);
  sb.generation = le::load64(p + kGeneration);
  sb.algorithm = static_cast<VolumeAlgorithm>(p[kAlgorithm]);
  sb.level = p[kLevel];
  sb.dedupe = p[kDedupe] == 1;
  sb.state = static_cast<VolumeState>(p[kState]);
  Geometry& g = sb.geometry;
  g.logical_blocks = le::load64(p + kLogicalBlocks);
  g.physical_blocks = le::load64(p + kPhysicalBlocks);
  g.journal_start = le::load64(p + kJournalStartField);
  g.journal_blocks = le::load64(p + kJournalBlocks);
  g.blockmap_start = le::load64(p + kBlockmapStart);
  g.blockmap_pages = le::load64(p + kBlockmapPages);
  g.refcount_start = le::load64(p + kRefcountStart);
  g.refcount_blocks = le::load64(p + kRefcountBlocks);
  g.index_start = le::load64(p + kIndexStart);
  g.index_blocks = le::load64(p + kIndexBlocks);
  g.data_start = le::load64(p + kDataStart);
  g.data_blocks = le::load64(p + kDataBlocks);
  sb.journal_next_seq = le::load64(p + kJournalNextSeq);
  sb.index_generation = le::load64(p + kIndexGeneration);
  sb.created_unix_seconds = le::load64(p + kCreated);
  // Minor 0 kept these bytes zero, which reads as unknown.
  if (const uint64_t m = le::load64(p + kMappedAtClose);
      m != 0 && sb.state == VolumeState::kClean) {
    sb.mapped_at_close = m - 1;
  }
  if (sb.journal_next_seq == 0) return bad("journal sequence 0 (sequences start at 1)");
  StoreStatus s = validate_geometry(g, backing_blocks);
  if (!s.ok()) return {s, {}};
  return {StoreStatus::Ok(), sb};
}

StoreResult<Superblock> choose_superblock(ByteSpan copy0, ByteSpan copy1, uint64_t backing_blocks) {
  StoreResult<Superblock> a = decode_superblock(copy0, backing_blocks);
  StoreResult<Superblock> b = decode_superblock(copy1, backing_blocks);
  // A valid copy at the wrong PBN for its generation was copied there by something else:
  // ignore it rather than guess which generation is real.
  if (a.ok() && superblock_pbn(a.value.generation) != 0) {
    a = {StoreStatus::Corruption("superblock: generation does not belong at PBN 0"), {}};
  }
  if (b.ok() && superblock_pbn(b.value.generation) != 1) {
    b = {StoreStatus::Corruption("superblock: generation does not belong at PBN 1"), {}};
  }
  if (a.ok() && b.ok()) {
    // Two halves of different volumes mean the device was tampered with, not torn.
    if (a.value.nonce != b.value.nonce) {
      return {StoreStatus::Corruption("superblock: the two copies belong to different volumes"),
              {}};
    }
    return a.value.generation > b.value.generation ? a : b;
  }
  if (a.ok()) return a;
  if (b.ok()) return b;
  if (b.status.code() == StoreErrc::kNotSupported) return b;
  return a;
}

}  // namespace accz::store
