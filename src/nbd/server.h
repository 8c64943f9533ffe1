// nbd/server.h — an NBD server (fixed newstyle handshake) for one or more Exports, on a Unix
// socket and/or a TCP port bound to loopback unless told otherwise.
//
// Promise:
//   - Handshake: NBD_OPT_GO, INFO (export, name, description, block sizes), LIST, ABORT,
//     EXPORT_NAME, STRUCTURED_REPLY, LIST_META_CONTEXT and SET_META_CONTEXT (base:allocation);
//     anything else is answered NBD_REP_ERR_UNSUP. No TLS, no oldstyle.
//   - Transmission: READ, WRITE, FLUSH, TRIM, WRITE_ZEROES (NO_HOLE honoured), BLOCK_STATUS
//     (REQ_ONE honoured), DISC; FUA; DF; structured replies when negotiated. Many requests in
//     flight per connection, each answered as soon as the export completes it (out of order);
//     a connection stops reading while ServerOptions::max_in_flight requests or
//     max_in_flight_bytes of buffers are outstanding (backpressure).
//   - Bad input gets the protocol's error reply (EINVAL, ENOSPC for writes past the end,
//     EPERM on read-only exports, NBD_REP_ERR_*) or a hard disconnect of that connection
//     only; the export is never asked to do anything out of range. Requests already handed to
//     the export complete, and the connection's memory is freed after they do.
//   - Shutdown (request_stop(), or stop_on_signals()): stop accepting, stop reading requests,
//     let every request in flight complete and its reply go out, close the connections, then
//     flush every export. wait()/run()/stop() return after all of that.
//
// Thread-safety: add_export() and listen_*() before start(); after it, request_stop(),
// stats() and tcp_port() from any thread (request_stop() also from a signal handler); wait()
// and stop() from one thread at a time, not from a signal handler nor an export callback.
//
// Typical use (`accz vol serve`):
//   auto server = std::make_unique<accz::nbd::Server>();
//   server->add_export("", std::make_shared<accz::nbd::VolumeExport>(*volume));
//   if (auto s = server->listen_unix(path); !s.ok()) { ... s.message() ... }
//   server->stop_on_signals();                  // SIGINT, SIGTERM → request_stop()
//   accz::nbd::NbdStatus s = server->run();     // serves until stopped; s: the final flush
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "nbd/export.h"
#include "nbd/status.h"

namespace accz::nbd {

struct ServerOptions {
  // Requests one connection may have in flight. More: deeper queues, more memory. Default 64.
  size_t max_in_flight = 64;
  // Bytes of read/write buffers one connection may hold (one request is always admitted).
  // Default 64 MiB.
  size_t max_in_flight_bytes = size_t{64} << 20;
  // Connections served at once; more are closed at accept. Default 256.
  size_t max_connections = 256;
  // A client must finish its handshake this fast or is dropped (0: never). Default 30 s.
  uint32_t handshake_timeout_ms = 30000;
  // Offer NBD_OPT_STRUCTURED_REPLY (and so block status and DF). Default on; off only to test
  // clients that must cope with a server without it.
  bool structured_replies = true;
};

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over max_connections
  uint64_t connections_active = 0;
  uint64_t hard_disconnects = 0;  // protocol violations and I/O errors on the socket
  uint64_t reads = 0, writes = 0, flushes = 0, trims = 0, write_zeroes = 0, block_status = 0;
  uint64_t bytes_read = 0, bytes_written = 0;
  uint64_t error_replies = 0;  // requests answered with an error
  uint64_t in_flight = 0;      // requests handed to exports, not yet answered
};

class Server {
 public:
  explicit Server(ServerOptions options = {});
  ~Server();  // stop() if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serve `exp` under `name` ("" is the default export that clients get when they name
  // none). `description` is shown by NBD_INFO_DESCRIPTION. Names are unique.
  NbdStatus add_export(std::string name, std::shared_ptr<Export> exp, std::string description = {});

  // Listen on a Unix socket at `path` (a stale socket file there is replaced; any other file
  // is an error). The file is removed when the server stops.
  NbdStatus listen_unix(const std::string& path);
  // Listen on TCP `address` (numeric IPv4 or IPv6; loopback by default). Port 0 picks a free
  // port: see tcp_port().
  NbdStatus listen_tcp(uint16_t port, const std::string& address = "127.0.0.1");
  uint16_t tcp_port() const;  // 0 until listen_tcp() succeeded

  // Starts the accept thread. REQUIRES: at least one export and one listening socket.
  NbdStatus start();
  // Asks the server to shut down; returns at once. Async-signal-safe.
  void request_stop() noexcept;
  // Blocks until the server has stopped (after request_stop()) and drained; returns the
  // outcome of the final flush of the exports.
  NbdStatus wait();
  // start() then wait().
  NbdStatus run();
  // request_stop() then wait().
  NbdStatus stop();

  // Installs handlers so that these signals call request_stop() on this server. One server
  // per process at a time; the handlers are restored to the default when it stops.
  void stop_on_signals(std::initializer_list<int> signals = {SIGINT, SIGTERM});

  ServerStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accz::nbd
