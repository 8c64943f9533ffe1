// accel_impl.h — the Accel behind accz/accel.h: routes requests to devices, falls back to the
// software floor, verifies untrusted output, times out stuck requests, and delivers every
// request exactly once (by callback, to poll(), or to a synchronous run()).
//
// It is the CompletionSink of every device it owns. Accel::open (accel.cc) probes the
// providers into it; tests build one directly with scripted devices.
//
// The life of a request (state machine in core/request_state.h):
//   submit -> route -> Device::submit on an instance  (refused: the floor, or kBusy)
//          -> device completes -> [untrusted: judge status, verify output; bad: software]
//          -> deliver.
//   An untrusted device's request also sits in the timeout heap; on expiry it is aborted and
//   redone on the floor, unless the device says the completion is already on its way.
//
// Thread-safety: as accz::Accel. Setup (add_device, start) is single-threaded, before use.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "accz/accel.h"
#include "accz/device.h"
#include "core/completion_queue.h"
#include "core/router.h"
#include "core/sync_waiter.h"
#include "core/timeout_tracker.h"

namespace accz {

class AccelImpl final : public Accel, public CompletionSink {
 public:
  explicit AccelImpl(const AccelOptions& options);
  ~AccelImpl() override;

  // Setup. Devices created for this Accel must deliver to sink(). Exactly one device is the
  // floor: trusted, and able to do everything software can (the cpu device).
  CompletionSink* sink() { return this; }
  void add_device(std::unique_ptr<Device> device, bool floor);
  // Sorts the devices and starts the timer; returns an error message, or "" when ready.
  std::string start();

  // accz::Accel
  std::vector<DeviceReport> devices() const override;
  Status submit(Request* req) override;
  size_t submit_batch(std::span<Request* const> reqs) override;
  size_t poll(std::span<Request*> out, bool wait) override;
  Result run(Request& req) override;
  void drain() override;

  // accz::CompletionSink
  void complete(Request* req) override;

  // For tests: requests currently armed in the timeout heap.
  size_t timers_armed() const;

 private:
  void prepare(Request* req, SyncWaiter* waiter, std::chrono::steady_clock::time_point now);
  Status submit_prepared(Request* req);
  size_t offer(DeviceSlot* slot, std::span<Request* const> reqs, Status* refusal);
  void accepted(DeviceSlot* slot, std::span<Request* const> reqs);
  void finish_early(Request* req);
  void finish(Request* req);
  void redo_inline(Request* req, FallbackReason why);
  void on_timeout(Request* req);
  void deliver(Request* req, const DeviceSlot* by);
  void drive_devices();

  const AccelOptions options_;
  Router router_;
  CompletionQueue queue_;
  std::unique_ptr<TimeoutTracker> timer_;  // only when some device is timed
};

}  // namespace accz
