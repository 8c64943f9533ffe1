// cpu_device.h — the software device: instances (bounded queues) served by worker threads
// that run the engines. Always present; the floor every other device falls back to.
//
// Thread-safety: as accz::Device (all entry points concurrent-safe).
#pragma once

#include <memory>
#include <string>

#include "accz/device.h"

namespace accz {

struct CpuDeviceOptions {
  std::string name = "cpu";
  uint32_t instances = 0;  // 0: one per online core; one worker thread per instance
  uint32_t queue_depth = 1024;
};

// A new cpu device delivering completions to `sink` (which must outlive it).
std::unique_ptr<Device> make_cpu_device(const CpuDeviceOptions& options, CompletionSink* sink);

// Runs one request to completion on the calling thread with the software engines; fills
// req->result (never kBusy). The cpu device's workers and the router's fallback use this.
// Thread-safe; keeps per-thread engine contexts.
void run_in_software(Request* req);

}  // namespace accz
