#include "vol_create.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "report.h"
#include "store/backing/file_backing.h"
#include "store/engine/volume.h"
#include "store/format/geometry.h"
#include "store/format/layout.h"
#include "store/volume/dedup_index.h"
#include "store/volume/superblock_io.h"
#include "vol_size.h"

namespace accz::cli {
namespace {

using store::kVolumeBlockSize;

constexpr uint64_t kMinJournal = 64, kMaxJournal = 2048;
// Records per saved index page (format.md §7).
constexpr uint64_t kIndexRecordsPerBlock = 169;

uint64_t journal_blocks_for(uint64_t physical_blocks) {
  return std::clamp(physical_blocks / 16, kMinJournal, kMaxJournal);
}

uint64_t index_blocks_for(uint64_t physical_blocks) {
  const uint64_t entries =
      store::VolumeOptions{}.dedup_index_bytes / store::DedupIndex::kBytesPerEntry;
  const uint64_t wanted = (entries + kIndexRecordsPerBlock - 1) / kIndexRecordsPerBlock;
  return std::min(wanted, physical_blocks / 64);
}

store::GeometryOptions geometry_options(uint64_t physical_blocks, uint64_t logical_blocks) {
  store::GeometryOptions g;
  g.physical_blocks = physical_blocks;
  g.logical_blocks = logical_blocks;
  g.journal_blocks = journal_blocks_for(physical_blocks);
  g.index_blocks = index_blocks_for(physical_blocks);
  return g;
}

// The smallest physical size whose data region holds every logical block.
uint64_t full_physical_blocks(uint64_t logical_blocks) {
  uint64_t p = logical_blocks + 2;
  for (int i = 0; i < 16; ++i) {
    auto g = store::make_geometry(geometry_options(p, logical_blocks));
    if (g.ok() && g.value.data_blocks >= logical_blocks) return p;
    uint64_t short_by = g.ok() ? logical_blocks - g.value.data_blocks : p;
    p += short_by;
  }
  return p;
}

uint64_t free_bytes_at(const std::string& image) {
  std::filesystem::path dir = std::filesystem::absolute(image).parent_path();
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return UINT64_MAX;
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

store::VolumeAlgorithm algorithm_of(const std::string& name) {
  if (name == "none") return store::VolumeAlgorithm::kNone;
  if (name == "deflate") return store::VolumeAlgorithm::kDeflate;
  if (name == "zstd") return store::VolumeAlgorithm::kZstd;
  return store::VolumeAlgorithm::kLz4;
}

int fail(const std::string& image, const std::string& what) {
  std::cerr << "accz vol create: " << image << ": " << what << '\n';
  return kExitError;
}

}  // namespace

int run_vol_create(const VolCreateOptions& o) {
  if (o.logical_bytes < kVolumeBlockSize || o.logical_bytes % kVolumeBlockSize != 0)
    return fail(o.image, "--size must be a positive multiple of 4 KiB (got " +
                             std::to_string(o.logical_bytes) + " bytes)");
  if (o.physical_bytes % kVolumeBlockSize != 0)
    return fail(o.image, "--physical-size must be a multiple of 4 KiB");
  const uint64_t logical_blocks = o.logical_bytes / kVolumeBlockSize;

  struct stat st {};
  const bool exists = ::lstat(o.image.c_str(), &st) == 0;
  const bool block_device = exists && S_ISBLK(st.st_mode);
  if (exists && !o.force)
    return fail(o.image, "already exists (pass --force to overwrite it with a new volume)");
  if (exists && !S_ISREG(st.st_mode) && !block_device)
    return fail(o.image, "not a regular file or block device");

  uint64_t physical_bytes = o.physical_bytes;
  bool capped = false;
  if (physical_bytes == 0 && !block_device) {
    physical_bytes = full_physical_blocks(logical_blocks) * kVolumeBlockSize;
    uint64_t room = free_bytes_at(o.image) / kVolumeBlockSize * kVolumeBlockSize;
    if (exists) room += static_cast<uint64_t>(st.st_size) / kVolumeBlockSize * kVolumeBlockSize;
    if (room < physical_bytes) {
      physical_bytes = room;
      capped = true;
    }
  }

  if (exists && !block_device && ::truncate(o.image.c_str(), 0) != 0)
    return fail(o.image, std::string("cannot truncate: ") + std::strerror(errno));
  store::FileBackingOptions fo;
  fo.create = !exists;
  fo.size = block_device ? 0 : physical_bytes;
  auto dev = store::FileBacking::open(o.image, fo);
  if (!dev.ok()) {
    if (!exists) ::unlink(o.image.c_str());
    return fail(o.image, dev.status.to_string());
  }
  const uint64_t physical_blocks = dev.value->size() / kVolumeBlockSize;

  store::CreateOptions co;
  co.logical_blocks = logical_blocks;
  co.journal_blocks = journal_blocks_for(physical_blocks);
  co.index_blocks = index_blocks_for(physical_blocks);
  co.algorithm = algorithm_of(o.compression);
  co.dedupe = o.dedupe;
  store::StoreResult<store::Superblock> sb = store::create_volume(*dev.value, co);
  dev.value.reset();
  const store::StoreStatus& status = sb.status;
  if (!status.ok()) {
    if (!exists) ::unlink(o.image.c_str());
    if (status.code() == store::StoreErrc::kNoSpace)
      return fail(o.image, "too small: " + format_size(physical_blocks * kVolumeBlockSize) +
                               " holds no data after the metadata of a " +
                               format_size(o.logical_bytes) + " volume (" + status.to_string() +
                               ")");
    return fail(o.image, status.to_string());
  }
  const store::Geometry& g = sb.value.geometry;
  std::cout << o.image << ": " << format_size(o.logical_bytes) << " logical, "
            << format_size(g.data_blocks * kVolumeBlockSize) << " for data ("
            << format_size(physical_blocks * kVolumeBlockSize) << " image, "
            << format_size(g.data_start * kVolumeBlockSize) << " metadata), "
            << store::to_string(sb.value.algorithm) << ", dedupe "
            << (sb.value.dedupe ? "on" : "off") << '\n';
  if (capped)
    std::cerr << "accz vol create: " << o.image << ": physical size capped at the "
              << format_size(physical_bytes) << " the file system has free\n";
  return kExitOk;
}

}  // namespace accz::cli
