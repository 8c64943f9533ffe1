#include "store/volume/block_map_cache.h"

#include <algorithm>
#include <string>
#include <vector>

#include "store/format/layout.h"

namespace accz::store {

BlockMapCache::BlockMapCache(BackingStore& dev, const Superblock& sb, size_t capacity_pages)
    : dev_(dev), sb_(sb), capacity_(std::max(capacity_pages, kMinCapacity)) {}

StoreStatus BlockMapCache::fail(StoreStatus s) {
  read_only_ = true;
  return s;
}

StoreResult<BlockMapCache::Page*> BlockMapCache::page(uint64_t index) {
  auto it = pages_.find(index);
  if (it != pages_.end()) {
    ++stats_.hits;
    lru_.splice(lru_.begin(), lru_, it->second->lru);
    return {StoreStatus::Ok(), it->second.get()};
  }
  if (pages_.size() >= capacity_) {
    StoreStatus s = evict_one();
    if (!s.ok()) return {s, nullptr};
  }
  StoreResult<LoadedMapPage> loaded = load_map_page(dev_, sb_, index);
  if (!loaded.ok()) return {loaded.status, nullptr};
  ++stats_.misses;
  auto p = std::make_unique<Page>();
  p->s = loaded.value;
  lru_.push_front(index);
  p->lru = lru_.begin();
  Page* raw = p.get();
  pages_.emplace(index, std::move(p));
  return {StoreStatus::Ok(), raw};
}

std::list<uint64_t>::iterator BlockMapCache::clean_victim() {
  // From the least recently used end. A clean page peeked at since it was last here moves to
  // the front instead (its flag cleared), and the walk goes on with the page that was before
  // it; each page is looked at once at most, plus once more for the first page if it moved.
  auto base = lru_.end();  // the page looked at is the one before `base`
  for (size_t left = lru_.size(); left > 0 && base != lru_.begin(); --left) {
    const auto cur = std::prev(base);
    const Page& p = *pages_.at(*cur);
    if (p.dirty()) {
      base = cur;
    } else if (p.peeked.exchange(false, std::memory_order_relaxed)) {
      lru_.splice(lru_.begin(), lru_, cur);
    } else {
      return cur;
    }
  }
  // Every clean page had been peeked: they are all at the front now, flags cleared.
  auto oldest = std::find_if(lru_.rbegin(), lru_.rend(),
                             [this](uint64_t i) { return !pages_.at(i)->dirty(); });
  return oldest == lru_.rend() ? lru_.end() : std::prev(oldest.base());
}

StoreStatus BlockMapCache::evict_one() {
  auto victim = clean_victim();
  if (victim == lru_.end()) {
    StoreStatus s = write_back_committed();
    if (!s.ok()) return s;
    victim = clean_victim();
  }
  if (victim == lru_.end()) {
    return StoreStatus::NoSpace(
        "block map cache: every cached page holds uncommitted changes; commit the journal");
  }
  const uint64_t index = *victim;
  lru_.erase(victim);
  pages_.erase(index);
  ++stats_.evictions;
  return StoreStatus::Ok();
}

StoreResult<MapEntry> BlockMapCache::lookup(uint64_t lbn) {
  if (lbn >= sb_.geometry.logical_blocks) {
    return {StoreStatus::InvalidArgument("LBN " + std::to_string(lbn) + " beyond the volume"), {}};
  }
  StoreResult<Page*> p = page(lbn / kMapEntriesPerPage);
  if (!p.ok()) return {p.status, {}};
  auto e = decode_map_entry(p.value->s.data[lbn % kMapEntriesPerPage]);
  if (!e) return {StoreStatus::Corruption("map entry of LBN " + std::to_string(lbn)), {}};
  return {StoreStatus::Ok(), *e};
}

std::optional<MapEntry> BlockMapCache::peek(uint64_t lbn) const {
  if (lbn >= sb_.geometry.logical_blocks) return std::nullopt;
  auto it = pages_.find(lbn / kMapEntriesPerPage);
  if (it == pages_.end()) return std::nullopt;
  // Readers of one page would all write the same cache line: only the first one writes.
  std::atomic<bool>& peeked = it->second->peeked;
  if (!peeked.load(std::memory_order_relaxed)) peeked.store(true, std::memory_order_relaxed);
  return decode_map_entry(it->second->s.data[lbn % kMapEntriesPerPage]);
}

StoreStatus BlockMapCache::update(uint64_t lbn, const MapEntry& entry, uint64_t point) {
  if (read_only_) return StoreStatus::ReadOnly("block map cache: an earlier write failed");
  if (lbn >= sb_.geometry.logical_blocks) {
    return StoreStatus::InvalidArgument("LBN " + std::to_string(lbn) + " beyond the volume");
  }
  StoreResult<Page*> p = page(lbn / kMapEntriesPerPage);
  if (!p.ok()) return p.status;
  Page& pg = *p.value;
  if (pg.s.point >= point) return StoreStatus::Ok();  // already reflected (idempotence rule)
  pg.s.data[lbn % kMapEntriesPerPage] = encode_map_entry(entry);
  pg.s.point = point;
  if (!pg.dirty()) pg.first_unwritten = point;
  return StoreStatus::Ok();
}

StoreStatus BlockMapCache::write_back_committed() {
  if (read_only_) return StoreStatus::ReadOnly("block map cache: an earlier write failed");
  std::vector<Page*> written;
  for (auto& [index, p] : pages_) {
    if (!p->dirty() || p->s.point >= committed_end_) continue;  // W3
    StoreStatus s = store_map_page(dev_, sb_, index, p->s);
    if (!s.ok()) return fail(s);
    ++stats_.pages_written;
    written.push_back(p.get());
  }
  if (written.empty()) return StoreStatus::Ok();
  StoreStatus s = dev_.flush();
  ++stats_.flushes;
  if (!s.ok()) return fail(s);
  for (Page* p : written) {
    p->s.next_write ^= 1;  // the written copy is now the newest durable one
    p->first_unwritten = 0;
  }
  return StoreStatus::Ok();
}

uint64_t BlockMapCache::oldest_unwritten_point() const {
  uint64_t oldest = UINT64_MAX;
  for (const auto& [index, p] : pages_) {
    if (p->dirty()) oldest = std::min(oldest, p->first_unwritten);
  }
  return oldest;
}

size_t BlockMapCache::pages_dirty() const {
  return static_cast<size_t>(std::count_if(pages_.begin(), pages_.end(),
                                           [](const auto& kv) { return kv.second->dirty(); }));
}

}  // namespace accz::store
