// store/backing/store_status.h — the error value of the block store and its backing stores.
//
// Promise: every I/O or metadata step returns a StoreStatus; ok() or one named kind, each
// with a POSIX errno for the front end (the NBD server replies with EIO, ENOSPC, …) and a
// message for people. Named accz::store::StoreStatus, not Status, so that it never hides
// accz::Status (the codec outcome) inside the store's code.
//
// Thread-safety: a plain value; copy and share freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace accz::store {

enum class StoreErrc : uint8_t {
  kOk,
  kIoError,          // EIO: the backing store failed the I/O (or an injected fault did)
  kNoSpace,          // ENOSPC: no room on the backing store or in the volume
  kInvalidArgument,  // EINVAL: misaligned or out-of-range request; a caller bug
  kCorruption,       // EUCLEAN-like: metadata failed its checksum, magic or version check
  kNotSupported,     // EOPNOTSUPP: a format version or feature this build does not know
  kReadOnly,         // EROFS: the store or volume refuses writes
};

class [[nodiscard]] StoreStatus {
 public:
  StoreStatus() = default;  // ok

  static StoreStatus Ok() { return {}; }
  static StoreStatus IoError(std::string msg) { return {StoreErrc::kIoError, std::move(msg)}; }
  static StoreStatus NoSpace(std::string msg) { return {StoreErrc::kNoSpace, std::move(msg)}; }
  static StoreStatus InvalidArgument(std::string msg) {
    return {StoreErrc::kInvalidArgument, std::move(msg)};
  }
  static StoreStatus Corruption(std::string msg) {
    return {StoreErrc::kCorruption, std::move(msg)};
  }
  static StoreStatus NotSupported(std::string msg) {
    return {StoreErrc::kNotSupported, std::move(msg)};
  }
  static StoreStatus ReadOnly(std::string msg) { return {StoreErrc::kReadOnly, std::move(msg)}; }
  // From a failed system call's errno: EIO-like errors, ENOSPC/EDQUOT, EINVAL, EROFS.
  static StoreStatus FromErrno(int err, std::string_view what);

  bool ok() const { return code_ == StoreErrc::kOk; }
  StoreErrc code() const { return code_; }
  const std::string& message() const { return message_; }
  // The errno a front end reports: 0 for ok.
  int posix_errno() const;
  // "ok" or "<kind>: <message>".
  std::string to_string() const;

 private:
  StoreStatus(StoreErrc code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StoreErrc code_ = StoreErrc::kOk;
  std::string message_;
};

std::string_view to_string(StoreErrc code);

// A value or the reason there is none (C++20 has no std::expected).
template <class T>
struct [[nodiscard]] StoreResult {
  StoreStatus status;
  T value{};

  bool ok() const { return status.ok(); }
};

}  // namespace accz::store
