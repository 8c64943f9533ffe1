// store/format/layout.h — the constants of docs/format.md, in one place, so code and document
// can be compared line by line.
//
// Thread-safety: constants only.
#pragma once

#include <cstdint>

namespace accz::store {

inline constexpr uint64_t kBlockSize = 4096;
inline constexpr uint64_t kChecksumOffset = 4092;  // every metadata block: crc32c of [0, 4092)
inline constexpr uint64_t kBlockHeaderSize = 32;   // the shared metadata block header (§4)

// Structure versions (§1): readers reject versions they do not know.
// Major 2 added compressed extents (map entry bits 52–60, compressed block version 2); a
// major-1 volume is a major-2 volume without extents, read as it is and upgraded when opened
// for writing (the dirty superblock is written with this build's major).
inline constexpr uint16_t kSuperblockVersionMajor = 2;
inline constexpr uint16_t kOldestReadableVersionMajor = 1;
// Minor 1 added the mapped-block count of a clean close (superblock offset 160).
inline constexpr uint16_t kSuperblockVersionMinor = 1;
inline constexpr uint16_t kMetadataBlockVersion = 1;
// Version 2 adds the extent length (byte 5); version-1 blocks (byte 5 zero) still read.
inline constexpr uint8_t kCompressedBlockVersion = 2;

// Magic numbers, as u32 little-endian loads of four ASCII bytes (§4, §8).
inline constexpr uint32_t kMagicBlockMap = 0x50414D42;    // "BMAP"
inline constexpr uint32_t kMagicRefcount = 0x544E4352;    // "RCNT"
inline constexpr uint32_t kMagicJournal = 0x4C4E524A;     // "JRNL"
inline constexpr uint32_t kMagicIndex = 0x58444944;       // "DIDX"
inline constexpr uint32_t kMagicCompressed = 0x50435A41;  // "AZCP"
inline constexpr char kSuperblockMagic[8] = {'a', 'c', 'c', 'z', '-', 'v', 'o', 'l'};

// Entries per block (§4–§8).
inline constexpr uint64_t kMapEntriesPerPage = 507;
inline constexpr uint64_t kRefcountsPerBlock = 4060;
inline constexpr uint64_t kJournalEntriesPerBlock = 126;
inline constexpr uint64_t kJournalEntrySize = 32;
inline constexpr uint64_t kIndexRecordsPerPage = 169;
inline constexpr uint64_t kIndexRecordSize = 24;
inline constexpr uint64_t kMaxFragments = 14;
inline constexpr uint64_t kCompressedHeaderSize = 40;
inline constexpr uint64_t kMaxFragmentBytes = kBlockSize - kCompressedHeaderSize;  // 4056
// A compressed extent is 1 … 14 consecutive data blocks with one header (§8): 14 fragments of
// at most 4056 bytes always fit, and the map entry's 4-bit extent field holds the length.
inline constexpr uint64_t kMaxExtentBlocks = 14;
// The fragment bytes an extent of `blocks` blocks holds after its header.
constexpr uint64_t extent_capacity(uint64_t blocks) {
  return blocks * kBlockSize - kCompressedHeaderSize;
}

inline constexpr uint8_t kRefcountLimit = 254;  // past it, dedupe writes a new copy (§5)

// Regions (§2).
inline constexpr uint64_t kSuperblockCopies = 2;
inline constexpr uint64_t kJournalStart = 2;
inline constexpr uint64_t kDefaultJournalBlocks = 2048;
inline constexpr uint64_t kMinJournalBlocks = 16;

// A journal point orders all entries: sequence × 256 + entry index (§6).
constexpr uint64_t journal_point(uint64_t sequence, uint32_t entry) {
  return sequence * 256 + entry;
}

}  // namespace accz::store
