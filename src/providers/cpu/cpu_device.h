// cpu_device.h — the software device: instances (bounded queues) served by worker threads
// that run the engines. Always present; the floor every other device falls back to.
//
// Queues: an instance holds at most queue_depth outstanding requests, counting the ones its
// worker has taken; a request's slot is freed just before the sink sees it, so a completion
// callback can resubmit. abort() succeeds only while the request is still queued. The
// destructor finishes every queued request (each completed once) and joins the workers.
// Result::device is "cpu", or a view of the device's own name (valid while it lives) if
// CpuDeviceOptions::name is another. Latency counts from internal.submitted when the router
// set it, else from the device's own queueing time (kept in internal.device_data).
//
// A request marked Request::inline_ok runs inside submit()/submit_batch() on the submitting
// thread, and its completion reaches the sink there, before submit returns; it takes no queue
// slot, so it is never refused as busy.
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
// Which engine runs which request shape: see engine_choice.h.
//
// Result: kOk with consumed, produced, end and the checksum of the uncompressed bytes
// (Adler-32 for kZlib, else CRC-32) continuing from checksum_seed. kIncompressible (only with
// incompressible_ok): nothing produced; checksum still covers the input. kOutputOverflow: dst
// too small; nothing usable produced. kBadData: corrupt or truncated input. kUnsupported: no
// engine can do the shape (e.g. a flush or dictionary on a framing other than kRaw). On any
// status but kOk, consumed and produced are 0 and dst holds unspecified bytes.
//
// Thread-safe; keeps per-thread engine contexts and bounce buffers (thread_context.h), so
// small requests allocate nothing after the first of each shape.
void run_in_software(Request* req);

}  // namespace accz
