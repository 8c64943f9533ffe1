#include "store/volume/replay.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "store/format/endian.h"
#include "store/format/journal_block.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"
#include "store/volume/metadata_updater.h"

namespace accz::store {
namespace {

// The journal block in ring slot `slot`, if it is a valid block of this volume that belongs
// in that slot.
StoreResult<std::optional<JournalBlock>> read_slot(BackingStore& dev, const Superblock& sb,
                                                   uint64_t slot, std::vector<uint8_t>& buf) {
  const Geometry& g = sb.geometry;
  StoreStatus s = read_block(dev, g.journal_start + slot, buf);
  if (!s.ok()) return {s, std::nullopt};
  // The header names the sequence; decode checks it against the block's own checksum.
  const uint64_t seq = le::load64(buf.data() + 16);
  if (seq == 0 || seq % g.journal_blocks != slot) return {StoreStatus::Ok(), std::nullopt};
  StoreResult<JournalBlock> jb = decode_journal_block(buf, sb.nonce, seq);
  if (!jb.ok()) return {StoreStatus::Ok(), std::nullopt};
  return {StoreStatus::Ok(), std::move(jb.value)};
}

}  // namespace

StoreResult<ReplayResult> replay_journal(BackingStore& dev, const Superblock& sb) {
  const Geometry& g = sb.geometry;
  std::vector<uint8_t> buf(kBlockSize);
  // Pass 1: the newest valid block of this session and the head it recorded.
  uint64_t newest = 0, head = 0;
  for (uint64_t slot = 0; slot < g.journal_blocks; ++slot) {
    auto r = read_slot(dev, sb, slot, buf);
    if (!r.ok()) return {r.status, {}};
    if (r.value && r.value->sequence >= sb.journal_next_seq && r.value->sequence > newest) {
      newest = r.value->sequence;
      head = r.value->head;
    }
  }
  ReplayResult result;
  result.next_sequence = sb.journal_next_seq;
  if (newest == 0) return {StoreStatus::Ok(), result};
  result.next_sequence = newest + 1;
  // Blocks before the session's start were fully applied before the superblock that names
  // it was written (replay or clean close), so never start earlier than that.
  const uint64_t first = std::max(head, sb.journal_next_seq);
  MetadataUpdater updater(dev, sb);
  uint64_t seq = first;
  for (; seq <= newest; ++seq) {
    auto r = read_slot(dev, sb, seq % g.journal_blocks, buf);
    if (!r.ok()) return {r.status, {}};
    if (!r.value || r.value->sequence != seq) break;
    for (size_t i = 0; i < r.value->entries.size(); ++i) {
      StoreStatus s =
          updater.apply(r.value->entries[i], journal_point(seq, static_cast<uint32_t>(i)));
      if (!s.ok()) return {s, {}};
      ++result.entries_replayed;
    }
    ++result.blocks_replayed;
  }
  result.blocks_discarded = newest + 1 - seq;
  StoreStatus s = updater.write_back();
  if (!s.ok()) return {s, {}};
  return {StoreStatus::Ok(), result};
}

}  // namespace accz::store
