#include "store/volume/journal_writer.h"

#include <vector>

#include "store/format/layout.h"
#include "store/volume/block_io.h"

namespace accz::store {

JournalWriter::JournalWriter(BackingStore& dev, const Superblock& sb, uint64_t first_sequence)
    : dev_(dev),
      sb_(sb),
      head_(first_sequence),
      next_seq_(first_sequence),
      committed_end_(journal_point(first_sequence, 0)) {}

uint64_t JournalWriter::free_blocks() const {
  const uint64_t used = next_seq_ + open_.size() - head_;
  return sb_.geometry.journal_blocks - used;
}

StoreResult<uint64_t> JournalWriter::append(const JournalEntry& entry) {
  if (read_only_) return {StoreStatus::ReadOnly("journal: an earlier commit failed"), 0};
  if (open_.empty() || open_.back().size() == kJournalEntriesPerBlock) {
    if (free_blocks() == 0) {
      return {StoreStatus::NoSpace("journal full: metadata must be written back first"), 0};
    }
    open_.emplace_back();
    open_.back().reserve(kJournalEntriesPerBlock);
  }
  open_.back().push_back(entry);
  ++stats_.entries_appended;
  const uint64_t seq = next_seq_ + open_.size() - 1;
  return {StoreStatus::Ok(), journal_point(seq, static_cast<uint32_t>(open_.back().size() - 1))};
}

StoreStatus JournalWriter::commit() {
  if (read_only_) return StoreStatus::ReadOnly("journal: an earlier commit failed");
  if (open_.empty()) return StoreStatus::Ok();
  auto fail = [this](StoreStatus s) {
    read_only_ = true;
    return s;
  };
  // W1: the data these entries map must be durable before a journal block can make it
  // reachable.
  StoreStatus s = dev_.flush();
  ++stats_.flushes;
  if (!s.ok()) return fail(s);
  std::vector<uint8_t> block(kBlockSize);
  const Geometry& g = sb_.geometry;
  for (size_t i = 0; i < open_.size(); ++i) {
    JournalBlock jb;
    jb.sequence = next_seq_ + i;
    jb.head = head_;
    jb.entries = std::move(open_[i]);
    encode_journal_block(jb, sb_.nonce, block);
    s = write_block(dev_, g.journal_start + jb.sequence % g.journal_blocks, block);
    if (!s.ok()) return fail(s);
    ++stats_.blocks_written;
  }
  s = dev_.flush();
  ++stats_.flushes;
  if (!s.ok()) return fail(s);
  next_seq_ += open_.size();
  open_.clear();
  committed_end_ = journal_point(next_seq_, 0);
  ++stats_.commits;
  return StoreStatus::Ok();
}

void JournalWriter::advance_head(uint64_t head) {
  if (head > head_ && head <= next_seq_) head_ = head;
}

}  // namespace accz::store
