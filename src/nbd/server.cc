#include "nbd/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <future>
#include <list>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "nbd/connection.h"
#include "nbd/server_context.h"

namespace accz::nbd {

NbdStatus NbdStatus::FromErrno(int err, const std::string& what) {
  return Error(err, what + ": " + std::strerror(err));
}

namespace {

// How long stop() lets replies drain to clients that do not read them before it cuts their
// sockets (their requests still complete first).
constexpr auto kDrainGrace = std::chrono::seconds(10);

std::atomic<Server*> g_signal_server{nullptr};

void on_stop_signal(int) {
  int saved = errno;
  if (Server* s = g_signal_server.load()) s->request_stop();
  errno = saved;
}

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServerOptions options) {
    ctx_.options = options;
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    reap_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }

  ~Impl() {
    // Never started: the listeners were never handed to shutdown_all(), which removes the
    // socket files.
    for (int fd : listen_fds_) ::close(fd);
    if (!started_) {
      for (const std::string& p : unix_paths_) ::unlink(p.c_str());
    }
    if (stop_fd_ >= 0) ::close(stop_fd_);
    if (reap_fd_ >= 0) ::close(reap_fd_);
  }

  NbdStatus add_export(std::string name, std::shared_ptr<Export> exp, std::string description) {
    if (started_) return NbdStatus::Error(EBUSY, "add_export after start");
    if (!exp) return NbdStatus::Error(EINVAL, "null export");
    if (name.size() > 4096 || name.find('\0') != std::string::npos) {
      return NbdStatus::Error(EINVAL, "bad export name");
    }
    if (ctx_.exports.count(name) != 0) {
      return NbdStatus::Error(EEXIST, "export '" + name + "' already exists");
    }
    ExportEntry e;
    e.name = name;
    e.description = std::move(description);
    e.size = exp->size();
    e.features = exp->features();
    e.sizes = exp->block_sizes();
    e.exp = std::move(exp);
    const BlockSizes& b = e.sizes;
    auto pow2 = [](uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
    if (!pow2(b.minimum) || b.minimum > 65536 || !pow2(b.preferred) || b.preferred < b.minimum ||
        b.maximum < b.minimum || b.maximum % b.minimum != 0) {
      return NbdStatus::Error(EINVAL, "export '" + e.name + "' has bad block sizes");
    }
    ctx_.exports.emplace(name, std::move(e));
    return {};
  }

  NbdStatus listen_unix(const std::string& path) {
    if (started_) return NbdStatus::Error(EBUSY, "listen after start");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
      return NbdStatus::Error(ENAMETOOLONG, "socket path too long: " + path);
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        return NbdStatus::Error(EEXIST, path + " exists and is not a socket");
      }
      ::unlink(path.c_str());  // a socket left by a server that died
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return NbdStatus::FromErrno(errno, "socket");
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd, SOMAXCONN) != 0) {
      int err = errno;
      ::close(fd);
      return NbdStatus::FromErrno(err, "listen on " + path);
    }
    listen_fds_.push_back(fd);
    unix_paths_.push_back(path);
    return {};
  }

  NbdStatus listen_tcp(uint16_t port, const std::string& address) {
    if (started_) return NbdStatus::Error(EBUSY, "listen after start");
    sockaddr_storage ss{};
    socklen_t len = 0;
    int family = AF_INET;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      len = sizeof(*v4);
    } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
      family = AF_INET6;
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      len = sizeof(*v6);
    } else {
      return NbdStatus::Error(EINVAL, "not a numeric IP address: " + address);
    }
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return NbdStatus::FromErrno(errno, "socket");
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      int err = errno;
      ::close(fd);
      return NbdStatus::FromErrno(err, "listen on " + address + ":" + std::to_string(port));
    }
    sockaddr_storage bound{};
    socklen_t blen = sizeof(bound);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
    tcp_port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                        : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    listen_fds_.push_back(fd);
    tcp_fds_.push_back(fd);
    return {};
  }

  uint16_t tcp_port() const { return tcp_port_; }

  NbdStatus start() {
    if (started_) return NbdStatus::Error(EBUSY, "already started");
    if (stop_fd_ < 0 || reap_fd_ < 0) return NbdStatus::FromErrno(EMFILE, "eventfd");
    if (ctx_.exports.empty()) return NbdStatus::Error(EINVAL, "no export to serve");
    if (listen_fds_.empty()) return NbdStatus::Error(EINVAL, "not listening anywhere");
    started_ = true;
    accept_thread_ = std::thread([this] { accept_loop(); });
    return {};
  }

  void request_stop() noexcept {
    uint64_t one = 1;
    ssize_t n = ::write(stop_fd_, &one, sizeof(one));
    (void)n;
  }

  NbdStatus wait() {
    std::lock_guard lock(wait_mu_);
    if (accept_thread_.joinable()) accept_thread_.join();
    return result_;
  }

  ServerStats stats() const {
    const ServerCounters& c = ctx_.counters;
    ServerStats s;
    s.connections_accepted = c.connections_accepted.load();
    s.connections_refused = c.connections_refused.load();
    s.connections_active = c.connections_active.load();
    s.hard_disconnects = c.hard_disconnects.load();
    s.reads = c.reads.load();
    s.writes = c.writes.load();
    s.flushes = c.flushes.load();
    s.trims = c.trims.load();
    s.write_zeroes = c.write_zeroes.load();
    s.block_status = c.block_status.load();
    s.bytes_read = c.bytes_read.load();
    s.bytes_written = c.bytes_written.load();
    s.error_replies = c.error_replies.load();
    s.in_flight = c.in_flight.load();
    return s;
  }

  std::vector<int> installed_signals;

 private:
  struct Slot {
    std::unique_ptr<Connection> conn;
    std::thread thread;
    std::atomic<bool> finished{false};
  };

  void accept_loop() {
    std::vector<pollfd> fds;
    for (;;) {
      fds.clear();
      fds.push_back({stop_fd_, POLLIN, 0});
      fds.push_back({reap_fd_, POLLIN, 0});
      for (int fd : listen_fds_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        break;  // cannot wait any more: shut down rather than spin
      }
      if (fds[0].revents) break;
      if (fds[1].revents) {
        uint64_t n;
        ssize_t r = ::read(reap_fd_, &n, sizeof(n));
        (void)r;
        reap(false);
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents & POLLIN) accept_one(fds[i].fd);
      }
    }
    shutdown_all();
  }

  void accept_one(int listen_fd) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;  // the client left already, or out of descriptors for a moment
    if (std::find(tcp_fds_.begin(), tcp_fds_.end(), listen_fd) != tcp_fds_.end()) {
      int one = 1;  // replies are whole messages: do not hold them back
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    } else {
      // Unix sockets have no autotuning: with the default ~200 KiB send buffer a 1 MiB read
      // reply takes several wake-ups of the client; a larger one roughly doubled 1 MiB reads
      // at depth 16 with fio (noisy A/B runs on a busy 2-core machine). The kernel caps it at
      // net.core.wmem_max.
      int sndbuf = 4 << 20;
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    }
    std::lock_guard lock(slots_mu_);
    if (slots_.size() >= ctx_.options.max_connections) {
      ctx_.counters.connections_refused.fetch_add(1);
      ::close(fd);
      return;
    }
    ctx_.counters.connections_accepted.fetch_add(1);
    ctx_.counters.connections_active.fetch_add(1);
    auto& slot = slots_.emplace_back(std::make_unique<Slot>());
    slot->conn = std::make_unique<Connection>(fd, ctx_);
    Slot* s = slot.get();
    auto body = [this, s] {
      s->conn->serve();
      ctx_.counters.connections_active.fetch_sub(1);
      {
        std::lock_guard l(slots_mu_);
        s->finished = true;
      }
      slots_cv_.notify_all();
      uint64_t one = 1;
      ssize_t r = ::write(reap_fd_, &one, sizeof(one));
      (void)r;
    };
    try {
      s->thread = std::thread(body);
    } catch (const std::system_error&) {  // out of threads: turn this client away
      slots_.pop_back();
      ctx_.counters.connections_accepted.fetch_sub(1);
      ctx_.counters.connections_active.fetch_sub(1);
      ctx_.counters.connections_refused.fetch_add(1);
    }
  }

  // Joins and frees finished connections; with `all`, waits for every one.
  void reap(bool all) {
    std::list<std::unique_ptr<Slot>> done;
    {
      std::unique_lock lock(slots_mu_);
      if (all) {
        bool drained = slots_cv_.wait_for(lock, kDrainGrace, [&] {
          for (auto& s : slots_) {
            if (!s->finished) return false;
          }
          return true;
        });
        if (!drained) {
          for (auto& s : slots_) {
            if (!s->finished) s->conn->abort_io();
          }
        }
      }
      for (auto it = slots_.begin(); it != slots_.end();) {
        if (all || (*it)->finished) {
          done.push_back(std::move(*it));
          it = slots_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& s : done) s->thread.join();
  }

  void shutdown_all() {
    for (int fd : listen_fds_) ::close(fd);
    listen_fds_.clear();
    tcp_fds_.clear();
    for (const std::string& p : unix_paths_) ::unlink(p.c_str());
    {
      std::lock_guard lock(slots_mu_);
      for (auto& s : slots_) s->conn->stop_reading();
    }
    reap(true);
    result_ = flush_exports();
  }

  NbdStatus flush_exports() {
    NbdStatus result;
    for (auto& [name, e] : ctx_.exports) {
      if (e.features.read_only) continue;
      std::promise<int> flushed;
      e.exp->flush([&flushed](int err) { flushed.set_value(err); });
      int err = flushed.get_future().get();
      if (err != 0 && result.ok()) {
        result = NbdStatus::FromErrno(err, "flush of export '" + name + "'");
      }
    }
    return result;
  }

  ServerContext ctx_;
  int stop_fd_ = -1;
  int reap_fd_ = -1;
  std::vector<int> listen_fds_;
  std::vector<int> tcp_fds_;
  std::vector<std::string> unix_paths_;
  uint16_t tcp_port_ = 0;
  bool started_ = false;
  std::thread accept_thread_;
  std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  std::list<std::unique_ptr<Slot>> slots_;
  std::mutex wait_mu_;
  NbdStatus result_;
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(options)) {}

Server::~Server() { (void)stop(); }

NbdStatus Server::add_export(std::string name, std::shared_ptr<Export> exp,
                             std::string description) {
  return impl_->add_export(std::move(name), std::move(exp), std::move(description));
}
NbdStatus Server::listen_unix(const std::string& path) { return impl_->listen_unix(path); }
NbdStatus Server::listen_tcp(uint16_t port, const std::string& address) {
  return impl_->listen_tcp(port, address);
}
uint16_t Server::tcp_port() const { return impl_->tcp_port(); }
NbdStatus Server::start() { return impl_->start(); }
void Server::request_stop() noexcept { impl_->request_stop(); }

NbdStatus Server::wait() {
  NbdStatus s = impl_->wait();
  Server* self = this;
  if (g_signal_server.compare_exchange_strong(self, nullptr)) {
    for (int sig : impl_->installed_signals) std::signal(sig, SIG_DFL);
    impl_->installed_signals.clear();
  }
  return s;
}

NbdStatus Server::run() {
  NbdStatus s = start();
  if (!s.ok()) return s;
  return wait();
}

NbdStatus Server::stop() {
  request_stop();
  return wait();
}

void Server::stop_on_signals(std::initializer_list<int> signals) {
  g_signal_server.store(this);
  for (int sig : signals) {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(sig, &sa, nullptr) == 0) impl_->installed_signals.push_back(sig);
  }
}

ServerStats Server::stats() const { return impl_->stats(); }

}  // namespace accz::nbd
