// The cpu device as a Device: exactly-once completion under concurrency, bounded queues,
// batch submit, abort, draining on destruction, and the counters it keeps.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "accz/framing.h"
#include "providers/cpu/cpu_device.h"
#include "util/datagen.h"

namespace accz {
namespace {

using Bytes = std::vector<uint8_t>;

// One request with its own buffers.
struct Slot {
  Request req;
  ByteSpan src[1];
  MutableByteSpan dst[1];
  Bytes out;
  std::atomic<int> completions{0};

  void prepare(ByteSpan in, Framing f, Operation op = Operation::kCompress, size_t out_size = 0) {
    out.assign(out_size != 0 ? out_size : in.size() + in.size() / 2 + 1024, 0);
    req = Request{};
    req.op = op;
    req.framing = f;
    req.level = 1;
    src[0] = in;
    dst[0] = out;
    req.src = src;
    req.dst = dst;
    req.user = this;
  }
};

// Counts completions per request; can hold the worker inside complete() for one request.
class TestSink : public CompletionSink {
 public:
  void complete(Request* req) override {
    static_cast<Slot*>(req->user)->completions.fetch_add(1);
    std::unique_lock lock(mu_);
    if (req == hold_) {
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return hold_ == nullptr; });
    }
    ++done_;
    cv_.notify_all();
  }

  // The next completion of `req` will block until release().
  void hold(Request* req) {
    std::lock_guard lock(mu_);
    hold_ = req;
    held_ = false;
  }
  void wait_held() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return held_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    hold_ = nullptr;
    cv_.notify_all();
  }
  void wait_done(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_ >= n; });
  }
  size_t done() {
    std::lock_guard lock(mu_);
    return done_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  Request* hold_ = nullptr;
  bool held_ = false;
  size_t done_ = 0;
};

const Bytes& sample() {
  static const Bytes data = datagen::text(4096, 21);
  return data;
}

TEST(CpuDevice, DescribesItself) {
  TestSink sink;
  auto dev = make_cpu_device({.instances = 0, .queue_depth = 8}, &sink);
  const DeviceInfo& info = dev->info();
  EXPECT_EQ(info.name, "cpu");
  EXPECT_EQ(info.provider, "cpu");
  EXPECT_TRUE(info.trusted);
  EXPECT_EQ(info.priority, 0);
  EXPECT_GE(info.instances, 1u);
  EXPECT_EQ(info.queue_depth, 8u);
  EXPECT_EQ(info.framings.size(), 6u);
  EXPECT_NE(std::find(info.engines.begin(), info.engines.end(), "libdeflate"), info.engines.end());
  EXPECT_EQ(info.deflate_min_level, 0);
  EXPECT_EQ(info.deflate_max_level, 9);
}

TEST(CpuDevice, ExactlyOnceUnderConcurrentSubmitters) {
  TestSink sink;
  auto dev = make_cpu_device({.instances = 3, .queue_depth = 16}, &sink);
  constexpr size_t kThreads = 6, kPerThread = 300;
  std::vector<Slot> slots(kThreads * kPerThread);
  const Framing framings[] = {Framing::kLz4Block, Framing::kGzip, Framing::kZstdFrame};
  for (size_t i = 0; i < slots.size(); ++i) slots[i].prepare(sample(), framings[i % 3]);

  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      size_t i = t * kPerThread;
      const size_t end = i + kPerThread;
      while (i < end) {
        if (i % 2 == 0) {
          // Batches of up to 8; a partial take leaves the rest for the next round.
          std::vector<Request*> batch;
          for (size_t j = i; j < std::min(end, i + 8); ++j) batch.push_back(&slots[j].req);
          const size_t taken = dev->submit_batch(batch, static_cast<uint32_t>(i));
          i += taken;
          if (taken == 0) std::this_thread::yield();
        } else if (dev->submit(&slots[i].req, static_cast<uint32_t>(t)) == Status::kOk) {
          ++i;
        } else {
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  sink.wait_done(slots.size());
  for (Slot& s : slots) {
    ASSERT_EQ(s.completions.load(), 1);
    ASSERT_EQ(s.req.result.status, Status::kOk);
    ASSERT_EQ(s.req.result.consumed, sample().size());
    ASSERT_EQ(s.req.result.device, "cpu");
  }
  // Spot-check that the output decodes.
  Slot& s = slots[1];
  Bytes back(sample().size());
  Request d;
  d.op = Operation::kDecompress;
  d.framing = s.req.framing;
  const ByteSpan in[] = {ByteSpan(s.out).first(s.req.result.produced)};
  const MutableByteSpan out[] = {back};
  d.src = in;
  d.dst = out;
  run_in_software(&d);
  EXPECT_EQ(d.result.status, Status::kOk);
  EXPECT_EQ(back, sample());
  EXPECT_EQ(dev->stats().requests, slots.size());
}

TEST(CpuDevice, FullQueueRefusesWithoutTaking) {
  TestSink sink;
  auto dev = make_cpu_device({.instances = 1, .queue_depth = 2}, &sink);
  Slot s[5];
  for (Slot& x : s) x.prepare(sample(), Framing::kLz4Block);
  sink.hold(&s[0].req);
  ASSERT_EQ(dev->submit(&s[0].req, 0), Status::kOk);
  // The worker is stuck inside complete(s0); s0's slot was freed before the sink saw it (so
  // a callback can resubmit), and nothing else moves until release().
  sink.wait_held();
  ASSERT_EQ(dev->submit(&s[1].req, 0), Status::kOk);
  ASSERT_EQ(dev->submit(&s[2].req, 0), Status::kOk);
  EXPECT_EQ(dev->submit(&s[3].req, 0), Status::kBusy);
  EXPECT_EQ(dev->submit(&s[4].req, 7), Status::kBusy);  // instance 7 % 1 is the same queue
  EXPECT_EQ(dev->stats().busy, 2u);
  sink.release();
  sink.wait_done(3);
  EXPECT_EQ(s[3].completions.load(), 0);
  EXPECT_EQ(s[4].completions.load(), 0);
  ASSERT_EQ(dev->submit(&s[3].req, 0), Status::kOk);
  ASSERT_EQ(dev->submit(&s[4].req, 0), Status::kOk);
  sink.wait_done(5);
  for (Slot& x : s) EXPECT_EQ(x.completions.load(), 1);
}

TEST(CpuDevice, BatchTakesWhatFits) {
  TestSink sink;
  constexpr uint32_t kDepth = 16;
  auto dev = make_cpu_device({.instances = 2, .queue_depth = kDepth}, &sink);
  std::vector<Slot> slots(40);
  for (Slot& x : slots) x.prepare(sample(), Framing::kGzip);
  sink.hold(&slots[0].req);
  ASSERT_EQ(dev->submit(&slots[0].req, 1), Status::kOk);
  sink.wait_held();
  std::vector<Request*> batch;
  for (size_t i = 1; i < slots.size(); ++i) batch.push_back(&slots[i].req);
  const size_t taken = dev->submit_batch(batch, 1);
  EXPECT_EQ(taken, kDepth);  // the held request no longer counts
  EXPECT_EQ(dev->stats().busy, batch.size() - taken);
  // The other instance has room.
  const size_t other = dev->submit_batch(std::span(batch).subspan(taken, 10), 0);
  EXPECT_EQ(other, 10u);
  sink.release();
  sink.wait_done(1 + taken + other);
  for (size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(slots[i].completions.load(), i < 1 + taken + other ? 1 : 0) << i;
  }
}

// Requests marked inline_ok run on the submitting thread and are complete when submit
// returns, in order with the queued ones around them; they take no queue slot.
TEST(CpuDevice, InlineRequestsRunOnTheSubmittingThread) {
  class ThreadSink : public CompletionSink {
   public:
    void complete(Request* req) override {
      std::lock_guard lock(mu_);
      on_[req] = std::this_thread::get_id();
      static_cast<Slot*>(req->user)->completions.fetch_add(1);
    }
    std::thread::id thread_of(Request* req) {
      std::lock_guard lock(mu_);
      return on_.count(req) ? on_[req] : std::thread::id{};
    }

   private:
    std::mutex mu_;
    std::map<Request*, std::thread::id> on_;
  } sink;
  constexpr uint32_t kDepth = 2;
  auto dev = make_cpu_device({.instances = 1, .queue_depth = kDepth}, &sink);
  std::vector<Slot> slots(6);
  for (Slot& x : slots) x.prepare(sample(), Framing::kLz4Block);
  for (size_t i : {0, 2, 3, 5}) slots[i].req.inline_ok = true;
  std::vector<Request*> batch;
  for (Slot& x : slots) batch.push_back(&x.req);
  // 0 inline, 1 queued, 2 and 3 inline, 4 queued (the queue's second slot), 5 inline.
  ASSERT_EQ(dev->submit_batch(batch, 0), slots.size());
  for (size_t i : {0, 2, 3, 5}) {
    EXPECT_EQ(slots[i].completions.load(), 1) << i;
    EXPECT_EQ(sink.thread_of(&slots[i].req), std::this_thread::get_id()) << i;
    EXPECT_EQ(slots[i].req.result.status, Status::kOk) << i;
    EXPECT_EQ(slots[i].req.result.device, "cpu");
  }
  for (int spin = 0; spin < 10000 && slots[1].completions + slots[4].completions < 2; ++spin) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (size_t i : {1, 4}) {
    EXPECT_EQ(slots[i].completions.load(), 1) << i;
    EXPECT_NE(sink.thread_of(&slots[i].req), std::this_thread::get_id()) << i;
  }
  // Every request is counted once, inline or not.
  EXPECT_EQ(dev->stats().requests, slots.size());
  EXPECT_EQ(dev->stats().bytes_in, slots.size() * sample().size());
  // And a lone inline submit is done when submit() returns.
  Slot one;
  one.prepare(sample(), Framing::kGzip);
  one.req.inline_ok = true;
  ASSERT_EQ(dev->submit(&one.req, 0), Status::kOk);
  EXPECT_EQ(one.completions.load(), 1);
}

TEST(CpuDevice, UnsupportedIsRefusedUpFront) {
  TestSink sink;
  auto dev = make_cpu_device({.instances = 1, .queue_depth = 4}, &sink);
  Slot ok, bad;
  ok.prepare(sample(), Framing::kGzip);
  bad.prepare(sample(), Framing::kGzip);
  bad.req.flush = Flush::kSync;  // only raw deflate can end on a sync flush
  EXPECT_FALSE(dev->supports(bad.req));
  EXPECT_TRUE(dev->supports(ok.req));
  EXPECT_EQ(dev->submit(&bad.req, 0), Status::kUnsupported);
  Request* const batch[] = {&ok.req, &bad.req};
  EXPECT_EQ(dev->submit_batch(batch, 0), 1u);
  sink.wait_done(1);
  EXPECT_EQ(ok.completions.load(), 1);
  EXPECT_EQ(bad.completions.load(), 0);
  EXPECT_EQ(dev->stats().busy, 0u);
}

TEST(CpuDevice, AbortQueuedButNotRunning) {
  TestSink sink;
  auto dev = make_cpu_device({.instances = 1, .queue_depth = 8}, &sink);
  Slot running, queued, never;
  running.prepare(sample(), Framing::kLz4Block);
  queued.prepare(sample(), Framing::kLz4Block);
  never.prepare(sample(), Framing::kLz4Block);
  sink.hold(&running.req);
  ASSERT_EQ(dev->submit(&running.req, 0), Status::kOk);
  sink.wait_held();
  ASSERT_EQ(dev->submit(&queued.req, 0), Status::kOk);
  EXPECT_TRUE(dev->abort(&queued.req));
  EXPECT_FALSE(dev->abort(&queued.req));  // already gone
  EXPECT_FALSE(dev->abort(&running.req));
  EXPECT_FALSE(dev->abort(&never.req));
  sink.release();
  sink.wait_done(1);
  // The aborted request freed its slot: the whole depth is available again.
  std::vector<Slot> more(8);
  std::vector<Request*> batch;
  for (Slot& x : more) {
    x.prepare(sample(), Framing::kLz4Block);
    batch.push_back(&x.req);
  }
  EXPECT_EQ(dev->submit_batch(batch, 0), 8u);
  sink.wait_done(9);
  dev.reset();
  EXPECT_EQ(running.completions.load(), 1);
  EXPECT_EQ(queued.completions.load(), 0);
}

TEST(CpuDevice, DestructionCompletesQueuedRequests) {
  TestSink sink;
  std::vector<Slot> slots(50);
  for (Slot& x : slots) x.prepare(sample(), Framing::kZstdFrame);
  auto dev = make_cpu_device({.instances = 1, .queue_depth = 64}, &sink);
  sink.hold(&slots[0].req);
  std::vector<Request*> batch;
  for (Slot& x : slots) batch.push_back(&x.req);
  ASSERT_EQ(dev->submit_batch(batch, 0), slots.size());
  sink.wait_held();
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sink.release();
  });
  dev.reset();  // waits for the held completion and everything queued behind it
  releaser.join();
  EXPECT_EQ(sink.done(), slots.size());
  for (Slot& x : slots) EXPECT_EQ(x.completions.load(), 1);
}

TEST(CpuDevice, StatsCountRequestsBytesErrorsAndLatency) {
  TestSink sink;
  auto dev = make_cpu_device({.instances = 2, .queue_depth = 32}, &sink);
  const Bytes garbage = datagen::random(1000, 22);
  std::vector<Slot> slots(20);
  for (size_t i = 0; i < slots.size(); ++i) {
    if (i % 5 == 0) {
      slots[i].prepare(garbage, Framing::kGzip, Operation::kDecompress, 8192);
    } else {
      slots[i].prepare(sample(), Framing::kGzip);
    }
    ASSERT_EQ(dev->submit(&slots[i].req, static_cast<uint32_t>(i)), Status::kOk);
  }
  sink.wait_done(slots.size());
  uint64_t in = 0, out = 0;
  for (Slot& x : slots) {
    in += x.req.result.consumed;
    out += x.req.result.produced;
  }
  const DeviceStats st = dev->stats();
  EXPECT_EQ(st.requests, slots.size());
  EXPECT_EQ(st.bytes_in, in);
  EXPECT_EQ(st.bytes_out, out);
  EXPECT_EQ(st.bytes_in, 16 * sample().size());
  EXPECT_EQ(st.errors_by_status[static_cast<size_t>(Status::kBadData)], 4u);
  EXPECT_EQ(st.errors_by_status[static_cast<size_t>(Status::kOk)], 0u);
  EXPECT_EQ(st.busy, 0u);
  uint64_t histogram = 0;
  for (uint64_t n : st.latency_log2) histogram += n;
  EXPECT_EQ(histogram, slots.size());
  EXPECT_GT(st.latency_ns_max, 0u);
  EXPECT_GE(st.latency_ns_total, st.latency_ns_max);
}

// A completion callback may submit again (the sink runs on the worker); it must find room.
class ResubmittingSink : public CompletionSink {
 public:
  Device* device = nullptr;
  std::atomic<int> rounds{0};
  std::atomic<bool> finished{false};
  void complete(Request* req) override {
    if (rounds.fetch_add(1) + 1 < 100) {
      EXPECT_EQ(device->submit(req, 0), Status::kOk);
    } else {
      finished.store(true);
      finished.notify_all();
    }
  }
};

TEST(CpuDevice, CallbackMayResubmit) {
  ResubmittingSink sink;
  auto dev = make_cpu_device({.instances = 1, .queue_depth = 1}, &sink);
  sink.device = dev.get();
  Slot s;
  s.prepare(sample(), Framing::kLz4Frame);
  ASSERT_EQ(dev->submit(&s.req, 0), Status::kOk);
  sink.finished.wait(false);
  EXPECT_EQ(sink.rounds.load(), 100);
  EXPECT_EQ(dev->stats().requests, 100u);
}

}  // namespace
}  // namespace accz
