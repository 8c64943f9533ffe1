#include "store/volume/volume_metadata.h"

#include <algorithm>
#include <string>

#include "store/format/layout.h"

namespace accz::store {

VolumeMetadata::VolumeMetadata(BackingStore& dev, const OpenedVolume& opened,
                               const VolumeMetadataOptions& options)
    : dev_(dev),
      opened_(opened),
      sb_(opened.sb),
      journal_(dev, sb_, opened.first_sequence),
      map_(dev, sb_, options.map_cache_pages),
      counts_(dev, sb_),
      read_only_(options.read_only) {
  publish_commit();
}

StoreResult<std::unique_ptr<VolumeMetadata>> VolumeMetadata::open(
    BackingStore& dev, const VolumeMetadataOptions& options) {
  StoreResult<OpenedVolume> opened = open_volume(dev, {.read_only = options.read_only});
  if (!opened.ok()) return {opened.status, nullptr};
  if (options.read_only && opened.value.was_dirty) {
    return {StoreStatus::ReadOnly("the volume was not closed cleanly; a read-only open cannot "
                                  "replay its journal"),
            nullptr};
  }
  std::unique_ptr<VolumeMetadata> v(new VolumeMetadata(dev, opened.value, options));
  StoreStatus s = v->counts_.load();
  if (!s.ok()) return {s, nullptr};
  return {StoreStatus::Ok(), std::move(v)};
}

void VolumeMetadata::publish_commit() {
  map_.set_committed_end(journal_.committed_point_end());
  counts_.set_committed_end(journal_.committed_point_end());
}

StoreResult<MapEntry> VolumeMetadata::lookup(uint64_t lbn) {
  StoreResult<MapEntry> e = map_.lookup(lbn);
  if (e.status.code() == StoreErrc::kNoSpace) {
    // Every cached page holds uncommitted changes: committing makes them writable.
    StoreStatus s = commit();
    if (!s.ok()) return {s, {}};
    e = map_.lookup(lbn);
  }
  return e;
}

StoreResult<uint64_t> VolumeMetadata::remap(uint64_t lbn, const MapEntry& entry) {
  return remap(lbn, entry, nullptr);
}

StoreResult<uint64_t> VolumeMetadata::remap(uint64_t lbn, const MapEntry& entry,
                                            MapEntry* old_entry) {
  if (closed_) return {StoreStatus::ReadOnly("volume is closed"), 0};
  if (read_only_) return {StoreStatus::ReadOnly("volume opened read-only"), 0};
  StoreResult<MapEntry> old = lookup(lbn);  // also makes the page resident for the update
  if (!old.ok()) return {old.status, 0};
  if (old_entry != nullptr) *old_entry = old.value;
  if (entry.references_block()) {
    const Geometry& g = sb_.geometry;
    if (entry.pbn < g.data_start || entry.pbn - g.data_start >= g.data_blocks ||
        entry.blocks() > g.data_blocks - (entry.pbn - g.data_start)) {
      return {StoreStatus::InvalidArgument("PBN " + std::to_string(entry.pbn) +
                                           " outside the data region"),
              0};
    }
    const bool same = old.value.references_block() && old.value.pbn == entry.pbn;
    if (!same && counts_.count(entry.pbn) >= kRefcountLimit) {
      return {StoreStatus::InvalidArgument("PBN " + std::to_string(entry.pbn) +
                                           " is at the reference limit"),
              0};
    }
  }
  const JournalEntry je{lbn, entry, old.value};
  StoreResult<uint64_t> point = journal_.append(je);
  if (point.status.code() == StoreErrc::kNoSpace) {
    StoreStatus s = commit();
    if (s.ok()) s = checkpoint();
    if (!s.ok()) return {s, 0};
    point = journal_.append(je);
  }
  if (!point.ok()) return point;
  // The page is resident (looked up above, and the checkpoint only cleans pages), so this
  // cannot need an eviction.
  StoreStatus s = map_.update(lbn, entry, point.value);
  if (s.ok()) s = counts_.apply(je, point.value);
  if (!s.ok()) return {s, 0};
  return point;
}

StoreStatus VolumeMetadata::commit() {
  if (read_only_) return StoreStatus::Ok();  // nothing was appended
  StoreStatus s = journal_.commit();
  if (s.ok()) publish_commit();
  return s;
}

StoreStatus VolumeMetadata::checkpoint() {
  if (read_only_) return StoreStatus::Ok();
  StoreStatus s = map_.write_back_committed();
  if (s.ok()) s = counts_.write_back_committed();
  if (!s.ok()) return s;
  // W3: the head may pass a block only once every change from it is durable.
  const uint64_t oldest = std::min(map_.oldest_unwritten_point(), counts_.oldest_unwritten_point());
  // Changes still uncommitted sit in blocks at or past next_sequence(): every written block
  // before it can then be passed.
  journal_.advance_head(std::min(oldest / 256, journal_.next_sequence()));
  return StoreStatus::Ok();
}

StoreStatus VolumeMetadata::close(uint64_t index_generation, std::optional<uint64_t> mapped) {
  if (closed_) return StoreStatus::Ok();
  if (read_only_) {
    closed_ = true;  // nothing was written, so the superblock stays as it was
    return StoreStatus::Ok();
  }
  StoreStatus s = commit();
  if (s.ok()) s = checkpoint();
  if (!s.ok()) return s;
  s = close_volume(dev_, &sb_, journal_.next_sequence(), index_generation, mapped);
  if (s.ok()) closed_ = true;
  return s;
}

}  // namespace accz::store
