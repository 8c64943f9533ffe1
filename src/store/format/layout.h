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
inline constexpr uint16_t kSuperblockVersionMajor = 1;
inline constexpr uint16_t kSuperblockVersionMinor = 0;
inline constexpr uint16_t kMetadataBlockVersion = 1;
inline constexpr uint16_t kCompressedBlockVersion = 1;

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
