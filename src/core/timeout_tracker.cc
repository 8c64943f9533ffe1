// The timer thread and its heap of in-flight requests.
#include "core/timeout_tracker.h"

#include "core/request_state.h"

namespace accz {

namespace rs = request_state;

TimeoutTracker::TimeoutTracker(std::chrono::nanoseconds timeout, ExpireFn on_expire)
    : timeout_(timeout), on_expire_(std::move(on_expire)) {
  thread_ = std::thread([this] { loop(); });
}

TimeoutTracker::~TimeoutTracker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

size_t TimeoutTracker::armed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return heap_.size();
}

void TimeoutTracker::arm(std::span<Request* const> reqs, std::vector<Request*>* early) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Request* r : reqs) {
      if (!rs::transition(r, ReqState::kSubmitting, ReqState::kInFlight)) {
        early->push_back(r);
        continue;
      }
      push(r);
      wake |= r->internal.timer_slot == 1;  // new earliest deadline
    }
  }
  if (wake) cv_.notify_one();
}

void TimeoutTracker::disarm(Request* req) {
  std::lock_guard<std::mutex> lock(mu_);
  if (req->internal.timer_slot != 0) remove_at(req->internal.timer_slot - 1);
}

void TimeoutTracker::loop() {
  std::vector<Request*> expired;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (heap_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    while (!heap_.empty() && heap_[0]->internal.submitted + timeout_ <= now) {
      Request* r = heap_[0];
      remove_at(0);
      // Only a request still kInFlight can time out; the lock keeps its completer from
      // delivering it until we have moved it to kAborting.
      if (rs::transition(r, ReqState::kInFlight, ReqState::kAborting)) expired.push_back(r);
    }
    if (!expired.empty()) {
      lock.unlock();
      for (Request* r : expired) on_expire_(r);
      expired.clear();
      lock.lock();
      continue;
    }
    if (!heap_.empty()) cv_.wait_until(lock, heap_[0]->internal.submitted + timeout_);
  }
}

bool TimeoutTracker::earlier(size_t a, size_t b) const {
  return heap_[a]->internal.submitted < heap_[b]->internal.submitted;
}

void TimeoutTracker::place(size_t i, Request* r) {
  heap_[i] = r;
  r->internal.timer_slot = i + 1;
}

void TimeoutTracker::push(Request* r) {
  heap_.push_back(r);
  r->internal.timer_slot = heap_.size();
  sift_up(heap_.size() - 1);
}

void TimeoutTracker::remove_at(size_t i) {
  heap_[i]->internal.timer_slot = 0;
  Request* last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  place(i, last);
  if (i > 0 && earlier(i, (i - 1) / 2))
    sift_up(i);
  else
    sift_down(i);
}

void TimeoutTracker::sift_up(size_t i) {
  Request* r = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!(r->internal.submitted < heap_[parent]->internal.submitted)) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, r);
}

void TimeoutTracker::sift_down(size_t i) {
  Request* r = heap_[i];
  size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && earlier(child + 1, child)) ++child;
    if (!(heap_[child]->internal.submitted < r->internal.submitted)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, r);
}

}  // namespace accz
