// Volume::open and the synchronous forms of the asynchronous calls (volume.h).
#include "store/engine/volume.h"

#include <condition_variable>
#include <mutex>

#include "store/engine/volume_engine.h"

namespace accz::store {

namespace {

// Waits for one `done`. The callback signals under the lock, so the waiter cannot return and
// destroy itself while the callback still touches it.
class Waiter {
 public:
  VolumeCallback callback() {
    return [this](StoreStatus s) {
      std::lock_guard lk(mu_);
      status_ = std::move(s);
      done_ = true;
      cv_.notify_one();
    };
  }
  StoreStatus wait() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return done_; });
    return status_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  StoreStatus status_;
};

}  // namespace

StoreResult<std::unique_ptr<Volume>> Volume::open(BackingStore& dev, const VolumeOptions& options) {
  return VolumeEngine::open(dev, options);
}

StoreStatus Volume::read_sync(uint64_t offset, MutableByteSpan out) {
  Waiter w;
  read(offset, out, w.callback());
  return w.wait();
}

StoreStatus Volume::write_sync(uint64_t offset, ByteSpan data, bool fua) {
  Waiter w;
  write(offset, data, fua, w.callback());
  return w.wait();
}

StoreStatus Volume::trim_sync(uint64_t offset, uint64_t length, bool fua) {
  Waiter w;
  trim(offset, length, fua, w.callback());
  return w.wait();
}

StoreStatus Volume::write_zeroes_sync(uint64_t offset, uint64_t length, bool fua) {
  Waiter w;
  write_zeroes(offset, length, fua, w.callback());
  return w.wait();
}

StoreStatus Volume::flush_sync() {
  Waiter w;
  flush(w.callback());
  return w.wait();
}

}  // namespace accz::store
