#include "file_io.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace accz::cli {
namespace {

// The temporary file to remove if a signal arrives. A fixed buffer, because the handler may
// only call async-signal-safe functions (unlink) and read plain memory.
char g_pending_temp[4096];
std::atomic<bool> g_has_pending{false};

void on_fatal_signal(int sig) {
  if (g_has_pending.load()) unlink(g_pending_temp);
  signal(sig, SIG_DFL);
  raise(sig);
}

void publish_pending(const std::string& path) {
  g_has_pending.store(false);
  if (path.size() < sizeof g_pending_temp) {
    std::memcpy(g_pending_temp, path.c_str(), path.size() + 1);
    g_has_pending.store(true);
  }
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string errno_text(int err) { return std::strerror(err); }

Input::Input(const std::string& path) {
  if (path == "-") {
    fd_ = 0;
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoError(errno_text(errno));
  }
  if (fstat(fd_, &st_) != 0) throw IoError(errno_text(errno));
#ifdef POSIX_FADV_SEQUENTIAL
  if (S_ISREG(st_.st_mode)) posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

Input::~Input() {
  if (fd_ > 0) ::close(fd_);
}

size_t Input::read(MutableByteSpan buf) {
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd_, buf.data() + got, buf.size() - got);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError("read error: " + errno_text(errno));
    }
    got += static_cast<size_t>(n);
  }
  return got;
}

uint64_t Input::size_hint() const {
  return S_ISREG(st_.st_mode) ? static_cast<uint64_t>(st_.st_size) : 0;
}

Output::Output() = default;

Output::Output(const std::string& target) : target_(target) {
  temp_ = directory_of(target) + "/.accz-XXXXXX";
  publish_pending(temp_);  // the name is final once mkstemp fills the Xs in place
  fd_ = mkostemp(temp_.data(), O_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    g_has_pending.store(false);
    throw IoError("cannot create output in " + directory_of(target) + ": " + errno_text(err));
  }
  publish_pending(temp_);
}

Output::~Output() {
  if (!committed_) discard();
}

void Output::discard() {
  if (is_stdout()) return;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temp_.c_str());
  g_has_pending.store(false);
}

void Output::write(ByteSpan data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError("write error: " + errno_text(errno));
    }
    done += static_cast<size_t>(n);
  }
  written_ += data.size();
}

void Output::commit(std::optional<struct stat> like) {
  if (is_stdout()) {
    committed_ = true;
    return;
  }
  if (like) {
    // Owner first: chown may clear set-id bits that fchmod then restores. Failing to give
    // the file away is normal for non-root users and not worth a warning (gzip is silent too).
    [[maybe_unused]] int ignored = fchown(fd_, like->st_uid, like->st_gid);
    fchmod(fd_, like->st_mode & 07777);
    struct timespec times[2] = {like->st_atim, like->st_mtim};
    futimens(fd_, times);
  }
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw IoError("write error: " + errno_text(errno));
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    throw IoError("cannot rename to " + target_ + ": " + errno_text(errno));
  g_has_pending.store(false);
  committed_ = true;
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace accz::cli
