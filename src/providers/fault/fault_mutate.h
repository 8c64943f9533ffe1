// fault_mutate.h — how the fault device damages a finished request's output, and the
// per-request random draws that decide which faults it gets.
//
// Thread-safety: pure functions of their arguments (the request's buffers must belong to the
// caller of mutate_* for the duration of the call).
#pragma once

#include <array>
#include <cstdint>

#include "accz/request.h"
#include "providers/fault/fault_spec.h"

namespace accz::fault {

// The faults drawn for one request, and random bits for placing truncation and bit flips.
struct Draw {
  std::array<bool, kFaultKinds> hit{};
  uint64_t noise = 0;
  bool operator[](FaultKind k) const { return hit[static_cast<size_t>(k)]; }
};

// Draw number `index` of a device seeded with `seed`: a function of (seed, index) only, so a
// run with the same seed and submission order injects the same faults.
Draw draw(const FaultSpec& spec, uint64_t index);

// Shortens result.produced to a value in [0, produced). False (untouched) unless the result
// is ok with some output.
bool truncate_output(Request* req, uint64_t noise);

// Flips bits in the middle half of the produced output (where headers and trailers are
// not, so a decoder or checksum notices). False (untouched) unless ok with some output.
bool corrupt_output(Request* req, uint64_t noise);

// A splitmix64 step: the generator behind draw() and the reorder shuffle.
uint64_t splitmix64(uint64_t* state);

}  // namespace accz::fault
