// codec_check.h — test helpers that decode accz's output with the reference libraries
// themselves (zlib, liblz4, libzstd), never with accz's engines, so a wrong answer from accz
// cannot be hidden by the same mistake on the way back.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "accz/types.h"

namespace accz::testing {

// Decodes one complete stream (gzip: every member) of framing `f`; nullopt if the library
// rejects it or it does not decode to exactly `expected_size` bytes.
std::optional<std::vector<uint8_t>> reference_decode(Framing f, ByteSpan in, size_t expected_size);

// A complete stream of `in` in framing `f`, made by the reference library.
std::vector<uint8_t> reference_encode(Framing f, ByteSpan in, int level);

// CRC-32 (or, for kZlib, Adler-32) of `in` as zlib computes it, from the fresh seed.
uint32_t reference_checksum(Framing f, ByteSpan in);

}  // namespace accz::testing
