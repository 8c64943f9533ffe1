// fault_spec.h — the configuration of the fault-injecting device, parsed from a string such as
// "error=0.1,busy=0.05,slow=0.2,slow_ms=20,seed=7,name=flaky".
//
// Keys (each probability is the chance, per request, that the fault is injected):
//   error        complete with kDeviceError without doing the work
//   busy         submit answers kBusy (nothing taken)
//   unsupported  supports() says yes, but submit answers kUnsupported
//   timeout      accept the request and never complete it (only abort() releases it; the
//                Accel's timeout must be on, or a caller waiting for it waits forever)
//   slow         complete it slow_ms later than the work finished
//   reorder      hold the completion and release it with others in a shuffled order
//   truncate     report fewer output bytes than were produced (status stays ok)
//   corrupt      flip bits in the output (status stays ok)
//   slow_ms=N    delay for `slow`, in milliseconds (default 20; at most 60000)
//   seed=N       seed of the per-request random draws (default 1); same seed, same faults
//   name=S       device name (default "fault"), [A-Za-z0-9_.-]+
//   priority=N   routing priority (default 10; the cpu device is 0)
// An empty spec is valid and injects nothing. Unknown keys, repeated keys, missing '=',
// probabilities outside [0, 1] and malformed numbers are errors naming the offending item.
//
// Thread-safety: parse_fault_spec is a pure function; FaultSpec is a plain value.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace accz {

// The kinds of fault, in the order their draws are made for each request.
enum class FaultKind : uint8_t {
  kBusy,
  kUnsupported,
  kError,
  kTimeout,
  kSlow,
  kReorder,
  kTruncate,
  kCorrupt,
  kCount
};
inline constexpr size_t kFaultKinds = static_cast<size_t>(FaultKind::kCount);

// The spec key of a fault kind ("busy", "unsupported", …).
std::string_view to_string(FaultKind k);

struct FaultSpec {
  std::array<double, kFaultKinds> probability{};  // indexed by FaultKind; all 0 by default
  uint32_t slow_ms = 20;
  uint64_t seed = 1;
  std::string name = "fault";
  int priority = 10;

  double p(FaultKind k) const { return probability[static_cast<size_t>(k)]; }
  // The spec string that parses back to this value.
  std::string to_string() const;
};

// Parses `spec`. On failure returns nullopt and sets *error (if non-null) to a message that
// names the offending key=value item and says what was expected.
std::optional<FaultSpec> parse_fault_spec(std::string_view spec, std::string* error);

}  // namespace accz
