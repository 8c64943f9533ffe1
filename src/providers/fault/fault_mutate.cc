// Per-request fault draws and output damage for the fault device.
#include "providers/fault/fault_mutate.h"

namespace accz::fault {

uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Draw draw(const FaultSpec& spec, uint64_t index) {
  // Mixing the index through one splitmix step first decorrelates neighbouring requests.
  uint64_t state = spec.seed ^ (index * 0xd1b54a32d192ed03ull);
  splitmix64(&state);
  Draw d;
  for (size_t k = 0; k < kFaultKinds; ++k) {
    // 53 random bits give a uniform double in [0, 1); p == 1 always hits, p == 0 never.
    double u = static_cast<double>(splitmix64(&state) >> 11) * 0x1.0p-53;
    d.hit[k] = u < spec.probability[k];
  }
  d.noise = splitmix64(&state);
  return d;
}

namespace {

bool damageable(const Request& req) {
  return req.result.status == Status::kOk && req.result.produced > 0;
}

// The byte at `offset` of the output, which is laid out over the dst list in order.
uint8_t* output_byte(Request* req, size_t offset) {
  for (MutableByteSpan s : req->dst) {
    if (offset < s.size()) return s.data() + offset;
    offset -= s.size();
  }
  return nullptr;
}

}  // namespace

bool truncate_output(Request* req, uint64_t noise) {
  if (!damageable(*req)) return false;
  req->result.produced = noise % req->result.produced;
  return true;
}

bool corrupt_output(Request* req, uint64_t noise) {
  if (!damageable(*req)) return false;
  size_t produced = req->result.produced;
  size_t lo = produced / 4, span = produced - 2 * lo;  // the middle half (all of a tiny output)
  uint64_t state = noise;
  for (int i = 0; i < 3; ++i) {
    uint64_t r = splitmix64(&state);
    uint8_t* b = output_byte(req, lo + r % span);
    if (b) *b ^= static_cast<uint8_t>(1u << ((r >> 32) % 8));
  }
  return true;
}

}  // namespace accz::fault
