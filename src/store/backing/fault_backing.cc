#include "store/backing/fault_backing.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

namespace accz::store {

FaultBacking::FaultBacking(std::shared_ptr<BackingStore> base, uint64_t seed)
    : base_(std::move(base)), size_(base_->size()), rng_(seed) {}

bool FaultBacking::inject(FaultOp op, uint64_t offset, uint64_t length) {
  for (RuleState& r : rules_) {
    if ((r.rule.ops & op) == 0) continue;
    if (op != kFaultFlush) {
      uint64_t end = offset + length;
      bool overlaps = offset < r.rule.offset_end && r.rule.offset_begin < end;
      // A zero-length I/O touches nothing, but a rule on its exact offset still selects it.
      if (length == 0) overlaps = offset >= r.rule.offset_begin && offset < r.rule.offset_end;
      if (!overlaps) continue;
    }
    if (r.matched++ < r.rule.skip) continue;
    if (r.failed >= r.rule.count) continue;
    if (r.rule.probability_ppm < kPpmAlways && !rng_.chance(r.rule.probability_ppm, kPpmAlways)) {
      continue;
    }
    ++r.failed;
    ++stats_.injected_failures;
    return true;
  }
  return false;
}

StoreStatus FaultBacking::read(uint64_t offset, MutableByteSpan out) {
  StoreStatus s = check_io_range("read", offset, out.size(), size_);
  if (!s.ok()) return s;
  std::lock_guard lock(mu_);
  if (inject(kFaultRead, offset, out.size())) {
    return StoreStatus::IoError("injected read failure at " + std::to_string(offset));
  }
  s = base_->read(offset, out);
  if (!s.ok()) return s;
  // The cache holds newer data than the base: overlay it, oldest first, so the newest wins.
  const uint64_t end = offset + out.size();
  for (const PendingWrite& w : pending_) {
    const uint64_t w_end = w.offset + w.data.size();
    const uint64_t lo = std::max(offset, w.offset);
    const uint64_t hi = std::min(end, w_end);
    if (lo >= hi) continue;
    std::memcpy(out.data() + (lo - offset), w.data.data() + (lo - w.offset), hi - lo);
  }
  ++stats_.reads;
  return s;
}

StoreStatus FaultBacking::write(uint64_t offset, ByteSpan data) {
  StoreStatus s = check_io_range("write", offset, data.size(), size_);
  if (!s.ok()) return s;
  std::lock_guard lock(mu_);
  if (stop_ == StopState::kArmed && writes_until_stop_ == 0) stop_ = StopState::kStopped;
  if (stop_ == StopState::kStopped) {
    if (stop_mode_ == StopMode::kFail) {
      return StoreStatus::IoError("device stopped writing (write at " + std::to_string(offset) +
                                  ")");
    }
    ++stats_.discarded_after_stop;
    return s;
  }
  if (inject(kFaultWrite, offset, data.size())) {
    return StoreStatus::IoError("injected write failure at " + std::to_string(offset));
  }
  if (stop_ == StopState::kArmed) --writes_until_stop_;
  if (!data.empty()) pending_.push_back({offset, std::vector<uint8_t>(data.begin(), data.end())});
  ++stats_.writes;
  return s;
}

StoreStatus FaultBacking::apply(const PendingWrite& w, const std::vector<bool>& sector_mask) {
  if (sector_mask.empty()) return base_->write(w.offset, w.data);
  for (size_t i = 0; i < sector_mask.size(); ++i) {
    if (!sector_mask[i]) continue;
    StoreStatus s = base_->write(w.offset + i * kSectorSize,
                                 ByteSpan(w.data).subspan(i * kSectorSize, kSectorSize));
    if (!s.ok()) return s;
  }
  return StoreStatus::Ok();
}

StoreStatus FaultBacking::flush() {
  std::lock_guard lock(mu_);
  if (stop_ == StopState::kStopped) {
    if (stop_mode_ == StopMode::kFail) return StoreStatus::IoError("device stopped writing");
    ++stats_.discarded_after_stop;
    return StoreStatus::Ok();
  }
  if (inject(kFaultFlush, 0, 0)) return StoreStatus::IoError("injected flush failure");
  size_t done = 0;
  StoreStatus s;
  for (; done < pending_.size(); ++done) {
    s = apply(pending_[done], {});
    if (!s.ok()) break;
  }
  // What reached the base is no longer the cache's concern, even if a later write failed.
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(done));
  if (!s.ok()) return s;
  s = base_->flush();
  if (s.ok()) ++stats_.flushes;
  return s;
}

int FaultBacking::add_rule(const FaultRule& rule) {
  std::lock_guard lock(mu_);
  rules_.push_back({next_rule_id_, rule});
  return next_rule_id_++;
}

void FaultBacking::remove_rule(int id) {
  std::lock_guard lock(mu_);
  std::erase_if(rules_, [id](const RuleState& r) { return r.id == id; });
}

void FaultBacking::clear_rules() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

void FaultBacking::stop_writing_after(uint64_t writes_allowed, StopMode mode) {
  std::lock_guard lock(mu_);
  stop_mode_ = mode;
  writes_until_stop_ = writes_allowed;
  stop_ = writes_allowed == 0 ? StopState::kStopped : StopState::kArmed;
}

bool FaultBacking::stopped() const {
  std::lock_guard lock(mu_);
  return stop_ == StopState::kStopped;
}

CrashReport FaultBacking::crash(const CrashPolicy& policy) {
  std::lock_guard lock(mu_);
  CrashReport report;
  for (const PendingWrite& w : pending_) {
    const uint32_t draw = rng_.below(kPpmAlways);
    std::vector<bool> mask;
    bool torn = false;
    if (draw >= policy.keep_ppm) {
      if (draw - policy.keep_ppm >= policy.tear_ppm) {
        ++report.dropped;
        continue;
      }
      torn = true;
      mask.resize(w.data.size() / kSectorSize);
      for (size_t i = 0; i < mask.size(); ++i) mask[i] = rng_.chance(1, 2);
    }
    // The base is a durable store in tests; if it fails here there is nobody to tell, and
    // the lost write is just one more thing the crash dropped.
    if (!apply(w, mask).ok()) {
      ++report.dropped;
    } else if (torn) {
      ++report.torn;
    } else {
      ++report.kept;
    }
  }
  // Survivors must be durable before the "restarted" device serves anything.
  (void)base_->flush();
  pending_.clear();
  stop_ = StopState::kRunning;
  writes_until_stop_ = 0;
  ++stats_.crashes;
  return report;
}

FaultStats FaultBacking::stats() const {
  std::lock_guard lock(mu_);
  FaultStats s = stats_;
  s.unflushed_writes = pending_.size();
  return s;
}

}  // namespace accz::store
