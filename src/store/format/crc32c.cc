#include "store/format/crc32c.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <climits>

namespace accz::store {

uint32_t crc32c(ByteSpan data) {
  // ISA-L's crc32_iscsi takes and returns the raw register: seed it with all ones and invert
  // the result to get the standard CRC-32C. Its length is an int, so feed large spans in
  // pieces.
  uint32_t crc = 0xFFFFFFFFu;
  const uint8_t* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const size_t n = std::min<size_t>(left, INT_MAX / 2);
    crc = crc32_iscsi(const_cast<unsigned char*>(p), static_cast<int>(n), crc);
    p += n;
    left -= n;
  }
  return ~crc;
}

}  // namespace accz::store
