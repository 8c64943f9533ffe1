// store/backing/memory_backing.h — a backing store in RAM, for tests and benchmarks.
//
// Promise: the BackingStore contract with no volatile cache: every completed write is
// already "durable" (flush() does nothing and never fails), so crashes are simulated by
// wrapping it in a FaultBacking. Contents start as zeros. snapshot() copies the whole image,
// so a test can compare images or restart from one.
//
// Thread-safety: thread-safe (one mutex; reads and writes are memcpy under it).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "store/backing/backing_store.h"

namespace accz::store {

class MemoryBacking final : public BackingStore {
 public:
  // REQUIRES: size is a multiple of kSectorSize.
  explicit MemoryBacking(uint64_t size);
  // Starts from a copy of `image` (size must be a multiple of kSectorSize).
  explicit MemoryBacking(std::vector<uint8_t> image);

  StoreStatus read(uint64_t offset, MutableByteSpan out) override;
  StoreStatus write(uint64_t offset, ByteSpan data) override;
  StoreStatus flush() override;
  uint64_t size() const override { return size_; }

  std::vector<uint8_t> snapshot() const;

 private:
  const uint64_t size_;
  mutable std::mutex mu_;
  std::vector<uint8_t> bytes_;  // guarded by mu_
};

}  // namespace accz::store
