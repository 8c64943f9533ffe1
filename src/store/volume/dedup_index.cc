#include "store/volume/dedup_index.h"

#include <xxhash.h>

#include <algorithm>
#include <vector>

#include "store/format/index_page.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"

namespace accz::store {

BlockHash hash_block(ByteSpan block) {
  const XXH128_hash_t h = XXH3_128bits(block.data(), block.size());
  return {h.low64, h.high64};
}

DedupIndex::DedupIndex(size_t max_entries) : max_entries_(std::max<size_t>(max_entries, 1)) {}

std::optional<MapEntry> DedupIndex::find(const BlockHash& hash) {
  ++stats_.lookups;
  auto it = map_.find(hash);
  if (it == map_.end()) return std::nullopt;
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->target;
}

void DedupIndex::insert(const BlockHash& hash, const MapEntry& target) {
  ++stats_.inserts;
  auto it = map_.find(hash);
  if (it != map_.end()) {
    it->second->target = target;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  if (map_.size() >= max_entries_) {
    map_.erase(lru_.back().hash);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front({hash, target});
  map_.emplace(hash, lru_.begin());
}

void DedupIndex::erase(const BlockHash& hash) {
  auto it = map_.find(hash);
  if (it == map_.end()) return;
  lru_.erase(it->second);
  map_.erase(it);
}

void DedupIndex::clear() {
  lru_.clear();
  map_.clear();
}

StoreStatus DedupIndex::save(BackingStore& dev, const Superblock& sb, uint64_t generation) const {
  const Geometry& g = sb.geometry;
  std::vector<uint8_t> block(kBlockSize);
  std::vector<IndexRecord> records;
  records.reserve(kIndexRecordsPerPage);
  auto node = lru_.begin();
  for (uint64_t page = 0; page < g.index_blocks; ++page) {
    records.clear();
    for (; node != lru_.end() && records.size() < kIndexRecordsPerPage; ++node) {
      records.push_back({node->hash.low, node->hash.high, node->target});
    }
    // A short (possibly empty) page ends the saved index, so load() never reads on into
    // pages of an older save.
    encode_index_page(page, generation, sb.nonce, records, block);
    StoreStatus s = write_block(dev, g.index_start + page, block);
    if (!s.ok()) return s;
    if (records.size() < kIndexRecordsPerPage) break;
  }
  return dev.flush();
}

StoreStatus DedupIndex::load(BackingStore& dev, const Superblock& sb, uint64_t generation) {
  clear();
  if (generation == 0) return StoreStatus::Ok();
  const Geometry& g = sb.geometry;
  std::vector<uint8_t> block(kBlockSize);
  std::vector<IndexRecord> all;  // newest first
  for (uint64_t page = 0; page < g.index_blocks; ++page) {
    StoreStatus s = read_block(dev, g.index_start + page, block);
    if (!s.ok()) return s;
    auto records = decode_index_page(block, page, sb.nonce, generation);
    if (!records.ok()) break;
    all.insert(all.end(), records.value.begin(), records.value.end());
    if (records.value.size() < kIndexRecordsPerPage) break;
  }
  // Oldest first, so the newest end up newest again.
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    insert({it->hash_low, it->hash_high}, it->target);
  stats_ = {};
  return StoreStatus::Ok();
}

}  // namespace accz::store
