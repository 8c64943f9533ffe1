// frame_trailer.h — reads the content checksum an lz4 frame or a zstd frame carries at its
// end, so that verification can authenticate decompressed output without decoding again.
//
// Both parsers walk the frame's block headers (cheap: a few bytes per block) to prove that
// the frame ends exactly at `end`, so a checksum is only ever compared against the one frame
// it covers (not the last of several concatenated frames).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "accz/types.h"

namespace accz {

// A frame's content checksum and how to compute it over the content.
struct FrameChecksum {
  enum class Kind { kXxh32, kXxh64Low32 } kind;
  uint32_t value;
};

// The content checksum of the frame that fills the first `end` bytes of `src`; nullopt if
// those bytes are not exactly one frame of the kind, or the frame carries no checksum.
std::optional<FrameChecksum> lz4_frame_checksum(std::span<const ByteSpan> src, size_t end);
std::optional<FrameChecksum> zstd_frame_checksum(std::span<const ByteSpan> src, size_t end);

// The checksum of `len` bytes of `data` as `kind` computes it.
uint32_t frame_checksum_of(FrameChecksum::Kind kind, std::span<const MutableByteSpan> data,
                           size_t len);

}  // namespace accz
