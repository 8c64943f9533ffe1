#include "store/backing/memory_backing.h"

#include <cstring>
#include <utility>

namespace accz::store {

MemoryBacking::MemoryBacking(uint64_t size) : size_(size - size % kSectorSize), bytes_(size_) {}

MemoryBacking::MemoryBacking(std::vector<uint8_t> image)
    : size_(image.size() - image.size() % kSectorSize), bytes_(std::move(image)) {
  bytes_.resize(size_);
}

StoreStatus MemoryBacking::read(uint64_t offset, MutableByteSpan out) {
  StoreStatus s = check_io_range("read", offset, out.size(), size_);
  if (!s.ok()) return s;
  std::lock_guard lock(mu_);
  if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
  return s;
}

StoreStatus MemoryBacking::write(uint64_t offset, ByteSpan data) {
  StoreStatus s = check_io_range("write", offset, data.size(), size_);
  if (!s.ok()) return s;
  std::lock_guard lock(mu_);
  if (!data.empty()) std::memcpy(bytes_.data() + offset, data.data(), data.size());
  return s;
}

StoreStatus MemoryBacking::flush() { return StoreStatus::Ok(); }

std::vector<uint8_t> MemoryBacking::snapshot() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace accz::store
