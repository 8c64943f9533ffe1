// The cpu device: N instance queues, one worker thread each, running run_in_software().
#include "providers/cpu/cpu_device.h"

#include <pthread.h>

#include <array>
#include <string>
#include <thread>

#include "accz/engine.h"
#include "providers/cpu/cpu_counters.h"
#include "providers/cpu/engine_choice.h"
#include "providers/cpu/instance_queue.h"

namespace accz {
namespace {

// Requests a worker takes per lock. Large enough to amortise the lock and the wake-up over
// 4 KiB requests, small enough that abort() still finds most queued requests.
constexpr size_t kPopBatch = 32;

DeviceInfo describe(const CpuDeviceOptions& options, uint32_t instances) {
  DeviceInfo info;
  info.name = options.name;
  info.provider = "cpu";
  info.description = "software engines on " + std::to_string(instances) + " worker threads";
  info.instances = instances;
  info.queue_depth = std::max<uint32_t>(options.queue_depth, 1);
  info.framings = {Framing::kRaw,      Framing::kZlib,     Framing::kGzip,
                   Framing::kLz4Block, Framing::kLz4Frame, Framing::kZstdFrame};
  info.deflate_min_level = 0;
  info.deflate_max_level = 9;
  for (const Engine* e : engines()) {
    const EngineCaps& caps = e->caps();
    info.engines.emplace_back(caps.name);
    if (caps.name == "lz4") {
      info.lz4_min_level = caps.min_level;
      info.lz4_max_level = caps.max_level;
    } else if (caps.name == "zstd") {
      info.zstd_min_level = caps.min_level;
      info.zstd_max_level = caps.max_level;
    }
  }
  info.trusted = true;
  info.priority = 0;
  return info;
}

class CpuDevice final : public Device {
 public:
  CpuDevice(const CpuDeviceOptions& options, CompletionSink* sink)
      : info_(describe(options, resolve_instances(options.instances))), sink_(sink) {
    // Result::device is a view; the literal outlives any request, a custom name lives here.
    device_name_ = info_.name == "cpu" ? std::string_view("cpu") : std::string_view(info_.name);
    slots_.reserve(info_.instances);
    for (uint32_t i = 0; i < info_.instances; ++i) {
      slots_.push_back(std::make_unique<Slot>(info_.queue_depth));
    }
    for (uint32_t i = 0; i < info_.instances; ++i) {
      slots_[i]->worker = std::thread([this, i] { work(i); });
    }
  }

  ~CpuDevice() override {
    for (auto& slot : slots_) slot->queue.close();
    for (auto& slot : slots_) slot->worker.join();
  }

  const DeviceInfo& info() const override { return info_; }

  bool supports(const Request& req) const override {
    EnginePlan plan;
    return choose_engine(req, &plan) == Status::kOk;
  }

  Status submit(Request* req, uint32_t instance) override {
    if (!supports(*req)) return Status::kUnsupported;
    Request* const one[] = {req};
    return submit_batch(one, instance) == 1 ? Status::kOk : Status::kBusy;
  }

  size_t submit_batch(std::span<Request* const> reqs, uint32_t instance) override {
    // Only the leading supported requests are offered: the count returned must describe a
    // prefix, and an unsupported one must not be taken.
    size_t n = 0;
    while (n < reqs.size() && supports(*reqs[n])) ++n;
    if (n == 0) return 0;
    Slot& slot = *slots_[instance % slots_.size()];
    // Requests marked inline_ok run here, in order with the others: each run of unmarked
    // ones is queued before the next marked one runs.
    size_t taken = 0;
    while (taken < n) {
      if (reqs[taken]->inline_ok) {
        run_here(reqs[taken]);
        ++taken;
        continue;
      }
      size_t end = taken + 1;
      while (end < n && !reqs[end]->inline_ok) ++end;
      const size_t queued =
          slot.queue.push(reqs.subspan(taken, end - taken), std::chrono::steady_clock::now());
      taken += queued;
      if (taken < end) {
        slot.counters.refused(n - taken);
        break;
      }
    }
    return taken;
  }

  bool abort(Request* req) override {
    for (auto& slot : slots_) {
      if (slot->queue.remove(req)) return true;
    }
    return false;
  }

  DeviceStats stats() const override {
    DeviceStats s;
    for (const auto& slot : slots_) slot->counters.add_to(&s);
    inline_counters_.add_to(&s);
    return s;
  }

 private:
  struct Slot {
    explicit Slot(uint32_t depth) : queue(depth) {}
    InstanceQueue queue;
    CpuCounters counters;
    std::thread worker;
  };

  static uint32_t resolve_instances(uint32_t requested) {
    if (requested != 0) return requested;
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : hw;
  }

  // A request run on the submitting thread: what a worker does with it, without the queue.
  void run_here(Request* req) {
    const auto start = std::chrono::steady_clock::now();
    run_in_software(req);
    req->result.device = device_name_;
    inline_counters_.record_shared(*req, start, std::chrono::steady_clock::now());
    sink_->complete(req);
  }

  void work(uint32_t index) {
    const std::string thread_name = "accz-cpu-" + std::to_string(index);
    pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
    Slot& slot = *slots_[index];
    std::array<Request*, kPopBatch> batch;
    while (size_t n = slot.queue.pop_batch(batch)) {
      for (size_t i = 0; i < n; ++i) {
        Request* req = batch[i];
        run_in_software(req);
        req->result.device = device_name_;
        // Counted and its slot freed before the sink sees it: after complete() the request
        // is no longer ours, and a callback that resubmits must find room.
        // Latency from the router's submit when there is a router, else from our queue.
        const auto start = req->internal.submitted.time_since_epoch().count() != 0
                               ? req->internal.submitted
                               : InstanceQueue::queued_at(*req);
        slot.counters.record(*req, start, std::chrono::steady_clock::now());
        slot.queue.done();
        sink_->complete(req);
      }
    }
  }

  const DeviceInfo info_;
  CompletionSink* const sink_;
  std::string_view device_name_;
  std::vector<std::unique_ptr<Slot>> slots_;
  CpuCounters inline_counters_;  // requests run on their submitting threads
};

}  // namespace

std::unique_ptr<Device> make_cpu_device(const CpuDeviceOptions& options, CompletionSink* sink) {
  return std::make_unique<CpuDevice>(options, sink);
}

}  // namespace accz
