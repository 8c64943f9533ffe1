// vol_control.h — the small control socket of `accz vol serve`, which `accz vol stats
// --socket` asks for a serving volume's statistics.
//
// Protocol (version 1): a Unix stream socket. The client connects and sends one JSON object
// on one line, {"command":"stats"}; the server answers with one JSON object on one line and
// closes the connection. The answer to "stats" is {"ok":true, ...the volume report of
// vol_report.h...}; to anything else {"ok":false,"error":"..."}. A client that sends nothing
// within 2 s, or more than 4 KiB, is disconnected. By default the socket is the NBD socket's
// path plus ".ctl"; `--control PATH` names it (and is the only way to get one with --port).
//
// Thread-safety: ControlServer answers on its own thread and calls `report` there, one
// request at a time; its destructor stops that thread and removes the socket file.
// control_request() is a plain blocking function.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

namespace accz::cli {

class ControlServer {
 public:
  using Reporter = std::function<nlohmann::json()>;
  // Binds `path` (replacing a stale socket file there) and starts answering. nullptr and
  // *error set when the socket cannot be made.
  static std::unique_ptr<ControlServer> listen(const std::string& path, Reporter report,
                                               std::string* error);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  ControlServer(int listen_fd, int stop_read, int stop_write, std::string path, Reporter report);
  void serve();
  void answer(int fd);

  const int listen_fd_, stop_read_, stop_write_;
  const std::string path_;
  const Reporter report_;
  std::thread thread_;
};

// Sends `request` to the control socket at `path` and returns the answer, or nullopt with
// *error set (no server there, a timeout, a malformed answer).
std::optional<nlohmann::json> control_request(const std::string& path,
                                              const nlohmann::json& request, std::string* error);

}  // namespace accz::cli
