#include "store/volume/metadata_io.h"

#include <vector>

#include "store/format/layout.h"
#include "store/volume/block_io.h"

namespace accz::store {
namespace {

template <class Array, class Decode>
StoreResult<LoadedStructure<Array>> load(BackingStore& dev, uint64_t first_pbn, Decode decode) {
  std::vector<uint8_t> b0(kBlockSize), b1(kBlockSize);
  StoreStatus s = read_block(dev, first_pbn, b0);
  if (s.ok()) s = read_block(dev, first_pbn + 1, b1);
  if (!s.ok()) return {s, {}};
  Array a0{}, a1{};
  const CopyChoice c = pick_copy(decode(b0, &a0), decode(b1, &a1));
  LoadedStructure<Array> out;
  if (c.load == 0) out.data = a0;
  if (c.load == 1) out.data = a1;
  out.point = c.point;
  out.next_write = c.next_write;
  return {StoreStatus::Ok(), out};
}

}  // namespace

StoreResult<LoadedMapPage> load_map_page(BackingStore& dev, const Superblock& sb, uint64_t page) {
  return load<MapPageEntries>(
      dev, sb.geometry.blockmap_start + 2 * page,
      [&](ByteSpan b, MapPageEntries* out) { return decode_map_page(b, page, sb.nonce, out); });
}

StoreResult<LoadedRefcountBlock> load_refcount_block(BackingStore& dev, const Superblock& sb,
                                                     uint64_t index) {
  return load<RefcountArray>(dev, sb.geometry.refcount_start + 2 * index,
                             [&](ByteSpan b, RefcountArray* out) {
                               return decode_refcount_block(b, index, sb.nonce, out);
                             });
}

StoreStatus store_map_page(BackingStore& dev, const Superblock& sb, uint64_t page,
                           const LoadedMapPage& s) {
  std::vector<uint8_t> block(kBlockSize);
  encode_map_page(page, s.point, sb.nonce, s.data, block);
  return write_block(dev, sb.geometry.blockmap_start + 2 * page + s.next_write, block);
}

StoreStatus store_refcount_block(BackingStore& dev, const Superblock& sb, uint64_t index,
                                 const LoadedRefcountBlock& s) {
  std::vector<uint8_t> block(kBlockSize);
  encode_refcount_block(index, s.point, sb.nonce, s.data, block);
  return write_block(dev, sb.geometry.refcount_start + 2 * index + s.next_write, block);
}

}  // namespace accz::store
