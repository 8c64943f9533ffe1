// accz/accel.h — the caller's API: open the providers, submit requests, get completions.
//
//   auto accel = accz::Accel::open({}, &err);     // probes providers; cpu is always there
//   accz::Request req;  req.op = ...; req.src = ...; req.dst = ...;
//   accz::Result r = accel->run(req);            // synchronous
//   accel->submit(&req);                         // asynchronous: on_complete, or poll()
//
// Routing: a request goes to the highest-priority device that supports its shape and is not
// too small for it (DeviceInfo::min_offload); the cpu device is the floor. Per request, if
// the chosen device refuses (busy, unsupported), fails, times out, or returns output that
// fails verification, the software floor completes the request instead: the caller sees
// success, and the device's stats record the fallback and its reason. A request is
// completed exactly once, whatever happens. When software redoes a request, its output
// overwrites whatever the device left in dst. A device's kBadData or kOutputOverflow is
// checked by running the request in software: if software agrees, that answer is delivered
// with fallback kNone (the device was right); if not, software's answer, with kDeviceError.
//
// Where completions run: callbacks run on a device's worker thread, on the timeout thread
// (requests that timed out or raced their abort), or — only for a device that completes
// inside its own submit(), as the cpu device does for requests marked Request::inline_ok —
// on the submitting thread. Result::device names the device whose
// answer was delivered ("cpu" after a fallback).
//
// Backpressure: every instance queue is bounded. When the device and the floor are both full,
// submit() answers kBusy and takes nothing; memory never grows with offered load.
//
// Thread-safety: all methods may be called concurrently from any threads, except that the
// Accel must outlive every request submitted to it, and the destructor must not race with
// other calls (it waits for in-flight requests, delivering their completions).
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "accz/device.h"
#include "accz/request.h"
#include "accz/stats.h"

namespace accz {

struct AccelOptions {
  // Software worker queues (cpu device instances). 0: one per online core.
  // Trade-off: more instances, more parallelism and more threads competing for cores.
  uint32_t cpu_instances = 0;
  // Requests each instance queues before answering kBusy. Default 1024.
  // Trade-off: deeper queues absorb bursts; shallower ones bound latency and memory.
  uint32_t queue_depth = 1024;
  // A fault-injecting device wrapping a cpu device, for tests and demos (see
  // src/providers/fault/fault_spec.h for the syntax, e.g. "error=0.1,busy=0.05,seed=7").
  // Default: empty (no fault device).
  std::string fault_spec;
  // Out-of-tree provider plugins (accz/provider_abi.h), by path. Default: none. The
  // environment variable ACCZ_PLUGINS (colon-separated) adds to this list.
  std::vector<std::string> plugin_paths;
  // Check the output of untrusted devices in software before completing (compress: decode it
  // and compare with the input; decompress: recompute the checksum and match it against the
  // stream's own trailer, or decode again where the framing has none). Default: true.
  // Trade-off: costs a software decompression per request; off trusts devices blindly.
  bool verify = true;
  // A request an untrusted device has not completed by then is aborted and done in software.
  // Default: 2 s. Zero disables the timeout (a device that never completes then blocks
  // drain() and the destructor).
  std::chrono::milliseconds timeout{2000};
};

// A snapshot of one device for listing.
struct DeviceReport {
  DeviceInfo info;
  DeviceStats stats;
};

class Accel {
 public:
  // Probes the providers. Fails (nullptr, *error set) only for a bad option, such as a fault
  // spec that does not parse or a plugin path that does not load.
  static std::unique_ptr<Accel> open(const AccelOptions& options, std::string* error);

  virtual ~Accel() = default;

  // Devices found, highest priority first; the cpu device is always among them.
  virtual std::vector<DeviceReport> devices() const = 0;

  // Asynchronous submit. kOk: taken; completion is delivered once, by req->on_complete on a
  // framework thread, or (on_complete == nullptr) by poll(). kBusy: backpressure, nothing
  // taken. kUnsupported: no device, not even software, can do this request shape.
  virtual Status submit(Request* req) = 0;

  // Submit many requests; returns how many of the leading ones were taken (the first one not
  // taken was refused with kBusy — or kUnsupported if no device can do it; submit() it alone
  // to tell). Much cheaper per request than submit() for small requests: consecutive requests
  // bound for the same device go to it in one call per instance.
  virtual size_t submit_batch(std::span<Request* const> reqs) = 0;

  // Hands out up to `max` finished requests whose on_complete is nullptr, writing them to
  // `out`; returns how many. With `wait`, blocks until at least one is ready or none is in
  // flight.
  virtual size_t poll(std::span<Request*> out, bool wait) = 0;

  // Synchronous: submit (retrying while busy), wait, and return the result. req.on_complete
  // must be nullptr; it stays untouched.
  virtual Result run(Request& req) = 0;

  // Waits until every submitted request has been delivered (callbacks have returned; polled
  // requests are ready to poll).
  virtual void drain() = 0;
};

}  // namespace accz
