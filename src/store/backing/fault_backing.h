// store/backing/fault_backing.h — a backing store that misbehaves on purpose, for crash and
// error tests (in the spirit of leveldb's FaultInjectionTestEnv and VDO's test device that
// stops writing).
//
// Promise: wraps a durable BackingStore (usually a MemoryBacking) and adds
//   - a volatile write cache: write() only records the write; read() sees it; flush() applies
//     recorded writes to the base in order and then flushes the base;
//   - crash(): the recorded writes not covered by a flush are each dropped, kept whole, or
//     torn at 512-byte granularity (every sector independently new or old), as a policy and a
//     seed decide; afterwards the wrapper behaves like the freshly restarted device;
//   - injected failures: rules select reads, writes and/or flushes (by offset range, after
//     skipping some, for a number of times, with a probability); a selected I/O returns
//     kIoError and changes nothing (a failed write is not recorded, a failed flush leaves
//     every write unflushed);
//   - "stop writing": from a chosen write on, writes and flushes either are acknowledged and
//     silently discarded (a power cut the host has not noticed yet) or fail with kIoError.
// Everything random comes from one seeded generator, so a failing test replays exactly.
// Reads cost O(unflushed writes); meant for tests, not for speed.
//
// Thread-safety: thread-safe; one mutex serialises all operations, including those it
// forwards to the base, so crash() is atomic with respect to concurrent I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "store/backing/backing_store.h"
#include "util/rng.h"

namespace accz::store {

inline constexpr uint32_t kPpmAlways = 1'000'000;  // probabilities are in parts per million

// Which I/Os a FaultRule selects.
enum FaultOp : uint8_t { kFaultRead = 1, kFaultWrite = 2, kFaultFlush = 4 };

struct FaultRule {
  // Any combination of FaultOp bits. Default: writes only.
  uint8_t ops = kFaultWrite;
  // Reads and writes match if they overlap [offset_begin, offset_end); flushes always match.
  // Default: the whole store.
  uint64_t offset_begin = 0;
  uint64_t offset_end = UINT64_MAX;
  // Let this many matching I/Os through first (count-based faults: "fail the 7th write").
  // Default: 0.
  uint64_t skip = 0;
  // Then fail at most this many. Default: unlimited.
  uint64_t count = UINT64_MAX;
  // Each matching I/O past `skip` fails with this probability. Default: always.
  uint32_t probability_ppm = kPpmAlways;
};

// What crash() does to each write not covered by a completed flush, decided in order.
// The probabilities (ppm) of keeping whole and of tearing; the rest is dropped.
// Default: drop every unflushed write.
struct CrashPolicy {
  uint32_t keep_ppm = 0;
  uint32_t tear_ppm = 0;
};

struct CrashReport {
  uint64_t dropped = 0;
  uint64_t kept = 0;
  uint64_t torn = 0;
};

struct FaultStats {
  uint64_t reads = 0;
  uint64_t writes = 0;   // recorded (acknowledged and not discarded)
  uint64_t flushes = 0;  // completed ok and effective
  uint64_t injected_failures = 0;
  uint64_t discarded_after_stop = 0;  // writes and flushes acknowledged but thrown away
  uint64_t unflushed_writes = 0;      // at the moment of the call
  uint64_t crashes = 0;
};

class FaultBacking final : public BackingStore {
 public:
  // REQUIRES: base != nullptr. All writes of `base` must go through this wrapper while it
  // exists, or the simulated cache no longer describes the device.
  FaultBacking(std::shared_ptr<BackingStore> base, uint64_t seed);

  StoreStatus read(uint64_t offset, MutableByteSpan out) override;
  StoreStatus write(uint64_t offset, ByteSpan data) override;
  StoreStatus flush() override;
  uint64_t size() const override { return size_; }

  // Returns an id for remove_rule(). Rules are checked in the order added; the first that
  // fires fails the I/O.
  int add_rule(const FaultRule& rule);
  void remove_rule(int id);
  void clear_rules();

  enum class StopMode : uint8_t {
    kDiscard,  // acknowledge writes and flushes, keep nothing: a power cut in progress
    kFail,     // fail writes and flushes with kIoError: the device died
  };
  // Writes after the next `writes_allowed` recorded writes (0: from now on), and every flush
  // from that point, are handled as `mode` says. crash() ends it.
  void stop_writing_after(uint64_t writes_allowed, StopMode mode = StopMode::kDiscard);
  bool stopped() const;

  // Power cut and restart: applies `policy` to the unflushed writes (in write order), leaves
  // the base holding the survivors, and resumes normal operation (rules stay in force).
  CrashReport crash(const CrashPolicy& policy = {});

  FaultStats stats() const;

 private:
  struct PendingWrite {
    uint64_t offset;
    std::vector<uint8_t> data;
  };
  enum class StopState : uint8_t { kRunning, kArmed, kStopped };
  struct RuleState {
    int id;
    FaultRule rule;
    uint64_t matched = 0;
    uint64_t failed = 0;
  };

  // True if a rule fails this I/O; counts it. REQUIRES: mu_ held.
  bool inject(FaultOp op, uint64_t offset, uint64_t length);
  // Writes the given sectors of `w` (all if mask empty) to the base. REQUIRES: mu_ held.
  StoreStatus apply(const PendingWrite& w, const std::vector<bool>& sector_mask);

  const std::shared_ptr<BackingStore> base_;
  const uint64_t size_;

  mutable std::mutex mu_;
  Rng rng_;                            // guarded by mu_
  std::vector<PendingWrite> pending_;  // guarded by mu_; in write order
  std::vector<RuleState> rules_;       // guarded by mu_
  int next_rule_id_ = 1;               // guarded by mu_
  StopState stop_ = StopState::kRunning;
  StopMode stop_mode_ = StopMode::kDiscard;
  uint64_t writes_until_stop_ = 0;
  FaultStats stats_;
};

}  // namespace accz::store
