// request_state.h — the per-request delivery state machine that makes "completed exactly
// once" hold when a device completion, the submitting thread and the timeout thread race.
//
// The state lives in Request::internal.flags (low byte) next to the pending fallback reason
// (second byte), and is only ever changed with atomic compare-and-swap through
// std::atomic_ref, so exactly one thread wins each transition:
//
//   untimed device:  kInFlight (set before Device::submit) --completion--> kFinishing
//
//   timed device:    kSubmitting --submit returned, timer armed--> kInFlight
//                      | completion on a device thread: waits for kInFlight
//                      | completion inline, inside submit: kCompletedEarly (submitter
//                      |   finishes it)
//                    kInFlight --completion--> kFinishing (the completer owns it)
//                    kInFlight --timer--> kAborting --abort() true--> kFinishing (redo)
//                                           | abort() false --> kInFlight (completion due)
//                                           | completion meanwhile --> kCompletedEarly
//                                           |   (the timer thread finishes it)
//
// Whoever moves a request to kFinishing is its only owner until delivery; nobody touches a
// request after it has been delivered.
//
// Thread-safety: all functions are safe to call concurrently on the same request.
#pragma once

#include <atomic>
#include <cstdint>

#include "accz/request.h"

namespace accz {

enum class ReqState : uint32_t {
  kIdle = 0,
  kSubmitting,      // handed to a timed device whose submit has not returned / not armed
  kInFlight,        // the device has it
  kAborting,        // the timer thread is asking the device to abort it
  kCompletedEarly,  // completed while another thread held it; that thread finishes it
  kFinishing,       // one thread owns it: verifying, redoing in software, delivering
};

namespace request_state {

constexpr uint32_t kStateMask = 0xff;
constexpr uint32_t kReasonShift = 8;
constexpr uint32_t kReasonMask = 0xff << kReasonShift;

inline std::atomic_ref<uint32_t> word(Request* r) {
  return std::atomic_ref<uint32_t>(r->internal.flags);
}
inline ReqState state(uint32_t w) { return static_cast<ReqState>(w & kStateMask); }
inline FallbackReason reason(uint32_t w) {
  return static_cast<FallbackReason>((w & kReasonMask) >> kReasonShift);
}
inline uint32_t make(ReqState s, FallbackReason r) {
  return static_cast<uint32_t>(s) | (static_cast<uint32_t>(r) << kReasonShift);
}

// Unconditional store: only for the thread that owns the request (before submit, or in
// kFinishing).
inline void set(Request* r, ReqState s, FallbackReason why) {
  word(r).store(make(s, why), std::memory_order_release);
}
inline ReqState load_state(Request* r) { return state(word(r).load(std::memory_order_acquire)); }
inline FallbackReason load_reason(Request* r) {
  return reason(word(r).load(std::memory_order_acquire));
}

// Moves `from` -> `to`, keeping the reason; false if the state was not `from`.
inline bool transition(Request* r, ReqState from, ReqState to) {
  auto w = word(r);
  uint32_t cur = w.load(std::memory_order_acquire);
  while (state(cur) == from) {
    uint32_t next = (cur & ~kStateMask) | static_cast<uint32_t>(to);
    if (w.compare_exchange_weak(cur, next, std::memory_order_acq_rel, std::memory_order_acquire))
      return true;
  }
  return false;
}

}  // namespace request_state
}  // namespace accz
