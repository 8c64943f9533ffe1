// nbd/memory_export.h — an Export held in memory: for tests, demos and benchmarks of the
// server itself.
//
// Promise: byte-exact storage of size() bytes, all zeros at first. Block status is tracked
// per 4 KiB block: never written or trimmed → hole+zero; written by write_zeroes without
// `may_trim` → zero; written with data → data. Every call completes inline, before it returns.
// flush() and FUA have nothing to do (memory is as durable as it gets here).
//
// Thread-safety: as Export; contents() is a snapshot taken under the same lock.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "nbd/export.h"

namespace accz::nbd {

class MemoryExport final : public Export {
 public:
  explicit MemoryExport(uint64_t size, ExportFeatures features = {}, BlockSizes sizes = {});

  uint64_t size() const override { return size_; }
  ExportFeatures features() const override { return features_; }
  BlockSizes block_sizes() const override { return sizes_; }

  void read(uint64_t offset, MutableByteSpan out, ExportCallback done) override;
  void write(uint64_t offset, ByteSpan data, bool fua, ExportCallback done) override;
  void flush(ExportCallback done) override;
  void trim(uint64_t offset, uint64_t length, bool fua, ExportCallback done) override;
  void write_zeroes(uint64_t offset, uint64_t length, bool fua, bool may_trim,
                    ExportCallback done) override;
  void block_status(uint64_t offset, uint64_t length, ExtentsCallback done) override;

  std::vector<uint8_t> contents() const;
  uint64_t flushes() const;

  static constexpr uint64_t kTrackBlock = 4096;

 private:
  enum class BlockState : uint8_t { kHole, kZero, kData };
  bool in_range(uint64_t offset, uint64_t length) const;
  void mark(uint64_t offset, uint64_t length, BlockState state);

  const uint64_t size_;
  const ExportFeatures features_;
  const BlockSizes sizes_;
  mutable std::mutex mu_;
  std::vector<uint8_t> data_;
  std::vector<BlockState> state_;  // one per kTrackBlock
  uint64_t flushes_ = 0;
};

}  // namespace accz::nbd
