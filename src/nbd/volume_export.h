// nbd/volume_export.h — an accz::store::Volume served over NBD.
//
// Promise: byte-granular I/O on a volume that only does 4 KiB blocks.
//   - Aligned reads, writes, trims and write-zeroes go to the Volume as they are.
//   - An unaligned write (or write-zeroes) reads the partial head and tail blocks, patches
//     them and writes the covering aligned range, under a per-block lock (striped, taken
//     asynchronously) so that concurrent unaligned writes to one block never lose each
//     other's bytes. Unaligned reads read the covering blocks and copy out.
//   - trim() discards only the whole blocks inside the range (the protocol allows rounding
//     inward); write_zeroes() zeroes exactly the range: trimmed (a hole) when `may_trim`,
//     mapped to zero (not a hole) under NBD_CMD_FLAG_NO_HOLE.
//   - Errors are the Volume's, as StoreStatus::posix_errno().
//   - block_status() reports Volume::extents(): unmapped → hole and zero, zero-mapped → zero.
//   - cache() reads the block map of up to 256 MiB from `offset` into the volume's map cache
//     (Volume::extents() looks every entry up), so the reads that follow are served on the
//     caller's thread without waiting for the engine.
//   - Advertises minimum block 1, preferred 4096, maximum `max_request_bytes`; FLUSH, FUA,
//     TRIM, WRITE_ZEROES, FAST_ZERO (zeroing whole blocks only changes the map; a partial
//     block at either end costs what writing it would), CACHE and multi-conn (the volume's
//     flush covers every write).
//
// Thread-safety: as Export. The Volume must outlive this object; the destructor waits for
// the read-modify-write work it started.
#pragma once

#include <cstdint>
#include <memory>

#include "nbd/export.h"
#include "store/engine/volume.h"

namespace accz::nbd {

struct VolumeExportOptions {
  // Serve reads only, even if the volume could write. Default off.
  bool read_only = false;
  // Largest read or write one request may carry. Default 32 MiB.
  uint32_t max_request_bytes = uint32_t{32} << 20;
  // Locks guarding the blocks under read-modify-write; more stripes, fewer false conflicts.
  // Default 1024.
  size_t lock_stripes = 1024;
};

class VolumeExport final : public Export {
 public:
  explicit VolumeExport(store::Volume& volume, VolumeExportOptions options = {});
  ~VolumeExport() override;

  uint64_t size() const override;
  ExportFeatures features() const override;
  BlockSizes block_sizes() const override;

  void read(uint64_t offset, MutableByteSpan out, ExportCallback done) override;
  void write(uint64_t offset, ByteSpan data, bool fua, ExportCallback done) override;
  void flush(ExportCallback done) override;
  void trim(uint64_t offset, uint64_t length, bool fua, ExportCallback done) override;
  void write_zeroes(uint64_t offset, uint64_t length, bool fua, bool may_trim,
                    ExportCallback done) override;
  void block_status(uint64_t offset, uint64_t length, ExtentsCallback done) override;
  void cache(uint64_t offset, uint64_t length, ExportCallback done) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accz::nbd
