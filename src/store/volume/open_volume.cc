#include "store/volume/open_volume.h"

#include "store/volume/superblock_io.h"

namespace accz::store {

StoreResult<OpenedVolume> open_volume(BackingStore& dev, const OpenOptions& options) {
  StoreResult<Superblock> sb = load_superblock(dev);
  if (!sb.ok()) return {sb.status, {}};
  OpenedVolume v;
  v.sb = sb.value;
  v.was_dirty = sb.value.state == VolumeState::kDirty;
  v.saved_index_generation = v.was_dirty ? 0 : sb.value.index_generation;
  v.first_sequence = sb.value.journal_next_seq;
  v.mapped_at_close = v.was_dirty ? std::nullopt : sb.value.mapped_at_close;
  if (options.read_only) return {StoreStatus::Ok(), v};
  if (v.was_dirty) {
    StoreResult<ReplayResult> r = replay_journal(dev, v.sb);
    if (!r.ok()) return {r.status, {}};
    v.replay = r.value;
    v.first_sequence = r.value.next_sequence;
  }
  v.sb.state = VolumeState::kDirty;
  v.sb.mapped_at_close.reset();  // this session changes it
  // This session may write what an older major cannot read (layout.h): say so first.
  v.sb.version_major = kSuperblockVersionMajor;
  v.sb.journal_next_seq = v.first_sequence;
  v.sb.index_generation = 0;
  StoreStatus s = write_superblock(dev, &v.sb);
  if (!s.ok()) return {s, {}};
  return {StoreStatus::Ok(), v};
}

StoreStatus close_volume(BackingStore& dev, Superblock* sb, uint64_t next_sequence,
                         uint64_t index_generation, std::optional<uint64_t> mapped) {
  sb->state = VolumeState::kClean;
  sb->journal_next_seq = next_sequence;
  sb->index_generation = index_generation;
  sb->mapped_at_close = mapped;
  return write_superblock(dev, sb);
}

}  // namespace accz::store
