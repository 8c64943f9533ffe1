// Routing, fallback, verification, timeouts and delivery (see accel_impl.h).
#include "core/accel_impl.h"

#include <algorithm>
#include <thread>

#include "core/request_state.h"
#include "core/verify.h"
#include "providers/cpu/cpu_device.h"

namespace accz {

namespace rs = request_state;
using std::chrono::steady_clock;

namespace {

// Batches are cut into pieces of at least this many requests per instance, so a batch
// spreads over the instances without paying a device call per request.
constexpr size_t kMinPiece = 32;
// How long a device thread's completion waits for its submitter to arm the timer before
// leaving the request to the submitter (which then runs the callback on its own thread).
constexpr int kArmWaitYields = 1000;
// How often waiters wake to drive devices that have no threads of their own.
constexpr std::chrono::milliseconds kDriveInterval{1};

DeviceSlot* slot_of(Request* req) { return static_cast<DeviceSlot*>(req->internal.device); }

FallbackReason refusal_reason(Status s) {
  return s == Status::kUnsupported ? FallbackReason::kUnsupported : FallbackReason::kBusy;
}

}  // namespace

AccelImpl::AccelImpl(const AccelOptions& options) : options_(options) {}

AccelImpl::~AccelImpl() {
  drain();
  // Nothing is in flight: stop the timer, then the devices (joining their threads), while
  // the queue they might still be returning through is alive.
  timer_.reset();
  router_.clear();
}

void AccelImpl::add_device(std::unique_ptr<Device> device, bool floor) {
  router_.add(std::move(device), floor);
}

std::string AccelImpl::start() {
  std::string err = router_.freeze(options_.timeout.count() > 0);
  if (!err.empty()) return err;
  if (router_.any_timed())
    timer_ =
        std::make_unique<TimeoutTracker>(options_.timeout, [this](Request* r) { on_timeout(r); });
  return "";
}

size_t AccelImpl::timers_armed() const { return timer_ ? timer_->armed() : 0; }

std::vector<DeviceReport> AccelImpl::devices() const {
  std::vector<DeviceReport> out;
  for (const auto& s : router_.slots()) out.push_back(DeviceReport{s->info, s->stats()});
  return out;
}

void AccelImpl::drive_devices() {
  for (const auto& s : router_.slots()) s->device->poll(64);
}

// --- submission ---

void AccelImpl::prepare(Request* req, SyncWaiter* waiter, steady_clock::time_point now) {
  auto& in = req->internal;
  in.submitted = now;
  in.owner = this;
  in.device = nullptr;
  in.waiter = waiter;
  in.next = nullptr;
  in.timer_slot = 0;
  in.instance = 0;
  rs::set(req, ReqState::kIdle, FallbackReason::kNone);
  req->result = Result{};
}

Status AccelImpl::submit(Request* req) {
  prepare(req, nullptr, steady_clock::now());
  return submit_prepared(req);
}

Status AccelImpl::submit_prepared(Request* req) {
  DeviceSlot* slot = router_.route(*req, req->src_size());
  if (!slot) return Status::kUnsupported;
  queue_.add_in_flight(1);
  Request* one[1] = {req};
  Status why = Status::kOk;
  if (offer(slot, one, &why) == 1) return Status::kOk;
  if (!slot->floor) {
    FallbackReason reason = refusal_reason(why);
    rs::set(req, ReqState::kIdle, reason);
    Status floor_why = Status::kOk;
    if (offer(router_.floor(), one, &floor_why) == 1) {
      slot->count(reason);
      return Status::kOk;
    }
    // The chosen device was only busy: the caller may retry, even if the floor can't help.
    if (why != Status::kBusy) why = floor_why;
  }
  queue_.done(1);
  return why == Status::kUnsupported ? Status::kUnsupported : Status::kBusy;
}

size_t AccelImpl::submit_batch(std::span<Request* const> reqs) {
  const auto now = steady_clock::now();
  const size_t n = reqs.size();
  size_t i = 0;
  DeviceSlot* slot = n ? router_.route(*reqs[0], reqs[0]->src_size()) : nullptr;
  while (i < n) {
    if (!slot) return i;
    // The run of consecutive requests that go to the same device.
    size_t j = i + 1;
    DeviceSlot* next = nullptr;
    for (; j < n; ++j) {
      next = router_.route(*reqs[j], reqs[j]->src_size());
      if (next != slot) break;
    }
    auto run = reqs.subspan(i, j - i);
    for (Request* r : run) prepare(r, nullptr, now);
    queue_.add_in_flight(run.size());
    auto rest = run;
    while (!rest.empty()) {
      Status why = Status::kOk;
      rest = rest.subspan(offer(slot, rest, &why));
      if (rest.empty() || slot->floor) break;
      // A full device sends all the rest to the floor; a request it cannot do goes there
      // alone, and the ones after it are offered to the device again.
      const FallbackReason reason = refusal_reason(why);
      auto to_floor = why == Status::kUnsupported ? rest.first(1) : rest;
      for (Request* r : to_floor) rs::set(r, ReqState::kIdle, reason);
      Status floor_why = Status::kOk;
      const size_t more = offer(router_.floor(), to_floor, &floor_why);
      slot->count(reason, more);
      rest = rest.subspan(more);
      if (more < to_floor.size()) break;  // the floor is full too
    }
    if (!rest.empty()) {
      queue_.done(rest.size());
      return i + (run.size() - rest.size());
    }
    i = j;
    slot = next;
  }
  return n;
}

namespace {

// True while this thread is inside Device::submit/submit_batch: a completion arriving on it
// then is a device completing inline, and must not wait for this very thread.
thread_local int tl_in_device_submit = 0;

struct InDeviceSubmit {
  InDeviceSubmit() { ++tl_in_device_submit; }
  ~InDeviceSubmit() { --tl_in_device_submit; }
  InDeviceSubmit(const InDeviceSubmit&) = delete;
  InDeviceSubmit& operator=(const InDeviceSubmit&) = delete;
};

}  // namespace

// Offers prepared requests to one device, trying its instances in turn; returns how many
// of the leading ones it took. *refusal is the device's answer to the first one refused.
//
// Untimed devices get the request already kInFlight: a device that refuses never touches it
// again, so nothing can race the refusal, and one that accepts may complete (and the caller
// reuse the request) before submit even returns — so we touch no accepted request after.
// Timed devices get it kSubmitting and are armed after submit returns (see accepted()).
size_t AccelImpl::offer(DeviceSlot* slot, std::span<Request* const> reqs, Status* refusal) {
  const ReqState handed = slot->timed ? ReqState::kSubmitting : ReqState::kInFlight;
  for (Request* r : reqs) {
    r->internal.device = slot;
    rs::set(r, handed, rs::load_reason(r));
  }
  const uint32_t instances = slot->info.instances;
  Device& dev = *slot->device;
  if (reqs.size() == 1) {
    Request* r = reqs[0];
    uint32_t first = Router::next_instance(*slot);
    for (uint32_t k = 0; k < instances; ++k) {
      const uint32_t inst = (first + k) % instances;
      r->internal.instance = inst;
      Status st;
      {
        InDeviceSubmit scope;
        st = dev.submit(r, inst);
      }
      if (st == Status::kOk) {
        accepted(slot, reqs);
        return 1;
      }
      *refusal = st;
      if (st != Status::kBusy) break;  // another instance will not change the answer
    }
    return 0;
  }
  const size_t piece_len = std::max(kMinPiece, (reqs.size() + instances - 1) / instances);
  size_t taken = 0;
  uint32_t misses = 0;
  while (taken < reqs.size() && misses < instances) {
    uint32_t inst = Router::next_instance(*slot);
    auto piece = reqs.subspan(taken, std::min(piece_len, reqs.size() - taken));
    for (Request* r : piece) r->internal.instance = inst;
    size_t got;
    {
      InDeviceSubmit scope;
      got = dev.submit_batch(piece, inst);
    }
    if (got) accepted(slot, piece.first(got));
    taken += got;
    if (got == piece.size()) {
      misses = 0;
      continue;
    }
    // submit_batch cannot say why it stopped: ask about the first refused request alone.
    Request* r = piece[got];
    Status st;
    {
      InDeviceSubmit scope;
      st = dev.submit(r, inst);
    }
    if (st == Status::kOk) {
      accepted(slot, piece.subspan(got, 1));
      ++taken;
      misses = 0;
    } else if (st == Status::kBusy) {
      ++misses;
    } else {
      *refusal = st;
      return taken;
    }
  }
  if (taken < reqs.size()) *refusal = Status::kBusy;
  return taken;
}

// A timed device took `reqs`: arm their timers, moving them to kInFlight. Completions from
// device threads wait for this (see complete()); a device completing inline, on this thread
// during submit (or one we kept waiting too long), leaves a request kCompletedEarly for us
// to finish here.
void AccelImpl::accepted(DeviceSlot* slot, std::span<Request* const> reqs) {
  if (!slot->timed) return;
  std::vector<Request*> early;  // allocates only for inline completions
  timer_->arm(reqs, &early);
  for (Request* r : early) finish_early(r);
}

void AccelImpl::finish_early(Request* req) {
  rs::transition(req, ReqState::kCompletedEarly, ReqState::kFinishing);
  finish(req);
}

// --- completion ---

void AccelImpl::complete(Request* req) {
  auto word = rs::word(req);
  uint32_t w = word.load(std::memory_order_acquire);
  for (int waited = 0;;) {
    ReqState s = rs::state(w);
    if (s == ReqState::kInFlight) {
      uint32_t to = (w & ~rs::kStateMask) | static_cast<uint32_t>(ReqState::kFinishing);
      if (word.compare_exchange_weak(w, to, std::memory_order_acq_rel, std::memory_order_acquire)) {
        if (slot_of(req)->timed) timer_->disarm(req);
        finish(req);
        return;
      }
    } else if (s == ReqState::kSubmitting && tl_in_device_submit == 0 && waited < kArmWaitYields) {
      // The submitter is between Device::submit returning and arming the timer: a short,
      // lock-free step. Waiting for it keeps callbacks off the submitting thread.
      ++waited;
      std::this_thread::yield();
      w = word.load(std::memory_order_acquire);
    } else if (s == ReqState::kSubmitting || s == ReqState::kAborting) {
      // Another thread holds the request — the timer thread, this very thread further up
      // the stack (a device completing inline), or a submitter that is taking long (perhaps
      // blocked on a lock this device holds while completing) — and finishes it when it
      // sees kCompletedEarly.
      uint32_t to = (w & ~rs::kStateMask) | static_cast<uint32_t>(ReqState::kCompletedEarly);
      if (word.compare_exchange_weak(w, to, std::memory_order_acq_rel, std::memory_order_acquire))
        return;
    } else {
      // A second completion, or one after a successful abort(): a device bug. Delivering
      // again could hand the caller a request it has already reused, so drop it.
      return;
    }
  }
}

void AccelImpl::finish(Request* req) {
  DeviceSlot* slot = slot_of(req);
  if (slot->info.trusted) {
    deliver(req, slot);
    return;
  }
  const Result& r = req->result;
  switch (r.status) {
    case Status::kOk:
      if (options_.verify && !verify_device_output(*req)) {
        slot->count(FallbackReason::kBadOutput);
        redo_inline(req, FallbackReason::kBadOutput);
        return;
      }
      deliver(req, slot);
      return;
    case Status::kIncompressible:
      // Safe whatever the truth: the caller stores the input uncompressed.
      if (req->op == Operation::kCompress && req->incompressible_ok) {
        deliver(req, slot);
        return;
      }
      slot->count(FallbackReason::kBadOutput);
      redo_inline(req, FallbackReason::kBadOutput);
      return;
    case Status::kBusy:
    case Status::kUnsupported: {
      FallbackReason why = refusal_reason(r.status);
      slot->count(why);
      redo_inline(req, why);
      return;
    }
    case Status::kDeviceError:
      slot->count(FallbackReason::kDeviceError);
      redo_inline(req, FallbackReason::kDeviceError);
      return;
    default: {
      // kBadData, kOutputOverflow: maybe the truth (corrupt input, small dst), maybe a
      // device fault. Software decides; if it agrees, the device's verdict stands.
      Status said = r.status;
      req->result = Result{};
      run_in_software(req);
      if (req->result.status == said) {
        deliver(req, slot);
        return;
      }
      slot->count(FallbackReason::kDeviceError);
      rs::set(req, ReqState::kFinishing, FallbackReason::kDeviceError);
      deliver(req, router_.floor());
      return;
    }
  }
}

void AccelImpl::redo_inline(Request* req, FallbackReason why) {
  rs::set(req, ReqState::kFinishing, why);
  req->result = Result{};
  run_in_software(req);  // overwrites whatever the device left in dst
  deliver(req, router_.floor());
}

// On the timer thread, with the request in kAborting.
void AccelImpl::on_timeout(Request* req) {
  DeviceSlot* slot = slot_of(req);
  if (slot->device->abort(req)) {
    slot->count(FallbackReason::kTimeout);
    // The floor's workers redo it, so one slow request does not hold up other timeouts.
    rs::set(req, ReqState::kIdle, FallbackReason::kTimeout);
    req->result = Result{};
    Request* one[1] = {req};
    Status why = Status::kOk;
    if (offer(router_.floor(), one, &why) == 1) return;
    redo_inline(req, FallbackReason::kTimeout);
    return;
  }
  // The device says its completion is on its way: let it deliver normally...
  if (rs::transition(req, ReqState::kAborting, ReqState::kInFlight)) return;
  // ...unless it already arrived while we were asking.
  finish_early(req);
}

// --- delivery ---

void AccelImpl::deliver(Request* req, const DeviceSlot* by) {
  req->result.fallback = rs::load_reason(req);
  req->result.device = by->info.name;
  // Read everything we need first: after the hand-off the request is the caller's.
  SyncWaiter* waiter = static_cast<SyncWaiter*>(req->internal.waiter);
  CompletionFn fn = req->on_complete;
  if (waiter) {
    waiter->signal();
    queue_.done(1);
  } else if (fn) {
    fn(req);
    queue_.done(1);
  } else {
    queue_.push(req);
  }
}

size_t AccelImpl::poll(std::span<Request*> out, bool wait) {
  if (out.empty()) return 0;
  for (;;) {
    drive_devices();
    bool idle = false;
    size_t n = queue_.pop(
        out, wait ? std::chrono::nanoseconds(kDriveInterval) : std::chrono::nanoseconds(0), &idle);
    if (n || !wait || idle) return n;
  }
}

Result AccelImpl::run(Request& req) {
  SyncWaiter waiter;
  int refusals = 0;
  for (;;) {
    prepare(&req, &waiter, steady_clock::now());
    Status st = submit_prepared(&req);
    if (st == Status::kOk) break;
    if (st == Status::kUnsupported) {
      req.result = Result{};
      req.result.status = Status::kUnsupported;
      return req.result;
    }
    // Backpressure: give the queues a moment to drain, then try again.
    drive_devices();
    if (++refusals < 16)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(std::min(refusals, 1000)));
  }
  while (!waiter.wait_for(kDriveInterval)) drive_devices();
  return req.result;
}

void AccelImpl::drain() {
  while (!queue_.drain_for(kDriveInterval)) drive_devices();
}

}  // namespace accz
