#include "vol_control.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace accz::cli {
namespace {

using nlohmann::json;

constexpr int kTimeoutMs = 2000;
constexpr size_t kMaxRequest = 4096;

bool make_address(const std::string& path, sockaddr_un* addr, std::string* error) {
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr->sun_path) {
    *error = "control socket path '" + path + "' is empty or too long";
    return false;
  }
  std::memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Reads until a newline, EOF, the size limit or the deadline. Returns false on error/timeout.
bool read_line(int fd, std::string* line) {
  char buf[512];
  while (line->find('\n') == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, kTimeoutMs);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return !line->empty();
    line->append(buf, static_cast<size_t>(n));
    if (line->size() > kMaxRequest) return false;
  }
  line->resize(line->find('\n'));
  return true;
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::unique_ptr<ControlServer> ControlServer::listen(const std::string& path, Reporter report,
                                                     std::string* error) {
  sockaddr_un addr;
  if (!make_address(path, &addr, error)) return nullptr;
  // A socket file left by a killed server would make bind fail; anything else is not ours.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = path + ": exists and is not a socket";
      return nullptr;
    }
    ::unlink(path.c_str());
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno_text("socket");
    return nullptr;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
    *error = errno_text(path);
    ::close(fd);
    return nullptr;
  }
  int stop[2];
  if (::pipe2(stop, O_CLOEXEC) != 0) {
    *error = errno_text("pipe");
    ::close(fd);
    ::unlink(path.c_str());
    return nullptr;
  }
  return std::unique_ptr<ControlServer>(
      new ControlServer(fd, stop[0], stop[1], path, std::move(report)));
}

ControlServer::ControlServer(int listen_fd, int stop_read, int stop_write, std::string path,
                             Reporter report)
    : listen_fd_(listen_fd),
      stop_read_(stop_read),
      stop_write_(stop_write),
      path_(std::move(path)),
      report_(std::move(report)) {
  thread_ = std::thread([this] { serve(); });
}

ControlServer::~ControlServer() {
  char c = 1;
  while (::write(stop_write_, &c, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_read_);
  ::close(stop_write_);
  ::unlink(path_.c_str());
}

void ControlServer::serve() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_read_, POLLIN, 0}};
    int r = ::poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (p[1].revents & POLLIN)) return;
    if (!(p[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    answer(fd);
    ::close(fd);
  }
}

void ControlServer::answer(int fd) {
  std::string line;
  if (!read_line(fd, &line)) return;
  json reply;
  json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object() || !request.contains("command")) {
    reply = {{"ok", false}, {"error", "expected {\"command\": \"stats\"}"}};
  } else if (request["command"] == "stats") {
    reply = report_();
    reply["ok"] = true;
  } else {
    reply = {{"ok", false}, {"error", "unknown command " + request["command"].dump()}};
  }
  write_all(fd, reply.dump() + "\n");
}

std::optional<json> control_request(const std::string& path, const json& request,
                                    std::string* error) {
  sockaddr_un addr;
  if (!make_address(path, &addr, error)) return std::nullopt;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno_text("socket");
    return std::nullopt;
  }
  std::optional<json> result;
  std::string line;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = errno_text(path);
  } else if (!write_all(fd, request.dump() + "\n")) {
    *error = errno_text(path + ": sending the request");
  } else if (!read_line(fd, &line)) {
    *error = path + ": no answer from the server";
  } else {
    json reply = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!reply.is_object())
      *error = path + ": the answer is not a JSON object";
    else
      result = std::move(reply);
  }
  ::close(fd);
  return result;
}

}  // namespace accz::cli
