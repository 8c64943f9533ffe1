// nbd/status.h — the error value of the NBD server's setup calls (listen, start, stop).
//
// Promise: ok() or a POSIX errno with a message for people. Transmission-phase errors never
// appear here: they go to the client as NBD error replies.
//
// Thread-safety: a plain value; copy and share freely.
#pragma once

#include <string>
#include <utility>

namespace accz::nbd {

class [[nodiscard]] NbdStatus {
 public:
  NbdStatus() = default;  // ok

  static NbdStatus Ok() { return {}; }
  static NbdStatus Error(int err, std::string msg) { return {err, std::move(msg)}; }
  // "what: strerror(err)".
  static NbdStatus FromErrno(int err, const std::string& what);

  bool ok() const { return error_ == 0; }
  int error() const { return error_; }  // 0 for ok
  const std::string& message() const { return message_; }
  std::string to_string() const { return ok() ? "ok" : message_; }

 private:
  NbdStatus(int err, std::string msg) : error_(err), message_(std::move(msg)) {}

  int error_ = 0;
  std::string message_;
};

}  // namespace accz::nbd
