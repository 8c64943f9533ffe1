#include "store/backing/backing_store.h"

#include <string>

namespace accz::store {

StoreStatus check_io_range(const char* op, uint64_t offset, uint64_t length, uint64_t size) {
  if (offset % kSectorSize != 0 || length % kSectorSize != 0) {
    return StoreStatus::InvalidArgument(std::string(op) + ": offset " + std::to_string(offset) +
                                        " or length " + std::to_string(length) +
                                        " is not a multiple of 512");
  }
  if (offset > size || length > size - offset) {
    return StoreStatus::InvalidArgument(
        std::string(op) + ": range [" + std::to_string(offset) + ", +" + std::to_string(length) +
        ") is beyond the store's " + std::to_string(size) + " bytes");
  }
  return StoreStatus::Ok();
}

}  // namespace accz::store
