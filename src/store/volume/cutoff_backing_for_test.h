// store/volume/cutoff_backing_for_test.h — a test-only wrapper that cuts power at any
// operation, flushes included. FaultBacking's stop_writing_after() counts writes only, so it
// cannot stop between a journal write and the flush that commits it; this can.
//
// Promise: after cut_after(n), the first n writes and flushes pass through; every later write
// and flush is acknowledged and discarded, and cut() turns true. Reads always pass through.
//
// Thread-safety: not thread-safe; one test thread.
#pragma once

#include <cstdint>

#include "store/backing/backing_store.h"

namespace accz::store {

class CutoffBacking final : public BackingStore {
 public:
  explicit CutoffBacking(BackingStore& base) : base_(base) {}
  void cut_after(uint64_t ops) {
    left_ = ops;
    cut_ = false;
  }
  void never_cut() {
    left_ = UINT64_MAX;
    cut_ = false;
  }
  bool cut() const { return cut_; }

  StoreStatus read(uint64_t offset, MutableByteSpan out) override {
    return base_.read(offset, out);
  }
  StoreStatus write(uint64_t offset, ByteSpan data) override {
    return pass() ? base_.write(offset, data) : StoreStatus::Ok();
  }
  StoreStatus flush() override { return pass() ? base_.flush() : StoreStatus::Ok(); }
  uint64_t size() const override { return base_.size(); }

 private:
  bool pass() {
    if (left_ == 0) cut_ = true;
    if (cut_) return false;
    --left_;
    return true;
  }
  BackingStore& base_;
  uint64_t left_ = UINT64_MAX;
  bool cut_ = false;
};

}  // namespace accz::store
