#include "store/backing/store_status.h"

#include <cerrno>
#include <cstring>

namespace accz::store {

StoreStatus StoreStatus::FromErrno(int err, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return NoSpace(std::move(msg));
    case EINVAL:
      return InvalidArgument(std::move(msg));
    case EROFS:
    case EACCES:
    case EPERM:
      return ReadOnly(std::move(msg));
    default:
      return IoError(std::move(msg));
  }
}

int StoreStatus::posix_errno() const {
  switch (code_) {
    case StoreErrc::kOk:
      return 0;
    case StoreErrc::kNoSpace:
      return ENOSPC;
    case StoreErrc::kInvalidArgument:
      return EINVAL;
    case StoreErrc::kNotSupported:
      return EOPNOTSUPP;
    case StoreErrc::kReadOnly:
      return EROFS;
    case StoreErrc::kCorruption:
      // Linux file systems report detected metadata corruption as EUCLEAN; callers that
      // only know EIO should treat it as one.
      return EUCLEAN;
    case StoreErrc::kIoError:
      break;
  }
  return EIO;
}

std::string StoreStatus::to_string() const {
  if (ok()) return "ok";
  std::string s(accz::store::to_string(code_));
  if (!message_.empty()) {
    s += ": ";
    s += message_;
  }
  return s;
}

std::string_view to_string(StoreErrc code) {
  switch (code) {
    case StoreErrc::kOk:
      return "ok";
    case StoreErrc::kIoError:
      return "I/O error";
    case StoreErrc::kNoSpace:
      return "no space";
    case StoreErrc::kInvalidArgument:
      return "invalid argument";
    case StoreErrc::kCorruption:
      return "corruption";
    case StoreErrc::kNotSupported:
      return "not supported";
    case StoreErrc::kReadOnly:
      return "read-only";
  }
  return "unknown";
}

}  // namespace accz::store
