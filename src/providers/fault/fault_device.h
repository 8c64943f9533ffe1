// fault_device.h — a device that wraps a cpu device and injects faults by configuration, so
// tests (and the demo) can prove that routing, verification and fallback work.
//
// Thread-safety: as accz::Device.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "accz/device.h"
#include "providers/cpu/cpu_device.h"

namespace accz {

// `spec` is a comma-separated list of key=value (see fault_spec.h). Returns nullptr and sets
// *error if the spec does not parse. The device is untrusted (its output is verified) and
// has a priority above the cpu device's, so routing prefers it.
std::unique_ptr<Device> make_fault_device(std::string_view spec, const CpuDeviceOptions& inner,
                                          CompletionSink* sink, std::string* error);

}  // namespace accz
