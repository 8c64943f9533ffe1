// engines/engine_util.h — small helpers shared by the engine adapters.
//
// Pure functions; safe to use from any thread.
#pragma once

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>

#include "accz/engine.h"

namespace accz {

constexpr unsigned flush_bit(Flush f) { return 1u << static_cast<unsigned>(f); }

constexpr unsigned kAllFlushes = flush_bit(Flush::kNone) | flush_bit(Flush::kSync) |
                                 flush_bit(Flush::kFull) | flush_bit(Flush::kFinish);

// The C libraries count in 32-bit (or int) lengths; larger spans are fed in pieces of this.
constexpr size_t clamp_u32(size_t n) { return std::min<size_t>(n, UINT32_MAX); }
constexpr size_t clamp_int(size_t n) { return std::min<size_t>(n, INT_MAX); }

inline CodecResult codec_result(Status s, size_t consumed = 0, size_t produced = 0,
                                bool end = false) {
  CodecResult r;
  r.status = s;
  r.consumed = consumed;
  r.produced = produced;
  r.end = end;
  return r;
}

// A one-shot decode drives the streaming path over the whole input. If it used all the input
// without reaching the stream's end, the input was truncated — unless the output filled
// first, in which case more output space is what is missing (engine.h's one-shot contract).
inline CodecResult finish_one_shot_decode(CodecResult r, size_t out_size) {
  if (r.status == Status::kOk && !r.end)
    r.status = r.produced == out_size ? Status::kOutputOverflow : Status::kBadData;
  return r;
}

// Status of a streaming compress call from what it left behind: the contract in
// accz/engine.h says kOk only when every input byte was taken and, for a flush, the flush is
// known to be complete.
inline Status stream_status(size_t in_left, bool flush_done) {
  return (in_left == 0 && flush_done) ? Status::kOk : Status::kOutputOverflow;
}

}  // namespace accz
