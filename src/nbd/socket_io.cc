#include "nbd/socket_io.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

namespace accz::nbd {

bool read_full(int fd, void* buf, size_t n) {
  auto* p = static_cast<uint8_t*>(buf);
  while (n > 0) {
    ssize_t got = ::recv(fd, p, n, 0);
    if (got > 0) {
      p += got;
      n -= static_cast<size_t>(got);
    } else if (got == 0 || errno != EINTR) {
      return false;
    }
  }
  return true;
}

bool discard(int fd, uint64_t n) {
  uint8_t sink[65536];
  while (n > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, sizeof(sink)));
    if (!read_full(fd, sink, chunk)) return false;
    n -= chunk;
  }
  return true;
}

bool send_all(int fd, std::initializer_list<ByteSpan> parts) {
  return send_all(fd, std::span<const ByteSpan>(parts.begin(), parts.size()));
}

namespace {

// Sends the parts as gathered writes. wait: block until all is sent (a send timeout is a
// failure); otherwise stop when the socket would block. The bytes sent, or -1 on failure.
ptrdiff_t send_gathered(int fd, std::span<const ByteSpan> parts, bool wait) {
  std::vector<iovec> iov;
  iov.reserve(parts.size());
  for (ByteSpan p : parts) {
    if (!p.empty()) iov.push_back({const_cast<uint8_t*>(p.data()), p.size()});
  }
  const int flags = MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT);
  size_t total = 0;
  size_t first = 0;
  while (first < iov.size()) {
    msghdr msg{};
    msg.msg_iov = iov.data() + first;
    msg.msg_iovlen = std::min<size_t>(iov.size() - first, IOV_MAX);
    ssize_t sent = ::sendmsg(fd, &msg, flags);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (!wait && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return -1;
    }
    total += static_cast<size_t>(sent);
    auto left = static_cast<size_t>(sent);
    while (first < iov.size() && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (left > 0) {
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return static_cast<ptrdiff_t>(total);
}

}  // namespace

bool send_all(int fd, std::span<const ByteSpan> parts) {
  return send_gathered(fd, parts, true) >= 0;
}

ptrdiff_t send_now(int fd, std::span<const ByteSpan> parts) {
  return send_gathered(fd, parts, false);
}

void drop_front(std::vector<ByteSpan>& parts, size_t n) {
  size_t i = 0;
  while (i < parts.size() && n >= parts[i].size()) {
    n -= parts[i].size();
    ++i;
  }
  parts.erase(parts.begin(), parts.begin() + static_cast<ptrdiff_t>(i));
  if (n > 0 && !parts.empty()) parts.front() = parts.front().subspan(n);
}

}  // namespace accz::nbd
