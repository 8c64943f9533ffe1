#include "store/volume/metadata_updater.h"

#include <map>
#include <string>
#include <vector>

#include "store/format/layout.h"

namespace accz::store {

MetadataUpdater::MetadataUpdater(BackingStore& dev, const Superblock& sb) : dev_(dev), sb_(sb) {}

bool MetadataUpdater::is_data_pbn(uint64_t pbn) const {
  const Geometry& g = sb_.geometry;
  return pbn >= g.data_start && pbn - g.data_start < g.data_blocks;
}

StoreResult<MetadataUpdater::MapPage*> MetadataUpdater::map_page(uint64_t page) {
  auto it = maps_.find(page);
  if (it != maps_.end()) return {StoreStatus::Ok(), it->second.get()};
  StoreResult<LoadedMapPage> loaded = load_map_page(dev_, sb_, page);
  if (!loaded.ok()) return {loaded.status, nullptr};
  auto p = std::make_unique<MapPage>();
  static_cast<LoadedMapPage&>(*p) = loaded.value;
  MapPage* raw = p.get();
  maps_.emplace(page, std::move(p));
  return {StoreStatus::Ok(), raw};
}

StoreResult<MetadataUpdater::CountBlock*> MetadataUpdater::count_block(uint64_t index) {
  auto it = counts_.find(index);
  if (it != counts_.end()) return {StoreStatus::Ok(), it->second.get()};
  StoreResult<LoadedRefcountBlock> loaded = load_refcount_block(dev_, sb_, index);
  if (!loaded.ok()) return {loaded.status, nullptr};
  auto c = std::make_unique<CountBlock>();
  static_cast<LoadedRefcountBlock&>(*c) = loaded.value;
  CountBlock* raw = c.get();
  counts_.emplace(index, std::move(c));
  return {StoreStatus::Ok(), raw};
}

StoreStatus MetadataUpdater::apply(const JournalEntry& e, uint64_t point) {
  const Geometry& g = sb_.geometry;
  const std::string where = "journal point " + std::to_string(point) + ": ";
  if (e.lbn >= g.logical_blocks) {
    return StoreStatus::Corruption(where + "LBN " + std::to_string(e.lbn) + " beyond the volume");
  }
  for (const MapEntry* m : {&e.new_entry, &e.old_entry}) {
    if (m->references_block() && (!is_data_pbn(m->pbn) || !is_data_pbn(m->pbn + m->blocks() - 1))) {
      return StoreStatus::Corruption(where + "PBN " + std::to_string(m->pbn) +
                                     " outside the data region");
    }
  }
  StoreResult<MapPage*> page = map_page(e.lbn / kMapEntriesPerPage);
  if (!page.ok()) return page.status;
  if (page.value->point < point) {
    page.value->data[e.lbn % kMapEntriesPerPage] = encode_map_entry(e.new_entry);
    page.value->point = point;
    page.value->dirty = true;
  }
  // Net change per PBN, grouped by refcount block: one decision per structure per entry.
  std::map<uint64_t, std::map<uint64_t, int>> deltas;  // block index -> (slot -> delta)
  auto add = [&](const MapEntry& m, int d) {
    for (uint64_t pbn : m.referenced_blocks()) {
      const uint64_t rel = pbn - g.data_start;
      deltas[rel / kRefcountsPerBlock][rel % kRefcountsPerBlock] += d;
    }
  };
  add(e.new_entry, +1);
  add(e.old_entry, -1);
  for (const auto& [index, slots] : deltas) {
    StoreResult<CountBlock*> block = count_block(index);
    if (!block.ok()) return block.status;
    CountBlock& cb = *block.value;
    if (cb.point >= point) continue;
    for (const auto& [slot, d] : slots) {
      const int v = int{cb.data[slot]} + d;
      if (v < 0 || v > kRefcountLimit) {
        return StoreStatus::Corruption(
            where + "reference count of PBN " +
            std::to_string(g.data_start + index * kRefcountsPerBlock + slot) + " would become " +
            std::to_string(v));
      }
    }
    for (const auto& [slot, d] : slots)
      cb.data[slot] = static_cast<uint8_t>(int{cb.data[slot]} + d);
    cb.point = point;
    cb.dirty = true;
  }
  return StoreStatus::Ok();
}

StoreStatus MetadataUpdater::write_back() {
  std::vector<int*> written;
  for (auto& [page, p] : maps_) {
    if (!p->dirty) continue;
    StoreStatus s = store_map_page(dev_, sb_, page, *p);
    if (!s.ok()) return s;
    written.push_back(&p->next_write);
  }
  for (auto& [index, c] : counts_) {
    if (!c->dirty) continue;
    StoreStatus s = store_refcount_block(dev_, sb_, index, *c);
    if (!s.ok()) return s;
    written.push_back(&c->next_write);
  }
  if (written.empty()) return StoreStatus::Ok();
  StoreStatus s = dev_.flush();
  if (!s.ok()) return s;
  // Only now is the written copy the newest durable one; until then the next write had to
  // wait (W4), which the flush above guarantees.
  for (int* next : written) *next ^= 1;
  for (auto& [page, p] : maps_) p->dirty = false;
  for (auto& [index, c] : counts_) c->dirty = false;
  return StoreStatus::Ok();
}

void MetadataUpdater::release_clean() {
  std::erase_if(maps_, [](const auto& kv) { return !kv.second->dirty; });
  std::erase_if(counts_, [](const auto& kv) { return !kv.second->dirty; });
}

size_t MetadataUpdater::structures_dirty() const {
  size_t n = 0;
  for (const auto& [k, p] : maps_) n += p->dirty;
  for (const auto& [k, c] : counts_) n += c->dirty;
  return n;
}

StoreResult<MapEntry> MetadataUpdater::map_entry(uint64_t lbn) {
  if (lbn >= sb_.geometry.logical_blocks) {
    return {StoreStatus::InvalidArgument("LBN beyond the volume"), {}};
  }
  StoreResult<MapPage*> page = map_page(lbn / kMapEntriesPerPage);
  if (!page.ok()) return {page.status, {}};
  auto e = decode_map_entry(page.value->data[lbn % kMapEntriesPerPage]);
  if (!e) return {StoreStatus::Corruption("map entry of LBN " + std::to_string(lbn)), {}};
  return {StoreStatus::Ok(), *e};
}

StoreResult<uint8_t> MetadataUpdater::refcount(uint64_t pbn) {
  if (!is_data_pbn(pbn)) return {StoreStatus::InvalidArgument("PBN outside the data region"), 0};
  const uint64_t rel = pbn - sb_.geometry.data_start;
  StoreResult<CountBlock*> block = count_block(rel / kRefcountsPerBlock);
  if (!block.ok()) return {block.status, 0};
  return {StoreStatus::Ok(), block.value->data[rel % kRefcountsPerBlock]};
}

StoreResult<uint64_t> MetadataUpdater::map_page_point(uint64_t page) {
  StoreResult<MapPage*> p = map_page(page);
  return {p.status, p.ok() ? p.value->point : 0};
}

StoreResult<uint64_t> MetadataUpdater::refcount_point(uint64_t index) {
  StoreResult<CountBlock*> c = count_block(index);
  return {c.status, c.ok() ? c.value->point : 0};
}

}  // namespace accz::store
