#include "store/volume/block_codec.h"

#include <string>

namespace accz::store {

std::optional<Framing> fragment_framing(VolumeAlgorithm algorithm) {
  switch (algorithm) {
    case VolumeAlgorithm::kLz4:
      return Framing::kLz4Block;
    case VolumeAlgorithm::kDeflate:
      return Framing::kRaw;
    case VolumeAlgorithm::kZstd:
      return Framing::kZstdFrame;
    case VolumeAlgorithm::kNone:
      break;
  }
  return std::nullopt;
}

void prepare_compression(CompressionJob* job, VolumeAlgorithm algorithm, uint8_t level,
                         ByteSpan block) {
  job->req = Request{};
  job->req.op = Operation::kCompress;
  job->req.framing = *fragment_framing(algorithm);
  job->req.level = level == 0 ? -1 : level;
  job->req.flush = Flush::kFinish;
  job->req.incompressible_ok = true;
  job->src[0] = block;
  job->dst[0] = MutableByteSpan(job->out);
  job->req.src = job->src;
  job->req.dst = job->dst;
}

std::optional<ByteSpan> job_fragment(const CompressionJob& job, size_t threshold) {
  const Result& r = job.req.result;
  if (r.status != Status::kOk || r.produced == 0 || r.produced >= threshold ||
      r.produced > kMaxFragmentBytes) {
    return std::nullopt;
  }
  return ByteSpan(job.out).first(r.produced);
}

StoreStatus decompress_fragment(Accel& accel, VolumeAlgorithm algorithm, ByteSpan fragment,
                                MutableByteSpan out) {
  const auto framing = fragment_framing(algorithm);
  if (!framing) return StoreStatus::Corruption("fragment in a volume without compression");
  Request req;
  req.op = Operation::kDecompress;
  req.framing = *framing;
  const std::array<ByteSpan, 1> src{fragment};
  const std::array<MutableByteSpan, 1> dst{out};
  req.src = src;
  req.dst = dst;
  const Result r = accel.run(req);
  if (r.status != Status::kOk || !r.end || r.produced != kBlockSize) {
    return StoreStatus::Corruption("fragment does not expand to one 4 KiB block (" +
                                   std::string(to_string(r.status)) + ", " +
                                   std::to_string(r.produced) + " bytes)");
  }
  return StoreStatus::Ok();
}

}  // namespace accz::store
