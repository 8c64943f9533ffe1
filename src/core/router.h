// router.h — the devices an Accel owns, in routing order, and the choice of device and
// instance for each request.
//
// Order: highest DeviceInfo::priority first; the software floor (the cpu device) last
// whatever its priority, so every request that anything can do has somewhere to go.
// A request goes to the first device that is not too small for it (min_offload), not too big
// (max_request) and whose supports() accepts it; the floor only needs supports().
//
// Thread-safety: add()/freeze() once at open, single-threaded; afterwards route(),
// next_instance() and the counters are safe from any thread.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "accz/device.h"
#include "accz/stats.h"

namespace accz {

// The router's record of one device; Request::internal.device points at it.
struct DeviceSlot {
  std::unique_ptr<Device> device;
  DeviceInfo info;     // copied at open: routing reads it without calling the device
  bool floor = false;  // the software floor (cpu)
  bool timed = false;  // untrusted and a timeout is configured
  // Requests taken from this device and finished in software, by reason.
  std::array<std::atomic<uint64_t>, static_cast<size_t>(FallbackReason::kCount)> fallbacks{};

  void count(FallbackReason why, uint64_t n = 1) {
    fallbacks[static_cast<size_t>(why)].fetch_add(n, std::memory_order_relaxed);
  }
  // Device stats with the router's fallback counts merged in.
  DeviceStats stats() const;
};

class Router {
 public:
  // Takes a device. Exactly one must be the floor, and it must be trusted.
  void add(std::unique_ptr<Device> device, bool floor);
  // Sorts into routing order and checks the set; returns an error message or "".
  std::string freeze(bool timeouts_enabled);

  // The device for `req` (src_len = req.src_size()), or nullptr if none, not even the
  // floor, supports it.
  DeviceSlot* route(const Request& req, size_t src_len) const;

  DeviceSlot* floor() const { return floor_; }
  const std::vector<std::unique_ptr<DeviceSlot>>& slots() const { return slots_; }
  bool any_timed() const;

  // An instance for the calling thread: threads start at different instances and then go
  // round-robin, so concurrent submitters spread without sharing a counter.
  static uint32_t next_instance(const DeviceSlot& slot);

  // Destroys the devices (joins their threads). REQUIRES: nothing in flight.
  void clear();

 private:
  std::vector<std::unique_ptr<DeviceSlot>> slots_;
  DeviceSlot* floor_ = nullptr;
};

}  // namespace accz
