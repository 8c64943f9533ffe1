// store/format/crc32c.h — the checksum of every metadata block of a volume (docs/format.md §1):
// CRC-32C (Castagnoli), init and final xor 0xFFFFFFFF, so crc32c("123456789") == 0xE3069283.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "accz/types.h"

namespace accz::store {

uint32_t crc32c(ByteSpan data);

}  // namespace accz::store
