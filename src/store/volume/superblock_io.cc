#include "store/volume/superblock_io.h"

#include <ctime>
#include <random>
#include <vector>

#include "store/format/layout.h"
#include "store/volume/block_io.h"

namespace accz::store {
namespace {

uint64_t random_nonce() {
  std::random_device rd;
  uint64_t n = 0;
  // Nonce 0 is kept out so an all-zero header can never carry the volume's nonce.
  while (n == 0) n = (uint64_t{rd()} << 32) ^ rd();
  return n;
}

StoreStatus write_copy(BackingStore& dev, const Superblock& sb) {
  std::vector<uint8_t> block(kBlockSize);
  encode_superblock(sb, block);
  return write_block(dev, superblock_pbn(sb.generation), block);
}

}  // namespace

StoreResult<Superblock> create_volume(BackingStore& dev, const CreateOptions& o) {
  GeometryOptions go;
  go.physical_blocks = backing_blocks(dev);
  go.logical_blocks = o.logical_blocks;
  go.journal_blocks = o.journal_blocks;
  go.index_blocks = o.index_blocks;
  StoreResult<Geometry> g = make_geometry(go);
  if (!g.ok()) return {g.status, {}};
  Superblock sb;
  sb.nonce = o.nonce != 0 ? o.nonce : random_nonce();
  sb.generation = 0;
  sb.geometry = g.value;
  sb.algorithm = o.algorithm;
  sb.level = o.level;
  sb.dedupe = o.dedupe;
  sb.state = VolumeState::kClean;
  sb.journal_next_seq = 1;
  sb.index_generation = 0;
  sb.mapped_at_close = 0;  // nothing is mapped yet: the first open need not read the map
  sb.created_unix_seconds = static_cast<uint64_t>(std::time(nullptr));
  // Both copies, so that no superblock of an earlier volume is left to win a later choice.
  StoreStatus s = write_copy(dev, sb);
  if (!s.ok()) return {s, {}};
  sb.generation = 1;
  s = write_copy(dev, sb);
  if (!s.ok()) return {s, {}};
  s = dev.flush();
  if (!s.ok()) return {s, {}};
  return {StoreStatus::Ok(), sb};
}

StoreResult<Superblock> load_superblock(BackingStore& dev) {
  const uint64_t blocks = backing_blocks(dev);
  if (blocks < kSuperblockCopies) {
    return {StoreStatus::Corruption("backing store too small to hold a superblock"), {}};
  }
  std::vector<uint8_t> copy0(kBlockSize), copy1(kBlockSize);
  StoreStatus s = read_block(dev, 0, copy0);
  if (s.ok()) s = read_block(dev, 1, copy1);
  if (!s.ok()) return {s, {}};
  return choose_superblock(copy0, copy1, blocks);
}

StoreStatus write_superblock(BackingStore& dev, Superblock* sb) {
  ++sb->generation;
  StoreStatus s = write_copy(dev, *sb);
  return s.ok() ? dev.flush() : s;
}

}  // namespace accz::store
