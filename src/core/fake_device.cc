// The scriptable fake device (see fake_device.h).
#include "core/fake_device.h"

#include "providers/cpu/cpu_device.h"

namespace accz::testing {

FakeDevice::FakeDevice(FakeOptions options, CompletionSink* sink)
    : options_(std::move(options)), sink_(sink) {
  if (options_.info.instances == 0) options_.info.instances = 1;
  if (options_.info.queue_depth == 0) options_.info.queue_depth = 64;
  depth_.assign(options_.info.instances, 0);
  per_instance_.assign(options_.info.instances, 0);
  for (uint32_t i = 0; i < std::max<uint32_t>(options_.workers, 1); ++i)
    threads_.emplace_back([this] { work(); });
}

FakeDevice::~FakeDevice() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  // Anything still held (kHang without a timeout) is failed, so no request is lost.
  std::vector<Request*> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.assign(held_.begin(), held_.end());
    held_.clear();
  }
  for (Request* r : left) {
    r->result = Result{};
    r->result.status = Status::kDeviceError;
    sink_->complete(r);
  }
}

bool FakeDevice::supports(const Request& req) const {
  return !options_.supports || options_.supports(req);
}

Status FakeDevice::submit(Request* req, uint32_t instance) {
  Request* const one[1] = {req};
  if (submit_batch(one, instance) == 1) return Status::kOk;
  FakeAction a = options_.script ? options_.script(*req) : FakeAction::kOk;
  return a == FakeAction::kUnsupported ? Status::kUnsupported : Status::kBusy;
}

size_t FakeDevice::submit_batch(std::span<Request* const> reqs, uint32_t instance) {
  instance %= options_.info.instances;
  size_t taken = 0;
  std::vector<Request*> now_done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Request* r : reqs) {
      FakeAction a = options_.script ? options_.script(*r) : FakeAction::kOk;
      if (a == FakeAction::kBusy || a == FakeAction::kUnsupported ||
          depth_[instance] >= options_.info.queue_depth) {
        busy_.fetch_add(1);
        break;
      }
      if (a == FakeAction::kInline) {
        now_done.push_back(r);
        ++taken;
        continue;
      }
      ++depth_[instance];
      ++per_instance_[instance];
      r->internal.device_data = instance;
      held_.insert(r);
      auto when = std::chrono::steady_clock::now();
      if (a == FakeAction::kLate) {
        // Spread over [0.5, 1.5) x late_delay so completions land on both sides of a
        // timeout of late_delay.
        auto h = (reinterpret_cast<uintptr_t>(r) >> 4) * 0x9e3779b97f4a7c15ull;
        when += options_.late_delay * static_cast<int64_t>(50 + (h >> 32) % 100) / 100;
      }
      if (a != FakeAction::kHang) queue_.push_back(Job{r, a, when});
      ++taken;
    }
  }
  submitted_.fetch_add(taken);
  if (taken) cv_.notify_all();
  for (Request* r : now_done) execute(r, FakeAction::kOk);
  return taken;
}

bool FakeDevice::abort(Request* req) {
  std::lock_guard<std::mutex> lock(mu_);
  if (held_.erase(req) == 0) {
    abort_refused_.fetch_add(1);
    return false;  // a worker claimed it: the completion is on its way
  }
  --depth_[req->internal.device_data];
  // A queued job for it stays in the queue; the worker sees it is no longer held.
  aborted_.fetch_add(1);
  return true;
}

void FakeDevice::work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stop_) return;
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (queue_.front().not_before > now) {
      const auto until = queue_.front().not_before;  // the job may be gone when we wake
      cv_.wait_until(lock, until);
      continue;
    }
    Job job = queue_.front();
    queue_.pop_front();
    // Claim it; an aborted request is no longer ours to touch.
    if (held_.erase(job.req) == 0) continue;
    --depth_[job.req->internal.device_data];
    lock.unlock();
    execute(job.req, job.action);
    lock.lock();
  }
}

void FakeDevice::execute(Request* req, FakeAction action) {
  req->result = Result{};
  if (action == FakeAction::kError) {
    req->result.status = Status::kDeviceError;
  } else {
    run_in_software(req);
    Result& r = req->result;
    switch (action) {
      case FakeAction::kCorrupt:
        if (r.produced) {
          size_t at = r.produced / 2;
          for (auto& d : req->dst) {
            if (at < d.size()) {
              d[at] ^= 0x10;
              break;
            }
            at -= d.size();
          }
        }
        break;
      case FakeAction::kTruncate:
        r.produced -= std::max<size_t>(r.produced / 4, r.produced ? 1 : 0);
        break;
      case FakeAction::kBadChecksum:
        r.checksum ^= 0x5a5a;
        break;
      case FakeAction::kClaimBadData:
        r = Result{};
        r.status = Status::kBadData;
        break;
      default:
        break;
    }
  }
  req->result.device = options_.info.name;
  completed_.fetch_add(1);
  sink_->complete(req);
}

DeviceStats FakeDevice::stats() const {
  DeviceStats s;
  s.requests = completed_.load();
  s.busy = busy_.load();
  return s;
}

std::vector<uint64_t> FakeDevice::per_instance() const {
  std::lock_guard<std::mutex> lock(mu_);
  return per_instance_;
}

}  // namespace accz::testing
