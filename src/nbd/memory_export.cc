#include "nbd/memory_export.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace accz::nbd {

MemoryExport::MemoryExport(uint64_t size, ExportFeatures features, BlockSizes sizes)
    : size_(size),
      features_(features),
      sizes_(sizes),
      data_(size, 0),
      state_((size + kTrackBlock - 1) / kTrackBlock, BlockState::kHole) {}

bool MemoryExport::in_range(uint64_t offset, uint64_t length) const {
  return offset <= size_ && length <= size_ - offset;
}

// A block changes state only when the range covers it whole; a partly written block has
// data in it, so it becomes data unless the write left it all zeros, which this cheap
// tracking does not look for (reporting data where there are zeros is always allowed).
void MemoryExport::mark(uint64_t offset, uint64_t length, BlockState state) {
  if (length == 0) return;
  uint64_t first = offset / kTrackBlock;
  uint64_t last = (offset + length - 1) / kTrackBlock;
  for (uint64_t b = first; b <= last; ++b) {
    uint64_t start = b * kTrackBlock;
    uint64_t end = std::min(start + kTrackBlock, size_);
    bool whole = offset <= start && offset + length >= end;
    state_[b] = whole ? state : BlockState::kData;
  }
}

// Each call decides under the lock and completes after releasing it, so a callback may call
// back into the export.
void MemoryExport::read(uint64_t offset, MutableByteSpan out, ExportCallback done) {
  int err = [&] {
    std::lock_guard lock(mu_);
    if (!in_range(offset, out.size())) return EINVAL;
    if (!out.empty()) std::memcpy(out.data(), data_.data() + offset, out.size());
    return 0;
  }();
  done(err);
}

void MemoryExport::write(uint64_t offset, ByteSpan data, bool fua, ExportCallback done) {
  int err = [&] {
    std::lock_guard lock(mu_);
    if (features_.read_only) return EPERM;
    if (!in_range(offset, data.size())) return ENOSPC;
    if (!data.empty()) std::memcpy(data_.data() + offset, data.data(), data.size());
    mark(offset, data.size(), BlockState::kData);
    return 0;
  }();
  done(err);
}

void MemoryExport::flush(ExportCallback done) {
  {
    std::lock_guard lock(mu_);
    ++flushes_;
  }
  done(0);
}

void MemoryExport::trim(uint64_t offset, uint64_t length, bool fua, ExportCallback done) {
  int err = [&] {
    std::lock_guard lock(mu_);
    if (features_.read_only) return EPERM;
    if (!in_range(offset, length)) return EINVAL;
    // Only whole tracked blocks are discarded, as a real device rounds inward.
    uint64_t start = (offset + kTrackBlock - 1) / kTrackBlock * kTrackBlock;
    uint64_t end = (offset + length) / kTrackBlock * kTrackBlock;
    if (offset + length == size_) end = size_;
    if (start < end) {
      std::memset(data_.data() + start, 0, end - start);
      mark(start, end - start, BlockState::kHole);
    }
    return 0;
  }();
  done(err);
}

void MemoryExport::write_zeroes(uint64_t offset, uint64_t length, bool fua, bool may_trim,
                                ExportCallback done) {
  int err = [&] {
    std::lock_guard lock(mu_);
    if (features_.read_only) return EPERM;
    if (!in_range(offset, length)) return ENOSPC;
    if (length != 0) std::memset(data_.data() + offset, 0, length);
    mark(offset, length, may_trim ? BlockState::kHole : BlockState::kZero);
    return 0;
  }();
  done(err);
}

void MemoryExport::block_status(uint64_t offset, uint64_t length, ExtentsCallback done) {
  std::vector<ExportExtent> extents;
  {
    std::lock_guard lock(mu_);
    if (!in_range(offset, length) || length == 0) length = 0;
    uint64_t pos = offset;
    uint64_t end = offset + length;
    while (pos < end) {
      BlockState s = state_[pos / kTrackBlock];
      uint64_t next = std::min(end, (pos / kTrackBlock + 1) * kTrackBlock);
      ExportExtent e{next - pos, s == BlockState::kHole, s != BlockState::kData};
      if (!extents.empty() && extents.back().hole == e.hole && extents.back().zero == e.zero) {
        extents.back().length += e.length;
      } else {
        extents.push_back(e);
      }
      pos = next;
    }
  }
  if (extents.empty()) {
    done(EINVAL, {});
  } else {
    done(0, std::move(extents));
  }
}

std::vector<uint8_t> MemoryExport::contents() const {
  std::lock_guard lock(mu_);
  return data_;
}

uint64_t MemoryExport::flushes() const {
  std::lock_guard lock(mu_);
  return flushes_;
}

}  // namespace accz::nbd
