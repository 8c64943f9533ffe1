#include "store/volume/block_io.h"

#include <string>

#include "store/format/layout.h"

namespace accz::store {
namespace {

StoreStatus check_pbn(const BackingStore& dev, uint64_t pbn, uint64_t blocks = 1) {
  const uint64_t end = backing_blocks(dev);
  if (pbn >= end || blocks > end - pbn) {
    return StoreStatus::InvalidArgument("blocks " + std::to_string(pbn) + " +" +
                                        std::to_string(blocks) +
                                        " are past the end of the backing store");
  }
  return StoreStatus::Ok();
}

}  // namespace

uint64_t backing_blocks(const BackingStore& dev) { return dev.size() / kBlockSize; }

StoreStatus read_block(BackingStore& dev, uint64_t pbn, MutableByteSpan out) {
  StoreStatus s = check_pbn(dev, pbn);
  return s.ok() ? dev.read(pbn * kBlockSize, out) : s;
}

StoreStatus write_block(BackingStore& dev, uint64_t pbn, ByteSpan data) {
  StoreStatus s = check_pbn(dev, pbn);
  return s.ok() ? dev.write(pbn * kBlockSize, data) : s;
}

StoreStatus read_blocks(BackingStore& dev, uint64_t pbn, MutableByteSpan out) {
  StoreStatus s = check_pbn(dev, pbn, out.size() / kBlockSize);
  return s.ok() ? dev.read(pbn * kBlockSize, out) : s;
}

StoreStatus write_blocks(BackingStore& dev, uint64_t pbn, ByteSpan data) {
  StoreStatus s = check_pbn(dev, pbn, data.size() / kBlockSize);
  return s.ok() ? dev.write(pbn * kBlockSize, data) : s;
}

}  // namespace accz::store
