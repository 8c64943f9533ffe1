// nbd/connection.h — one client of the NBD server: its handshake, then its transmission
// phase. Internal to the server.
//
// Promise: serve() runs the whole session on the calling thread, with a second thread that
// writes replies in the order requests complete. A request that completes on the reading
// thread itself (a read served from cache, a refused request) is answered by that thread
// directly when no other reply is queued or being written, as far as the socket takes it
// without blocking; the writer thread sends whatever is left. So a fast export costs no
// thread hand-off per request, and the reader never waits on a client that is not reading. It
// returns only after every request it handed to an export has completed (and its reply was sent or,
// on a dead socket, dropped), so the connection can then be destroyed. Protocol violations end the
// session (a hard disconnect); request errors are replied to and the session goes on.
//
// Thread-safety: serve() once, from one thread; stop_reading() and abort_io() from any
// thread while serve() runs. The destructor closes the socket.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nbd/protocol.h"
#include "nbd/server_context.h"

namespace accz::nbd {

class Connection {
 public:
  Connection(int fd, ServerContext& ctx);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void serve();
  // Server shutdown: read no more requests (the reader sees end of file); replies still go out.
  void stop_reading();
  // Server shutdown past its grace period: fail all socket I/O at once.
  void abort_io();

 private:
  struct Pending;
  struct Session {
    const ExportEntry* entry = nullptr;
    uint16_t flags = 0;
    bool structured = false;
    bool base_allocation = false;
  };

  // Handshake phase; nullopt when the session ends there.
  std::optional<Session> handshake();
  bool send_option_reply(uint32_t option, uint32_t type, ByteSpan payload = {});
  bool send_option_error(uint32_t option, uint32_t type, std::string_view message);
  bool reply_info(uint32_t option, const InfoRequest& r, const ExportEntry& e, bool structured);
  uint16_t transmission_flags(const ExportEntry& e, bool structured) const;

  // Transmission phase.
  void transmission(const Session& s);
  // 0 or the errno the request gets; `why` says why for structured error replies.
  int check(const Session& s, const Request& r, const char** why) const;
  void dispatch(const Session& s, std::unique_ptr<Pending> p);
  // Waits for room for one more request holding `bytes`; false if the writer died.
  bool acquire(size_t bytes);
  void complete(Pending* p);  // from export callbacks: queue the reply, or send it here
  // complete() on the reading thread with nothing else to send: sends what the socket takes
  // now and queues the rest first in line for the writer. Called with mu_ held, sending_ set.
  void reply_now(Pending* p, std::unique_lock<std::mutex>& lock);
  // After replies were sent (or dropped): the accounting, and a wake-up for the reader.
  void replies_done(size_t n, size_t bytes, bool ok);
  // The bytes of replies about to be sent: spans into request buffers, and small headers
  // owned here (a deque, so spans into them stay valid as more are added).
  struct ReplyParts {
    std::deque<std::vector<uint8_t>> owned;
    std::vector<ByteSpan> spans;
    void add(std::vector<uint8_t> bytes) {
      owned.push_back(std::move(bytes));
      spans.push_back(owned.back());
    }
  };
  void writer_loop();
  void add_reply(const Pending& p, ReplyParts& out);
  void hard_disconnect();

  const int fd_;
  ServerContext& ctx_;
  bool structured_ = false;

  std::mutex mu_;
  std::condition_variable room_cv_;    // reader waits for in-flight room; serve() for zero
  std::condition_variable writer_cv_;  // writer waits for replies
  std::deque<Pending*> replies_;
  size_t in_flight_ = 0;
  size_t in_flight_bytes_ = 0;
  bool writer_stop_ = false;
  bool sending_ = false;  // a thread is writing replies to the socket
  std::thread::id reader_;
  bool broken_ = false;  // a send failed: drop replies, stop reading
  std::thread writer_;
};

}  // namespace accz::nbd
