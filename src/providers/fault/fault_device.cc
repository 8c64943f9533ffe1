// The fault-injecting device: a cpu device behind a layer that refuses, fails, holds, delays,
// reorders and damages requests according to a FaultSpec.
//
// Every request the device has accepted has one Entry in `entries_`, guarded by `mu_`; the
// entry's stage says who may deliver it. Whoever removes the entry under the lock (the inner
// completion, the timer thread, a reorder flush, abort() or the destructor) owns the request
// from then on, which is what makes delivery exactly-once despite the races between them.
// Timer and reorder records carry the entry's id, so a record left behind by an aborted
// request can never release a later submission of the same Request object.
#include "providers/fault/fault_device.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "providers/fault/fault_mutate.h"

namespace accz {
namespace {

using Clock = std::chrono::steady_clock;

// Reordering holds at most this many completions, for at most this long, then releases
// them shuffled: enough to scramble the order, never enough to look like a timeout.
constexpr size_t kReorderBatch = 8;
constexpr auto kReorderWindow = std::chrono::milliseconds(5);

enum class Stage : uint8_t {
  kInner,         // in the inner cpu device
  kErrorPending,  // will be completed with kDeviceError by the timer thread
  kTimeoutHeld,   // held until abort() or destruction
  kSlowHeld,      // work done; the timer thread releases it after slow_ms
  kReorderHeld,   // work done; waiting in the reorder batch
};

struct Entry {
  uint64_t id = 0;
  Stage stage = Stage::kInner;
  fault::Draw draw;
  Clock::time_point submitted;
};

struct TimerEvent {
  Clock::time_point when;
  uint64_t seq = 0;        // ties broken by scheduling order
  Request* req = nullptr;  // nullptr: flush the reorder batch
  uint64_t id = 0;
  bool operator>(const TimerEvent& o) const { return when != o.when ? when > o.when : seq > o.seq; }
};

// The result of work the device never did.
Result device_error() {
  Result r;
  r.status = Status::kDeviceError;
  return r;
}

// A request taken out of `entries_`: whoever holds it must deliver it.
struct Ready {
  Request* req;
  Clock::time_point submitted;
};

class FaultDevice final : public Device, public CompletionSink {
 public:
  FaultDevice(FaultSpec spec, const CpuDeviceOptions& inner_options, CompletionSink* sink)
      : spec_(std::move(spec)), sink_(sink), shuffle_state_(spec_.seed ^ 0x5eedull) {
    inner_ = make_cpu_device(inner_options, this);
    info_ = inner_->info();
    info_.name = spec_.name;
    info_.provider = "fault";
    info_.description = "fault injection over a cpu device (" + spec_.to_string() + ")";
    info_.trusted = false;
    info_.priority = spec_.priority;
    timer_ = std::thread([this] { timer_loop(); });
  }

  ~FaultDevice() override {
    {
      std::lock_guard lk(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    timer_.join();
    // Requests the inner device still has are completed (or dropped) by its destructor;
    // with closing_ set, complete() passes them straight through.
    inner_.reset();
    std::vector<std::pair<Request*, Entry>> rest;
    {
      std::lock_guard lk(mu_);
      rest.assign(entries_.begin(), entries_.end());
      entries_.clear();
      released_ += rest.size();
    }
    for (auto& [req, e] : rest) {
      // Work never done (error, timeout, or dropped by the inner device) is reported as a
      // device error; finished work is delivered as it is.
      if (e.stage == Stage::kInner || e.stage == Stage::kErrorPending ||
          e.stage == Stage::kTimeoutHeld)
        req->result = device_error();
      deliver({req, e.submitted});
    }
  }

  const DeviceInfo& info() const override { return info_; }

  bool supports(const Request& req) const override { return inner_->supports(req); }

  Status submit(Request* req, uint32_t instance) override {
    fault::Draw d = fault::draw(spec_, draws_.fetch_add(1, std::memory_order_relaxed));
    if (d[FaultKind::kBusy]) {
      count(FaultKind::kBusy);
      busy_.fetch_add(1, std::memory_order_relaxed);
      return Status::kBusy;
    }
    if (d[FaultKind::kUnsupported]) {
      count(FaultKind::kUnsupported);
      return Status::kUnsupported;
    }
    if (!inner_->supports(*req)) return Status::kUnsupported;

    Entry e{.draw = d, .submitted = Clock::now()};
    {
      std::lock_guard lk(mu_);
      if (closing_) return Status::kBusy;
      e.id = next_id_++;
      if (d[FaultKind::kError]) {
        e.stage = Stage::kErrorPending;
        entries_[req] = e;
        schedule_locked(e.submitted, req, e.id);
        count(FaultKind::kError);
        return Status::kOk;
      }
      if (d[FaultKind::kTimeout]) {
        e.stage = Stage::kTimeoutHeld;
        entries_[req] = e;
        count(FaultKind::kTimeout);
        return Status::kOk;
      }
      // Registered before the inner submit: its completion may arrive before submit returns.
      e.stage = Stage::kInner;
      entries_[req] = e;
    }
    Status s = inner_->submit(req, instance);
    if (s != Status::kOk) {
      std::lock_guard lk(mu_);
      entries_.erase(req);
      if (s == Status::kBusy) busy_.fetch_add(1, std::memory_order_relaxed);
    }
    return s;
  }

  bool abort(Request* req) override {
    // Two rounds: if the inner device has just finished the request, the second round may
    // find it held here and still take it back.
    for (int round = 0; round < 2; ++round) {
      uint64_t id;
      {
        std::lock_guard lk(mu_);
        auto it = entries_.find(req);
        if (it == entries_.end()) return false;
        if (it->second.stage != Stage::kInner) {
          entries_.erase(it);
          ++aborted_;
          return true;
        }
        id = it->second.id;
      }
      // Not under mu_: the inner device may be inside complete() waiting for it.
      if (inner_->abort(req)) {
        std::lock_guard lk(mu_);
        auto it = entries_.find(req);
        if (it != entries_.end() && it->second.id == id) entries_.erase(it);
        ++aborted_;
        return true;
      }
    }
    return false;
  }

  size_t poll(size_t max) override { return inner_->poll(max); }

  DeviceStats stats() const override {
    std::lock_guard lk(stats_mu_);
    DeviceStats s = stats_;
    s.busy = busy_.load(std::memory_order_relaxed);
    return s;
  }

  // From the inner cpu device: the work is done; damage, hold or pass it on.
  void complete(Request* req) override {
    std::vector<Ready> ready;
    {
      std::lock_guard lk(mu_);
      auto it = entries_.find(req);
      if (it == entries_.end()) return;  // cannot happen: the inner device had it from us
      Entry& e = it->second;
      if (e.draw[FaultKind::kTruncate] && fault::truncate_output(req, e.draw.noise))
        count(FaultKind::kTruncate);
      if (e.draw[FaultKind::kCorrupt] && fault::corrupt_output(req, std::rotl(e.draw.noise, 17)))
        count(FaultKind::kCorrupt);
      if (!closing_ && e.draw[FaultKind::kSlow]) {
        e.stage = Stage::kSlowHeld;
        count(FaultKind::kSlow);
        schedule_locked(Clock::now() + std::chrono::milliseconds(spec_.slow_ms), req, e.id);
      } else if (!closing_ && e.draw[FaultKind::kReorder]) {
        hold_for_reorder_locked(req, e, &ready);
      } else {
        ready.push_back({req, e.submitted});
        entries_.erase(it);
      }
    }
    for (const Ready& r : ready) deliver(r);
  }

  FaultCounts counts() const {
    FaultCounts c;
    for (size_t k = 0; k < kFaultKinds; ++k)
      c.injected[k] = injected_[k].load(std::memory_order_relaxed);
    std::lock_guard lk(mu_);
    c.aborted = aborted_;
    c.released = released_;
    return c;
  }

 private:
  void count(FaultKind k) { injected_[static_cast<size_t>(k)].fetch_add(1); }

  void schedule_locked(Clock::time_point when, Request* req, uint64_t id) {
    timers_.push({when, next_seq_++, req, id});
    cv_.notify_one();
  }

  void hold_for_reorder_locked(Request* req, Entry& e, std::vector<Ready>* ready) {
    e.stage = Stage::kReorderHeld;
    count(FaultKind::kReorder);
    reorder_.emplace_back(req, e.id);
    if (reorder_.size() >= kReorderBatch)
      take_reorder_batch_locked(ready);
    else if (reorder_.size() == 1)
      schedule_locked(Clock::now() + kReorderWindow, nullptr, 0);
  }

  // Moves the reorder batch, shuffled, to `ready`, skipping records of aborted requests.
  void take_reorder_batch_locked(std::vector<Ready>* ready) {
    size_t first = ready->size();
    for (auto [req, id] : reorder_) {
      auto it = entries_.find(req);
      if (it == entries_.end() || it->second.id != id || it->second.stage != Stage::kReorderHeld)
        continue;
      ready->push_back({req, it->second.submitted});
      entries_.erase(it);
    }
    reorder_.clear();
    for (size_t i = ready->size(); i > first + 1; --i) {
      size_t j = first + fault::splitmix64(&shuffle_state_) % (i - first);
      std::swap((*ready)[i - 1], (*ready)[j]);
    }
  }

  // Applies one due timer record; requests to deliver go to `ready`.
  void fire_locked(const TimerEvent& ev, std::vector<Ready>* ready) {
    if (!ev.req) {
      take_reorder_batch_locked(ready);
      return;
    }
    auto it = entries_.find(ev.req);
    if (it == entries_.end() || it->second.id != ev.id) return;  // aborted meanwhile
    Entry& e = it->second;
    if (e.stage == Stage::kErrorPending) {
      ev.req->result = device_error();
    } else if (e.stage != Stage::kSlowHeld) {
      return;
    } else if (e.draw[FaultKind::kReorder]) {
      hold_for_reorder_locked(ev.req, e, ready);
      return;
    }
    ready->push_back({ev.req, e.submitted});
    entries_.erase(it);
  }

  void timer_loop() {
    std::unique_lock lk(mu_);
    while (!closing_) {
      if (timers_.empty()) {
        cv_.wait(lk);
        continue;
      }
      TimerEvent ev = timers_.top();
      if (Clock::now() < ev.when) {
        cv_.wait_until(lk, ev.when);
        continue;
      }
      timers_.pop();
      std::vector<Ready> ready;
      fire_locked(ev, &ready);
      if (ready.empty()) continue;
      lk.unlock();
      for (const Ready& r : ready) deliver(r);
      lk.lock();
    }
  }

  // Hands a request this device owns to the sink. Called without mu_ held.
  void deliver(const Ready& r) {
    Request* req = r.req;
    req->result.device = info_.name;
    uint64_t ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - r.submitted).count());
    {
      std::lock_guard lk(stats_mu_);
      ++stats_.requests;
      stats_.bytes_in += req->result.consumed;
      stats_.bytes_out += req->result.produced;
      if (req->result.status != Status::kOk)
        ++stats_.errors_by_status[static_cast<size_t>(req->result.status)];
      stats_.latency_ns_total += ns;
      stats_.latency_ns_max = std::max(stats_.latency_ns_max, ns);
      size_t bucket = ns ? static_cast<size_t>(std::bit_width(ns) - 1) : 0;
      ++stats_.latency_log2[std::min(bucket, stats_.latency_log2.size() - 1)];
    }
    sink_->complete(req);  // the request is the caller's from here on
  }

  const FaultSpec spec_;
  CompletionSink* const sink_;
  DeviceInfo info_;
  std::unique_ptr<Device> inner_;

  std::atomic<uint64_t> draws_{0};
  std::array<std::atomic<uint64_t>, kFaultKinds> injected_{};
  std::atomic<uint64_t> busy_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<Request*, Entry> entries_;
  std::priority_queue<TimerEvent, std::vector<TimerEvent>, std::greater<>> timers_;
  std::vector<std::pair<Request*, uint64_t>> reorder_;
  uint64_t next_id_ = 1, next_seq_ = 0;
  uint64_t shuffle_state_;
  uint64_t aborted_ = 0, released_ = 0;
  bool closing_ = false;
  std::thread timer_;

  mutable std::mutex stats_mu_;
  DeviceStats stats_;
};

}  // namespace

std::unique_ptr<Device> make_fault_device(std::string_view spec, const CpuDeviceOptions& inner,
                                          CompletionSink* sink, std::string* error) {
  std::optional<FaultSpec> parsed = parse_fault_spec(spec, error);
  if (!parsed) return nullptr;
  return std::make_unique<FaultDevice>(std::move(*parsed), inner, sink);
}

std::optional<FaultCounts> fault_counts(const Device& device) {
  if (auto* f = dynamic_cast<const FaultDevice*>(&device)) return f->counts();
  return std::nullopt;
}

}  // namespace accz
