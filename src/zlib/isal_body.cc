#include "zlib/isal_body.h"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <limits>

#include "zlib/config.h"
#include "zlib/engine_states.h"

namespace accz::zlib {

namespace {

// One stateless ISA-L level-3 call.
IsalBody one_call(std::span<const uint8_t> in, std::span<uint8_t> out) {
  IsalBody body;
  isal_zstream* stream = thread_isal_level3(/*stateless=*/true);
  if (stream == nullptr) return body;
  isal_zstream& s = *stream;
  s.end_of_stream = 1;
  s.flush = NO_FLUSH;
  s.next_in = const_cast<uint8_t*>(in.data());
  s.avail_in = static_cast<uint32_t>(in.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uint32_t>(out.size());
  if (isal_deflate_stateless(&s) == COMP_OK) body.size = s.total_out;
  return body;
}

}  // namespace

bool isal_serves(int level, size_t n) {
  return level == 1 && config().isal && n <= std::numeric_limits<uint32_t>::max();
}

IsalBody isal_body(int level, std::span<const uint8_t> in, std::span<uint8_t> out, Checksum check,
                   uint32_t seed) {
  IsalBody body;
  if (!isal_serves(level, in.size())) return body;
  // Output past the ratio is not wanted, so the buffer ISA-L sees ends there: an input that
  // compresses worse overflows early instead of being compressed whole.
  const auto most = static_cast<size_t>(kIsalMaxRatio * static_cast<double>(in.size()));
  const auto least = static_cast<size_t>(kIsalMinRatio * static_cast<double>(in.size()));
  // What ISA-L could fit in less room than `least` would be refused below anyway.
  if (out.size() < least) return body;
  const bool short_out = out.size() < most;
  out = out.first(std::min({out.size(), most, size_t{UINT32_MAX}}));
  if (const unsigned chunks = parallel_isal_chunks(in.size()); chunks > 1) {
    const ParallelResult r = parallel_isal_deflate(in, out, chunks, check, seed);
    body.size = r.size;
    body.check = r.check;
    body.checked = r.size != 0 && check != Checksum::kNone;
    body.no_room = r.size == 0 && short_out;
  } else {
    body = one_call(in, out);
    body.no_room = body.size == 0 && short_out;
  }
  // Mostly runs: zlib's output is the smaller one there.
  if (body.size != 0 && body.size < least) return {};
  return body;
}
}  // namespace accz::zlib
