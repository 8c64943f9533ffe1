// store/backing/file_backing.h — a backing store on a regular file or a block device, through
// pread/pwrite and fdatasync.
//
// Promise: the BackingStore contract, with the kernel's page cache (and the device's write
// cache) as the volatile cache that flush() empties with fdatasync(2). Short transfers and
// EINTR are retried; other errors come back as StoreStatus (EIO → kIoError, ENOSPC → kNoSpace).
// The size is fixed at open: a block device's size (BLKGETSIZE64), or the file's size rounded
// down to 512 bytes. A regular file may be created or extended (sparsely) at open.
//
// Thread-safety: thread-safe: pread/pwrite on one descriptor with explicit offsets need no
// lock, and fdatasync may run concurrently with them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/backing/backing_store.h"

namespace accz::store {

struct FileBackingOptions {
  // Create the file if it does not exist. Default: false (a volume's device must exist).
  bool create = false;
  // If nonzero and the path is a regular file smaller than this, extend it (sparse) to this
  // many bytes. Block devices are never resized. Default: 0 (keep the size).
  uint64_t size = 0;
  // Open read-only: writes return kReadOnly; flush succeeds. Default: false.
  bool read_only = false;
};

class FileBacking final : public BackingStore {
 public:
  static StoreResult<std::unique_ptr<FileBacking>> open(const std::string& path,
                                                        const FileBackingOptions& options = {});
  ~FileBacking() override;
  FileBacking(const FileBacking&) = delete;
  FileBacking& operator=(const FileBacking&) = delete;

  StoreStatus read(uint64_t offset, MutableByteSpan out) override;
  StoreStatus write(uint64_t offset, ByteSpan data) override;
  StoreStatus flush() override;
  uint64_t size() const override { return size_; }

  const std::string& path() const { return path_; }

 private:
  FileBacking(int fd, uint64_t size, bool read_only, std::string path);

  const int fd_;
  const uint64_t size_;
  const bool read_only_;
  const std::string path_;
};

}  // namespace accz::store
