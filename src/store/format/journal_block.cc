#include "store/format/journal_block.h"

#include <cstring>
#include <string>

#include "store/format/block_header.h"
#include "store/format/endian.h"
#include "store/format/layout.h"

namespace accz::store {
namespace {

constexpr uint8_t kEntryRemap = 1;

}  // namespace

void encode_journal_block(const JournalBlock& jb, uint64_t nonce, MutableByteSpan block) {
  std::memset(block.data(), 0, kBlockSize);
  uint8_t* p = block.data() + kBlockHeaderSize;
  for (const JournalEntry& e : jb.entries) {
    p[0] = kEntryRemap;
    le::store64(p + 8, e.lbn);
    le::store64(p + 16, encode_map_entry(e.new_entry));
    le::store64(p + 24, encode_map_entry(e.old_entry));
    p += kJournalEntrySize;
  }
  seal_block({kMagicJournal, kMetadataBlockVersion, static_cast<uint16_t>(jb.entries.size()), nonce,
              jb.sequence, jb.head},
             block);
}

StoreResult<JournalBlock> decode_journal_block(ByteSpan block, uint64_t nonce, uint64_t sequence) {
  auto bad = [&](const std::string& why) -> StoreResult<JournalBlock> {
    return {StoreStatus::Corruption("journal block " + std::to_string(sequence) + ": " + why), {}};
  };
  BlockHeader h;
  switch (inspect_block(block, kMagicJournal, nonce, sequence, &h)) {
    case BlockState::kValid:
      break;
    case BlockState::kUnwritten:
      return bad("never written");
    case BlockState::kStale:
      return bad("belongs to an earlier volume");
    case BlockState::kInvalid:
      return bad("torn, corrupt, or holding another sequence");
  }
  if (h.count == 0 || h.count > kJournalEntriesPerBlock) return bad("entry count");
  if (h.point > sequence) return bad("head is past the block itself");
  JournalBlock jb;
  jb.sequence = sequence;
  jb.head = h.point;
  jb.entries.reserve(h.count);
  const uint8_t* p = block.data() + kBlockHeaderSize;
  for (uint16_t i = 0; i < h.count; ++i, p += kJournalEntrySize) {
    if (p[0] != kEntryRemap) return bad("entry type " + std::to_string(p[0]));
    auto ne = decode_map_entry(le::load64(p + 16));
    auto oe = decode_map_entry(le::load64(p + 24));
    if (!ne || !oe) return bad("entry " + std::to_string(i) + " has an impossible mapping");
    jb.entries.push_back({le::load64(p + 8), *ne, *oe});
  }
  return {StoreStatus::Ok(), std::move(jb)};
}

}  // namespace accz::store
