#include "store/volume/refcount_table.h"

#include <algorithm>
#include <bit>
#include <string>

#include "store/format/layout.h"

namespace accz::store {

RefcountTable::RefcountTable(BackingStore& dev, const Superblock& sb) : dev_(dev), sb_(sb) {}

bool RefcountTable::is_data_pbn(uint64_t pbn) const {
  const Geometry& g = sb_.geometry;
  return pbn >= g.data_start && pbn - g.data_start < g.data_blocks;
}

void RefcountTable::mark_free(uint64_t s) {
  if (!is_free(s)) ++free_count_;
  free_bits_[s / 64] |= uint64_t{1} << (s % 64);
}

void RefcountTable::unmark_free(uint64_t s) {
  if (is_free(s)) --free_count_;
  free_bits_[s / 64] &= ~(uint64_t{1} << (s % 64));
}

uint64_t RefcountTable::find_free(uint64_t lo, uint64_t hi) const {
  if (lo >= hi) return UINT64_MAX;
  uint64_t w = lo / 64;
  uint64_t word = free_bits_[w] & (~uint64_t{0} << (lo % 64));
  for (;;) {
    if (word != 0) {
      const uint64_t s = w * 64 + static_cast<uint64_t>(std::countr_zero(word));
      return s < hi ? s : UINT64_MAX;
    }
    if (++w * 64 >= hi) return UINT64_MAX;
    word = free_bits_[w];
  }
}

uint64_t RefcountTable::memory_bytes() const {
  // A red-black tree node holds three pointers and a colour besides its value.
  constexpr uint64_t kNode = 4 * sizeof(void*);
  return counts_.capacity() + free_bits_.capacity() * sizeof(uint64_t) +
         blocks_.capacity() * sizeof(Block) + handed_out_.size() * (kNode + sizeof(uint64_t)) +
         pending_free_.size() * (kNode + 2 * sizeof(uint64_t)) +
         last_free_.size() * (kNode + 2 * sizeof(uint64_t));
}

StoreStatus RefcountTable::load() {
  const Geometry& g = sb_.geometry;
  counts_.assign(g.data_blocks, 0);
  blocks_.assign(g.refcount_blocks, {});
  free_bits_.assign((g.data_blocks + 63) / 64, 0);
  free_count_ = 0;
  cursor_ = 0;
  handed_out_.clear();
  pending_free_.clear();
  last_free_.clear();
  in_use_ = 0;
  for (uint64_t j = 0; j < g.refcount_blocks; ++j) {
    StoreResult<LoadedRefcountBlock> b = load_refcount_block(dev_, sb_, j);
    if (!b.ok()) return b.status;
    blocks_[j].point = b.value.point;
    blocks_[j].next_write = b.value.next_write;
    const uint64_t first = j * kRefcountsPerBlock;
    const uint64_t n = std::min<uint64_t>(kRefcountsPerBlock, g.data_blocks - first);
    std::copy_n(b.value.data.begin(), n, counts_.begin() + static_cast<ptrdiff_t>(first));
  }
  for (uint64_t s = 0; s < g.data_blocks; ++s) {
    if (counts_[s] == 0) {
      mark_free(s);
    } else {
      ++in_use_;
    }
  }
  return StoreStatus::Ok();
}

StoreStatus RefcountTable::apply(const JournalEntry& e, uint64_t point) {
  if (read_only_) return StoreStatus::ReadOnly("refcounts: an earlier write failed");
  std::map<uint64_t, int> delta;  // PBN -> net change
  for (const auto& [m, d] : {std::pair{&e.new_entry, +1}, std::pair{&e.old_entry, -1}}) {
    if (!m->references_block()) continue;
    if (!is_data_pbn(m->pbn) || !is_data_pbn(m->pbn + m->blocks() - 1)) {
      return StoreStatus::Corruption("refcounts: PBN " + std::to_string(m->pbn) + " +" +
                                     std::to_string(m->blocks()) + " outside the data region");
    }
    for (uint64_t pbn : m->referenced_blocks()) delta[pbn] += d;
  }
  // Check everything first so a refused entry changes nothing.
  for (const auto& [pbn, d] : delta) {
    const Block& b = blocks_[slot(pbn) / kRefcountsPerBlock];
    if (b.point >= point) continue;
    const int v = int{counts_[slot(pbn)]} + d;
    if (v < 0 || v > kRefcountLimit) {
      return StoreStatus::Corruption("refcounts: count of PBN " + std::to_string(pbn) +
                                     " would become " + std::to_string(v));
    }
  }
  std::set<uint64_t> touched;
  for (const auto& [pbn, d] : delta) {
    const uint64_t index = slot(pbn) / kRefcountsPerBlock;
    if (blocks_[index].point >= point) continue;
    touched.insert(index);
    uint8_t& c = counts_[slot(pbn)];
    const uint8_t before = c;
    c = static_cast<uint8_t>(int{c} + d);
    if (before == 0 && c > 0) {
      ++in_use_;
      unmark_free(slot(pbn));
      handed_out_.erase(pbn);
    } else if (before > 0 && c == 0) {
      --in_use_;
      pending_free_.emplace(point, pbn);  // allocatable once this entry is committed (W5)
      last_free_[pbn] = point;
    }
  }
  for (uint64_t index : touched) {
    Block& b = blocks_[index];
    b.point = point;
    if (b.first_unwritten == 0) b.first_unwritten = point;
  }
  set_committed_end(committed_end_);
  return StoreStatus::Ok();
}

void RefcountTable::set_committed_end(uint64_t end) {
  committed_end_ = std::max(committed_end_, end);
  while (!pending_free_.empty() && pending_free_.begin()->first < committed_end_) {
    const uint64_t pbn = pending_free_.begin()->second;
    const uint64_t point = pending_free_.begin()->first;
    pending_free_.erase(pending_free_.begin());
    // Only the newest free of a block releases it: an older one whose block was mapped and
    // freed again since is not the free that matters.
    auto last = last_free_.find(pbn);
    if (last == last_free_.end() || last->second != point) continue;
    last_free_.erase(last);
    if (counts_[slot(pbn)] == 0) mark_free(slot(pbn));
  }
}

StoreResult<uint64_t> RefcountTable::allocate() {
  if (read_only_) return {StoreStatus::ReadOnly("refcounts: an earlier write failed"), 0};
  const uint64_t n = sb_.geometry.data_blocks;
  uint64_t s = find_free(cursor_, n);
  if (s == UINT64_MAX) s = find_free(0, cursor_);  // wrap once
  if (s == UINT64_MAX) return {StoreStatus::NoSpace("no free data block"), 0};
  unmark_free(s);
  cursor_ = s + 1 == n ? 0 : s + 1;
  const uint64_t pbn = sb_.geometry.data_start + s;
  handed_out_.insert(pbn);
  return {StoreStatus::Ok(), pbn};
}

StoreResult<uint64_t> RefcountTable::allocate_run(uint64_t blocks, uint64_t max_scan) {
  if (read_only_) return {StoreStatus::ReadOnly("refcounts: an earlier write failed"), 0};
  if (blocks <= 1) return allocate();
  const uint64_t n = sb_.geometry.data_blocks;
  if (blocks > n) return {StoreStatus::NoSpace("no free run of " + std::to_string(blocks)), 0};
  // From the cursor to the end, then from the start, each pass looking at most `max_scan`
  // slots, so a fragmented volume costs a bounded search and the caller falls back.
  uint64_t scanned = 0;
  for (const auto& [lo, hi] : {std::pair{cursor_, n}, std::pair{uint64_t{0}, cursor_}}) {
    uint64_t s = lo;
    while (scanned < max_scan) {
      s = find_free(s, hi);
      if (s == UINT64_MAX || hi - s < blocks) break;
      uint64_t len = 1;
      while (len < blocks && is_free(s + len)) ++len;
      scanned += len;
      if (len == blocks) {
        for (uint64_t i = 0; i < blocks; ++i) {
          unmark_free(s + i);
          handed_out_.insert(sb_.geometry.data_start + s + i);
        }
        cursor_ = s + blocks == n ? 0 : s + blocks;
        return {StoreStatus::Ok(), sb_.geometry.data_start + s};
      }
      s += len;
    }
  }
  return {StoreStatus::NoSpace("no free run of " + std::to_string(blocks) + " data blocks"), 0};
}

void RefcountTable::release(uint64_t pbn) {
  if (handed_out_.erase(pbn) != 0 && counts_[slot(pbn)] == 0) mark_free(slot(pbn));
}

uint8_t RefcountTable::count(uint64_t pbn) const {
  return is_data_pbn(pbn) ? counts_[slot(pbn)] : 0;
}

bool RefcountTable::can_share(uint64_t pbn) const {
  return is_data_pbn(pbn) && counts_[slot(pbn)] > 0 && counts_[slot(pbn)] < kRefcountLimit;
}

StoreStatus RefcountTable::write_back_committed() {
  if (read_only_) return StoreStatus::ReadOnly("refcounts: an earlier write failed");
  const Geometry& g = sb_.geometry;
  std::vector<Block*> written;
  for (uint64_t j = 0; j < blocks_.size(); ++j) {
    Block& b = blocks_[j];
    if (b.first_unwritten == 0 || b.point >= committed_end_) continue;  // W3
    LoadedRefcountBlock s;
    const uint64_t first = j * kRefcountsPerBlock;
    const uint64_t n = std::min<uint64_t>(kRefcountsPerBlock, g.data_blocks - first);
    std::copy_n(counts_.begin() + static_cast<ptrdiff_t>(first), n, s.data.begin());
    s.point = b.point;
    s.next_write = b.next_write;
    StoreStatus st = store_refcount_block(dev_, sb_, j, s);
    if (!st.ok()) {
      read_only_ = true;
      return st;
    }
    written.push_back(&b);
  }
  if (written.empty()) return StoreStatus::Ok();
  StoreStatus st = dev_.flush();
  if (!st.ok()) {
    read_only_ = true;
    return st;
  }
  for (Block* b : written) {
    b->next_write ^= 1;
    b->first_unwritten = 0;
  }
  return StoreStatus::Ok();
}

uint64_t RefcountTable::oldest_unwritten_point() const {
  uint64_t oldest = UINT64_MAX;
  for (const Block& b : blocks_) {
    if (b.first_unwritten != 0) oldest = std::min(oldest, b.first_unwritten);
  }
  return oldest;
}

}  // namespace accz::store
