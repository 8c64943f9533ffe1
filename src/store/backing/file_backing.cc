#include "store/backing/file_backing.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace accz::store {

StoreResult<std::unique_ptr<FileBacking>> FileBacking::open(const std::string& path,
                                                            const FileBackingOptions& options) {
  int flags = O_CLOEXEC | (options.read_only ? O_RDONLY : O_RDWR);
  if (options.create && !options.read_only) flags |= O_CREAT;
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return {StoreStatus::FromErrno(errno, "open " + path), nullptr};

  auto fail = [&](const char* what) -> StoreResult<std::unique_ptr<FileBacking>> {
    int err = errno;
    ::close(fd);
    return {StoreStatus::FromErrno(err, std::string(what) + " " + path), nullptr};
  };

  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("fstat");
  uint64_t size = 0;
  if (S_ISBLK(st.st_mode)) {
    if (::ioctl(fd, BLKGETSIZE64, &size) != 0) return fail("BLKGETSIZE64");
  } else if (S_ISREG(st.st_mode)) {
    size = static_cast<uint64_t>(st.st_size);
    if (options.size > size && !options.read_only) {
      if (::ftruncate(fd, static_cast<off_t>(options.size)) != 0) return fail("ftruncate");
      size = options.size;
    }
  } else {
    ::close(fd);
    return {StoreStatus::InvalidArgument(path + " is neither a regular file nor a block device"),
            nullptr};
  }
  size -= size % kSectorSize;
  return {StoreStatus::Ok(),
          std::unique_ptr<FileBacking>(new FileBacking(fd, size, options.read_only, path))};
}

FileBacking::FileBacking(int fd, uint64_t size, bool read_only, std::string path)
    : fd_(fd), size_(size), read_only_(read_only), path_(std::move(path)) {}

FileBacking::~FileBacking() { ::close(fd_); }

StoreStatus FileBacking::read(uint64_t offset, MutableByteSpan out) {
  StoreStatus s = check_io_range("read", offset, out.size(), size_);
  if (!s.ok()) return s;
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return StoreStatus::FromErrno(errno, "pread " + path_);
    }
    if (n == 0) {
      // The file shrank under us (someone truncated it): the bytes we promised are gone.
      return StoreStatus::IoError("pread " + path_ + ": unexpected end of file at " +
                                  std::to_string(offset + done));
    }
    done += static_cast<size_t>(n);
  }
  return s;
}

StoreStatus FileBacking::write(uint64_t offset, ByteSpan data) {
  StoreStatus s = check_io_range("write", offset, data.size(), size_);
  if (!s.ok()) return s;
  if (read_only_) return StoreStatus::ReadOnly(path_ + " is open read-only");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return StoreStatus::FromErrno(errno, "pwrite " + path_);
    }
    if (n == 0) return StoreStatus::NoSpace("pwrite " + path_ + ": wrote nothing");
    done += static_cast<size_t>(n);
  }
  return s;
}

StoreStatus FileBacking::flush() {
  if (read_only_) return StoreStatus::Ok();
  while (::fdatasync(fd_) != 0) {
    if (errno == EINTR) continue;
    return StoreStatus::FromErrno(errno, "fdatasync " + path_);
  }
  return StoreStatus::Ok();
}

}  // namespace accz::store
