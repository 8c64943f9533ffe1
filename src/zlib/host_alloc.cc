#include "zlib/host_alloc.h"

#include <cstdint>
#include <cstdlib>

namespace accz::zlib {

voidpf host_zalloc(voidpf /*opaque*/, uInt items, uInt size) {
  // zlib's zcalloc multiplies unchecked; here an overflow is an allocation failure.
  if (size != 0 && items > SIZE_MAX / size) return Z_NULL;
  return std::malloc(static_cast<std::size_t>(items) * size);
}

void host_zfree(voidpf /*opaque*/, voidpf address) { std::free(address); }

}  // namespace accz::zlib
