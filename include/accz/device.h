// accz/device.h — the module writer's API: what a provider implements so that accz can
// route requests to its devices. Callers use accz/accel.h instead.
//
// A Provider is probed once at start-up (Accel::open) and yields zero or more Devices. A
// Device owns one or more instances (queue pairs) of bounded depth and completes requests
// asynchronously on its own threads. The `cpu` provider (SIMD engines on worker threads) is
// always present and is the software floor that every other device falls back to.
//
// Thread-safety: Device::submit, abort, poll, info and stats may be called from any thread at
// any time, concurrently. A device calls its CompletionSink from its own threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "accz/request.h"
#include "accz/stats.h"

namespace accz {

// What a device can do, as `accz devices` lists it.
struct DeviceInfo {
  std::string name;      // unique in one Accel: "cpu", "fault", "myhw0"
  std::string provider;  // "cpu", "fault", "plugin:<path>"
  std::string description;
  uint32_t instances = 1;         // queue pairs
  uint32_t queue_depth = 0;       // requests each instance holds before answering kBusy
  std::vector<Framing> framings;  // compress and decompress
  int deflate_min_level = 0, deflate_max_level = 9;
  int lz4_min_level = 1, lz4_max_level = 12;
  int zstd_min_level = 1, zstd_max_level = 19;
  std::vector<std::string> engines;  // software engines behind it, if any
  size_t max_request = 0;            // largest src or dst total in bytes; 0: no limit
  size_t min_offload = 0;            // requests smaller than this are not worth sending
  bool trusted = false;  // output is exact by construction (cpu); else verified in software
  int priority = 0;      // higher is tried first; the cpu provider is 0
};

// Where a device delivers finished requests. The device sets req->result first, then calls
// complete() exactly once per accepted request (never for one it refused, never after a
// successful abort()).
class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  virtual void complete(Request* req) = 0;
};

class Device {
 public:
  virtual ~Device() = default;

  virtual const DeviceInfo& info() const = 0;

  // True if this device can take a request of this shape (operation, framing, level, flush,
  // dictionary, size). Cheap and side-effect free.
  virtual bool supports(const Request& req) const = 0;

  // Take `req` for asynchronous processing on instance `instance % info().instances`.
  // kOk: accepted; the sink will see it once. kBusy: that queue is full. kUnsupported: the
  // shape is not supported. On anything but kOk the device keeps no reference to `req`.
  virtual Status submit(Request* req, uint32_t instance) = 0;

  // Submit many at once into one instance; cheaper per request than submit(). Returns how
  // many of the leading requests were accepted (the rest were refused with kBusy).
  // The default submits one by one; devices with a real queue override it to take a whole
  // run under one lock and one wake-up.
  virtual size_t submit_batch(std::span<Request* const> reqs, uint32_t instance) {
    size_t n = 0;
    for (Request* r : reqs) {
      if (submit(r, instance) != Status::kOk) break;
      ++n;
    }
    return n;
  }

  // Stop working on `req`. Returns true if the device guarantees it will never again touch
  // the request or its buffers and will not complete it; false if it has completed or is
  // about to (the completion will arrive as usual).
  virtual bool abort(Request* req) = 0;

  // Drive completions for devices without threads of their own; returns how many completed.
  virtual size_t poll([[maybe_unused]] size_t max) { return 0; }

  virtual DeviceStats stats() const = 0;
};

// Configuration handed to providers, parsed from AccelOptions.
struct ProviderConfig {
  uint32_t cpu_instances = 0;             // 0: one per online core
  uint32_t queue_depth = 1024;            // per instance
  std::string fault_spec;                 // see providers/fault; empty: no fault device
  std::vector<std::string> plugin_paths;  // shared objects implementing accz/provider_abi.h
};

// A provider creates its devices at probe time. Providers that find no hardware return
// none; that is not an error.
class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string_view name() const = 0;
  virtual std::vector<std::unique_ptr<Device>> probe(const ProviderConfig& config,
                                                     CompletionSink* sink, std::string* error) = 0;
};

}  // namespace accz
