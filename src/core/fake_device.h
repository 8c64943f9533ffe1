// fake_device.h — a scriptable Device for the Accel's tests: it does the real work in
// software (run_in_software) and then, per request, does what a script says: refuse, fail,
// corrupt or truncate its output, lie about the checksum or status, hang until aborted, or
// complete just as the router's timeout fires. Test support only; not part of libaccz.
//
// Thread-safety: as accz::Device. Completions come from the device's worker threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "accz/device.h"

namespace accz::testing {

enum class FakeAction {
  kOk,            // do it right
  kBusy,          // refuse at submit: queue full
  kUnsupported,   // refuse at submit: cannot do this shape
  kError,         // complete with kDeviceError
  kCorrupt,       // flip one bit of the output
  kTruncate,      // claim a quarter less output than was produced
  kBadChecksum,   // report a wrong checksum
  kClaimBadData,  // complete with kBadData whatever the input
  kHang,          // never complete unless aborted (or the device is destroyed)
  kLate,          // complete after about `late_delay`, racing the router's abort()
  kInline,        // complete inside submit(), on the submitting thread
};

struct FakeOptions {
  DeviceInfo info;  // name, priority, trusted, instances, queue_depth, limits
  uint32_t workers = 2;
  std::function<bool(const Request&)> supports;      // default: everything
  std::function<FakeAction(const Request&)> script;  // default: always kOk
  std::chrono::microseconds late_delay{1000};
};

class FakeDevice final : public Device {
 public:
  FakeDevice(FakeOptions options, CompletionSink* sink);
  ~FakeDevice() override;  // completes held requests with kDeviceError, joins workers

  const DeviceInfo& info() const override { return options_.info; }
  bool supports(const Request& req) const override;
  Status submit(Request* req, uint32_t instance) override;
  size_t submit_batch(std::span<Request* const> reqs, uint32_t instance) override;
  bool abort(Request* req) override;
  DeviceStats stats() const override;

  uint64_t submitted() const { return submitted_.load(); }
  uint64_t completed() const { return completed_.load(); }
  uint64_t aborted() const { return aborted_.load(); }
  uint64_t abort_refused() const { return abort_refused_.load(); }
  std::vector<uint64_t> per_instance() const;

 private:
  struct Job {
    Request* req;
    FakeAction action;
    std::chrono::steady_clock::time_point not_before;
  };
  void work();
  void execute(Request* req, FakeAction action);

  FakeOptions options_;
  CompletionSink* const sink_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;               // guarded by mu_
  std::unordered_set<Request*> held_;   // guarded by mu_: accepted, not yet claimed
  std::vector<uint32_t> depth_;         // guarded by mu_: held per instance
  std::vector<uint64_t> per_instance_;  // guarded by mu_: accepted per instance
  bool stop_ = false;                   // guarded by mu_
  std::atomic<uint64_t> submitted_{0}, completed_{0}, aborted_{0}, abort_refused_{0};
  std::atomic<uint64_t> busy_{0};
  std::vector<std::thread> threads_;
};

}  // namespace accz::testing
