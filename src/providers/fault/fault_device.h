// fault_device.h — a device that wraps a cpu device and injects faults by configuration, so
// tests (and the demo) can prove that routing, verification and fallback work.
//
// Promises, whatever faults are injected:
//   - every accepted request is completed exactly once, unless abort() returned true for it;
//   - abort() returns true for a request the device still holds (timeout, slow, reorder,
//     pending error) and, for one still in the inner cpu device, whatever that device says;
//   - held completions never wait without bound, except `timeout` (held until abort() or
//     destruction), which is the fault it stands for;
//   - destruction completes every request still held (timeout-held ones with kDeviceError)
//     before the device is gone.
// Injected refusals (busy, unsupported) end a submit_batch() like a full queue would.
//
// Thread-safety: as accz::Device. The device is the CompletionSink of its inner cpu device;
// completions reach the caller's sink from the inner device's workers or from the device's
// own timer thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "accz/device.h"
#include "providers/cpu/cpu_device.h"
#include "providers/fault/fault_spec.h"

namespace accz {

// `spec` is a comma-separated list of key=value (see fault_spec.h). Returns nullptr and sets
// *error if the spec does not parse. The device is untrusted (its output is verified) and
// has a priority above the cpu device's, so routing prefers it.
std::unique_ptr<Device> make_fault_device(std::string_view spec, const CpuDeviceOptions& inner,
                                          CompletionSink* sink, std::string* error);

// What a fault device has done so far. Refusals and holds are counted when they happen;
// truncate and corrupt only when applied (a result that is not ok, or has no output, is
// passed through untouched).
struct FaultCounts {
  std::array<uint64_t, kFaultKinds> injected{};  // indexed by FaultKind
  uint64_t aborted = 0;                          // abort() calls that returned true
  uint64_t released = 0;                         // held requests completed by the destructor

  uint64_t operator[](FaultKind k) const { return injected[static_cast<size_t>(k)]; }
  uint64_t total() const {
    uint64_t n = 0;
    for (auto v : injected) n += v;
    return n;
  }
};

// The counts of `device` if make_fault_device made it; nullopt for any other device.
std::optional<FaultCounts> fault_counts(const Device& device);

}  // namespace accz
