// A plugin device: accz::Device over the C function table of a loaded plugin.
//
// Each request in the plugin has a Call (its translated C request and bookkeeping) owned by
// `calls_`. The plugin's cookie is the Call itself. An abort() in progress marks its Call so
// that a completion racing with it parks the Call in `limbo_` instead of freeing it: the
// address stays reserved until the plugin's abort() has returned, so a new request can
// never be given the cookie the plugin is being asked to abort.
#include "providers/plugin/plugin_device.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "providers/plugin/abi_bridge.h"

namespace accz::plugin {
namespace {

using Clock = std::chrono::steady_clock;

class PluginDevice;

struct Call {
  Call(Request* r, PluginDevice* d) : req(r), device(d), creq(*r), submitted(Clock::now()) {}
  Request* const req;
  PluginDevice* const device;
  const CRequest creq;
  const Clock::time_point submitted;
  bool aborting = false;  // guarded by the device's mutex
};

class PluginDevice final : public Device {
 public:
  PluginDevice(std::shared_ptr<Library> lib, uint32_t index, DeviceInfo info, CompletionSink* sink)
      : lib_(std::move(lib)), index_(index), info_(std::move(info)), sink_(sink) {}

  ~PluginDevice() override {
    // The plugin may still be working on requests; their buffers are the caller's, so we
    // cannot go (and let destroy() run) until it has completed them.
    std::unique_lock lk(mu_);
    idle_.wait(lk, [this] { return calls_.empty() && limbo_.empty() && delivering_ == 0; });
  }

  const DeviceInfo& info() const override { return info_; }

  bool supports(const Request& req) const override {
    if (!within_limits(info_, req)) return false;
    CRequest c(req);
    return lib_->table().supports(lib_->ctx(), index_, c.get()) != 0;
  }

  Status submit(Request* req, uint32_t instance) override {
    auto owned = std::make_unique<Call>(req, this);
    Call* call = owned.get();
    {
      // Registered first: the plugin may complete it on another thread before submit returns.
      std::lock_guard lk(mu_);
      calls_[req] = std::move(owned);
    }
    uint32_t s = lib_->table().submit(lib_->ctx(), index_, instance, call->creq.get(),
                                      &PluginDevice::on_done, call);
    if (s == ACCZ_STATUS_OK) return Status::kOk;
    std::lock_guard lk(mu_);
    calls_.erase(req);
    if (s == ACCZ_STATUS_BUSY) ++busy_;
    idle_.notify_all();
    Status st = to_status(s);
    return st == Status::kOk ? Status::kDeviceError : st;
  }

  bool abort(Request* req) override {
    Call* call;
    {
      std::lock_guard lk(mu_);
      auto it = calls_.find(req);
      if (it == calls_.end()) return false;
      call = it->second.get();
      call->aborting = true;
    }
    // Not under mu_: the plugin may be completing this very request, and its callback
    // needs mu_.
    bool stopped = lib_->table().abort(lib_->ctx(), index_, call) == 1;
    std::lock_guard lk(mu_);
    if (stopped) {
      calls_.erase(req);
      ++aborted_;
    } else {
      auto it = std::find_if(limbo_.begin(), limbo_.end(),
                             [call](const auto& c) { return c.get() == call; });
      if (it != limbo_.end())
        limbo_.erase(it);  // completed meanwhile; its completion was delivered
      else
        call->aborting = false;  // completion still to come, through the normal path
    }
    idle_.notify_all();
    return stopped;
  }

  size_t poll(size_t max) override {
    auto fn = lib_->table().poll;
    return fn ? fn(lib_->ctx(), index_, max) : 0;
  }

  DeviceStats stats() const override {
    std::lock_guard lk(mu_);
    DeviceStats s = stats_;
    s.busy = busy_;
    return s;
  }

 private:
  static void on_done(void* cookie, const accz_result* result) {
    auto* call = static_cast<Call*>(cookie);
    call->device->finish(call, *result);
  }

  void finish(Call* call, const accz_result& c_result) {
    Request* req = call->req;
    Clock::time_point submitted = call->submitted;
    std::unique_ptr<Call> owned;
    {
      std::lock_guard lk(mu_);
      auto it = calls_.find(req);
      if (it == calls_.end() || it->second.get() != call) return;  // a broken plugin's double call
      if (call->aborting)
        limbo_.push_back(std::move(it->second));
      else
        owned = std::move(it->second);
      calls_.erase(it);
      ++delivering_;
    }
    to_result(c_result, *req, &req->result);
    req->result.device = info_.name;
    record(req->result, submitted);
    owned.reset();
    sink_->complete(req);  // the request is the caller's from here on
    // Notified after the sink has returned, so a destructor waiting for idleness cannot
    // tear the device down under a completion still running on this thread.
    std::lock_guard lk(mu_);
    --delivering_;
    idle_.notify_all();
  }

  void record(const Result& r, Clock::time_point submitted) {
    uint64_t ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - submitted).count());
    std::lock_guard lk(mu_);
    ++stats_.requests;
    stats_.bytes_in += r.consumed;
    stats_.bytes_out += r.produced;
    if (r.status != Status::kOk) ++stats_.errors_by_status[static_cast<size_t>(r.status)];
    stats_.latency_ns_total += ns;
    stats_.latency_ns_max = std::max(stats_.latency_ns_max, ns);
    size_t bucket = ns ? static_cast<size_t>(std::bit_width(ns) - 1) : 0;
    ++stats_.latency_log2[std::min(bucket, stats_.latency_log2.size() - 1)];
  }

  const std::shared_ptr<Library> lib_;
  const uint32_t index_;
  const DeviceInfo info_;
  CompletionSink* const sink_;

  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::unordered_map<Request*, std::unique_ptr<Call>> calls_;
  std::vector<std::unique_ptr<Call>> limbo_;  // completed while an abort() was in progress
  DeviceStats stats_;
  size_t delivering_ = 0;  // completions between leaving calls_ and the sink returning
  uint64_t busy_ = 0, aborted_ = 0;
};

}  // namespace

std::unique_ptr<Device> make_plugin_device(std::shared_ptr<Library> lib, uint32_t index,
                                           CompletionSink* sink, std::string* error) {
  accz_device_info ci{};
  if (lib->table().device_info(lib->ctx(), index, &ci) != 0) {
    if (error)
      *error = "plugin '" + lib->path() + "': device_info(" + std::to_string(index) + ") failed";
    return nullptr;
  }
  DeviceInfo info = to_device_info(ci, "plugin:" + lib->path(), lib->table().name);
  if (info.name.empty()) {
    if (error)
      *error = "plugin '" + lib->path() + "': device " + std::to_string(index) + " has no name";
    return nullptr;
  }
  return std::make_unique<PluginDevice>(std::move(lib), index, std::move(info), sink);
}

}  // namespace accz::plugin
