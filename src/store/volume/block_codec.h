// store/volume/block_codec.h — how a volume compresses one 4 KiB block into a fragment and
// expands it again through the core's Accel (docs/format.md §8), so that the write path can
// submit compression asynchronously and the read path can decompress the same way.
//
// Promise:
//   - fragment_framing() is the format's fragment encoding per volume algorithm: lz4 a bare
//     lz4 block, deflate raw deflate (RFC 1951), zstd one zstd frame; none has no fragments.
//   - prepare_compression() fills a CompressionJob whose Request is ready for Accel::submit()
//     or run(): it owns its spans and output buffer, so it stays valid while in flight.
//     The output buffer is one bin's worth (4056 bytes) and the request asks for
//     kIncompressible rather than output that is not smaller than the input.
//   - job_fragment() after completion: the fragment bytes, or nullopt when the block must be
//     written whole (incompressible, did not fit a bin, not below the caller's threshold, or
//     the request failed: compression failing never loses data, it only loses savings).
//   - decompress_fragment() expands a fragment and insists on exactly 4096 bytes and the
//     end of the stream; anything else is kCorruption.
//
// Thread-safety: functions on caller-owned objects; a job belongs to one request at a time.
#pragma once

#include <array>
#include <cstddef>
#include <optional>

#include "accz/accel.h"
#include "accz/request.h"
#include "store/backing/store_status.h"
#include "store/format/layout.h"
#include "store/format/superblock.h"

namespace accz::store {

std::optional<Framing> fragment_framing(VolumeAlgorithm algorithm);

struct CompressionJob {
  Request req;
  std::array<ByteSpan, 1> src;
  std::array<MutableByteSpan, 1> dst;
  std::array<uint8_t, kMaxFragmentBytes> out{};
};

// REQUIRES: algorithm != kNone; block.size() == 4096 and outlives the request. `level`: the
// superblock's (0: the engine's default).
void prepare_compression(CompressionJob* job, VolumeAlgorithm algorithm, uint8_t level,
                         ByteSpan block);

// `threshold`: fragments of this many bytes or more are not worth a slot (at most 4056).
std::optional<ByteSpan> job_fragment(const CompressionJob& job, size_t threshold);

// Synchronous, through accel.run(). REQUIRES: out.size() == 4096.
StoreStatus decompress_fragment(Accel& accel, VolumeAlgorithm algorithm, ByteSpan fragment,
                                MutableByteSpan out);

}  // namespace accz::store
