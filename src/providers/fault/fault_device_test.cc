// Unit tests of the fault device on its own (no Accel): each fault kind at probability 1,
// abort of held requests, destruction releasing what is held, seeded reproducibility.
#include "providers/fault/fault_device.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "fault/codec_check.h"
#include "util/datagen.h"

namespace accz {
namespace {

class RecordingSink : public CompletionSink {
 public:
  void complete(Request* req) override {
    std::lock_guard lk(mu_);
    ++seen_[req];
    order_.push_back(req);
    cv_.notify_all();
  }
  void wait_for(size_t n) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return order_.size() >= n; });
  }
  int seen(Request* r) {
    std::lock_guard lk(mu_);
    auto it = seen_.find(r);
    return it == seen_.end() ? 0 : it->second;
  }
  std::vector<Request*> order() {
    std::lock_guard lk(mu_);
    return order_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Request*, int> seen_;
  std::vector<Request*> order_;
};

struct Job {
  std::vector<uint8_t> in, out;
  ByteSpan src[1];
  MutableByteSpan dst[1];
  Request req;
  explicit Job(std::vector<uint8_t> input, Framing f = Framing::kGzip) : in(std::move(input)) {
    out.resize(in.size() + 1024);
    src[0] = in;
    dst[0] = out;
    req.op = Operation::kCompress;
    req.framing = f;
    req.level = 1;
    req.src = src;
    req.dst = dst;
  }
  bool decodes() const {
    auto d =
        testing::reference_decode(req.framing, ByteSpan(out).first(req.result.produced), in.size());
    return d && *d == in;
  }
};

std::unique_ptr<Device> make(std::string_view spec, RecordingSink* sink, uint32_t instances = 1) {
  CpuDeviceOptions inner;
  inner.name = "fault-inner";
  inner.instances = instances;
  inner.queue_depth = 512;
  std::string err;
  auto d = make_fault_device(spec, inner, sink, &err);
  EXPECT_TRUE(d) << err;
  return d;
}

std::vector<std::unique_ptr<Job>> jobs(size_t n, size_t size = 2000) {
  std::vector<std::unique_ptr<Job>> v;
  for (size_t i = 0; i < n; ++i) v.push_back(std::make_unique<Job>(datagen::text(size, i + 1)));
  return v;
}

uint64_t injected(const Device& d, FaultKind k) { return (*fault_counts(d))[k]; }

TEST(FaultDevice, DescribesItselfAsAnUntrustedDevice) {
  RecordingSink sink;
  auto d = make("name=flaky,priority=7", &sink);
  EXPECT_EQ(d->info().name, "flaky");
  EXPECT_EQ(d->info().provider, "fault");
  EXPECT_EQ(d->info().priority, 7);
  EXPECT_FALSE(d->info().trusted);
  EXPECT_FALSE(d->info().framings.empty());
  auto plain = make("", &sink);
  EXPECT_EQ(plain->info().name, "fault");
  EXPECT_EQ(plain->info().priority, 10);
}

TEST(FaultDevice, BadSpecIsRefused) {
  RecordingSink sink;
  std::string err;
  EXPECT_FALSE(make_fault_device("error=2", CpuDeviceOptions{}, &sink, &err));
  EXPECT_NE(err.find("probability"), std::string::npos) << err;
}

TEST(FaultDevice, WithoutFaultsItIsACorrectDevice) {
  RecordingSink sink;
  auto d = make("", &sink, 2);
  auto js = jobs(50);
  for (auto& j : js) ASSERT_EQ(d->submit(&j->req, 0), Status::kOk);
  sink.wait_for(js.size());
  for (auto& j : js) {
    EXPECT_EQ(sink.seen(&j->req), 1);
    EXPECT_EQ(j->req.result.status, Status::kOk);
    EXPECT_EQ(j->req.result.device, "fault");
    EXPECT_TRUE(j->decodes());
  }
  EXPECT_EQ(d->stats().requests, js.size());
  EXPECT_EQ(fault_counts(*d)->total(), 0u);
}

TEST(FaultDevice, BusyRefusesAndTakesNothing) {
  RecordingSink sink;
  auto d = make("busy=1", &sink);
  auto js = jobs(10);
  for (auto& j : js) EXPECT_EQ(d->submit(&j->req, 0), Status::kBusy);
  std::vector<Request*> batch;
  for (auto& j : js) batch.push_back(&j->req);
  EXPECT_EQ(d->submit_batch(batch, 0), 0u);
  EXPECT_EQ(injected(*d, FaultKind::kBusy), 11u);
  EXPECT_EQ(d->stats().busy, 11u);
  d.reset();
  EXPECT_TRUE(sink.order().empty());
}

TEST(FaultDevice, UnsupportedIsAdvertisedButRefused) {
  RecordingSink sink;
  auto d = make("unsupported=1", &sink);
  Job j(datagen::text(100));
  EXPECT_TRUE(d->supports(j.req));
  EXPECT_EQ(d->submit(&j.req, 0), Status::kUnsupported);
  EXPECT_EQ(injected(*d, FaultKind::kUnsupported), 1u);
}

TEST(FaultDevice, ErrorCompletesWithDeviceErrorWithoutTheWork) {
  RecordingSink sink;
  auto d = make("error=1", &sink);
  auto js = jobs(20);
  for (auto& j : js) ASSERT_EQ(d->submit(&j->req, 0), Status::kOk);
  sink.wait_for(js.size());
  for (auto& j : js) {
    EXPECT_EQ(sink.seen(&j->req), 1);
    EXPECT_EQ(j->req.result.status, Status::kDeviceError);
    EXPECT_EQ(j->req.result.produced, 0u);
    EXPECT_EQ(j->out[0], 0) << "the output buffer was written";
  }
  EXPECT_EQ(injected(*d, FaultKind::kError), js.size());
  EXPECT_EQ(d->stats().errors_by_status[static_cast<size_t>(Status::kDeviceError)], js.size());
}

TEST(FaultDevice, TimeoutHoldsUntilAbort) {
  RecordingSink sink;
  auto d = make("timeout=1", &sink);
  auto js = jobs(10);
  for (auto& j : js) ASSERT_EQ(d->submit(&j->req, 0), Status::kOk);
  for (auto& j : js) EXPECT_TRUE(d->abort(&j->req));
  for (auto& j : js) EXPECT_FALSE(d->abort(&j->req));  // already given back
  d.reset();
  EXPECT_TRUE(sink.order().empty());  // aborted requests are never completed
}

TEST(FaultDevice, DestructionReleasesHeldRequestsOnce) {
  RecordingSink sink;
  auto d = make("timeout=0.5,seed=3", &sink);
  auto js = jobs(40);
  for (auto& j : js) ASSERT_EQ(d->submit(&j->req, 0), Status::kOk);
  uint64_t held = injected(*d, FaultKind::kTimeout);
  EXPECT_GT(held, 0u);
  EXPECT_LT(held, js.size());
  d.reset();
  ASSERT_EQ(sink.order().size(), js.size());
  size_t errors = 0;
  for (auto& j : js) {
    EXPECT_EQ(sink.seen(&j->req), 1);
    if (j->req.result.status == Status::kDeviceError)
      ++errors;
    else
      EXPECT_TRUE(j->decodes());
  }
  EXPECT_EQ(errors, held);
}

TEST(FaultDevice, SlowCompletesLaterAndCanBeAborted) {
  RecordingSink sink;
  auto d = make("slow=1,slow_ms=60000", &sink);  // held far longer than this test runs
  auto js = jobs(8);
  for (auto& j : js) ASSERT_EQ(d->submit(&j->req, 0), Status::kOk);
  // Each is either still in the inner device or held for slow_ms: abort takes it back
  // either way, unless the inner device is just completing it (then it is delivered).
  size_t aborted = 0;
  for (size_t i = 0; i < js.size(); i += 2) aborted += d->abort(&js[i]->req);
  d.reset();  // releases the held ones with their finished results
  EXPECT_EQ(sink.order().size(), js.size() - aborted);
  for (auto& j : js) {
    int n = sink.seen(&j->req);
    EXPECT_LE(n, 1);
    if (n == 1) {
      EXPECT_EQ(j->req.result.status, Status::kOk);
      EXPECT_TRUE(j->decodes());
    }
  }
}

TEST(FaultDevice, SlowWithAShortDelayDelivers) {
  RecordingSink sink;
  auto d = make("slow=1,slow_ms=2", &sink);
  auto js = jobs(30);
  for (auto& j : js) ASSERT_EQ(d->submit(&j->req, 0), Status::kOk);
  sink.wait_for(js.size());
  for (auto& j : js) {
    EXPECT_EQ(sink.seen(&j->req), 1);
    EXPECT_TRUE(j->decodes());
  }
  EXPECT_EQ(injected(*d, FaultKind::kSlow), js.size());
}

TEST(FaultDevice, ReorderDeliversEveryRequestOnceOutOfOrder) {
  RecordingSink sink;
  auto d = make("reorder=1,seed=5", &sink, 1);  // one inner worker: in-order without faults
  auto js = jobs(256, 512);
  for (auto& j : js) ASSERT_EQ(d->submit(&j->req, 0), Status::kOk);
  sink.wait_for(js.size());
  std::vector<Request*> order = sink.order();
  size_t inversions = 0;
  std::map<Request*, size_t> index;
  for (size_t i = 0; i < js.size(); ++i) index[&js[i]->req] = i;
  for (size_t i = 1; i < order.size(); ++i) inversions += index[order[i]] < index[order[i - 1]];
  EXPECT_GT(inversions, 0u);
  for (auto& j : js) {
    EXPECT_EQ(sink.seen(&j->req), 1);
    EXPECT_TRUE(j->decodes());
  }
  EXPECT_EQ(injected(*d, FaultKind::kReorder), js.size());
}

TEST(FaultDevice, TruncateShortensTheOutputButKeepsOk) {
  RecordingSink sink;
  auto d = make("truncate=1", &sink);
  auto js = jobs(20);
  for (auto& j : js) ASSERT_EQ(d->submit(&j->req, 0), Status::kOk);
  sink.wait_for(js.size());
  for (auto& j : js) {
    EXPECT_EQ(j->req.result.status, Status::kOk);
    EXPECT_FALSE(j->decodes());
  }
  EXPECT_EQ(injected(*d, FaultKind::kTruncate), js.size());
}

TEST(FaultDevice, CorruptFlipsBitsButKeepsOk) {
  RecordingSink sink;
  auto d = make("corrupt=1", &sink);
  auto js = jobs(20, 8000);
  for (auto& j : js) ASSERT_EQ(d->submit(&j->req, 0), Status::kOk);
  sink.wait_for(js.size());
  for (auto& j : js) {
    EXPECT_EQ(j->req.result.status, Status::kOk);
    EXPECT_FALSE(j->decodes());  // gzip's CRC-32 catches any flip in the middle
  }
  EXPECT_EQ(injected(*d, FaultKind::kCorrupt), js.size());
}

TEST(FaultDevice, TheSameSeedInjectsTheSameFaults) {
  auto run = [](std::string_view spec) {
    RecordingSink sink;
    auto d = make(spec, &sink);
    auto js = jobs(100, 300);
    size_t accepted = 0;
    for (auto& j : js) {  // one at a time, so the draws meet requests in the same order
      if (d->submit(&j->req, 0) == Status::kOk) sink.wait_for(++accepted);
    }
    return fault_counts(*d)->injected;
  };
  const char* spec = "busy=0.2,error=0.2,truncate=0.3,corrupt=0.3,seed=99";
  auto a = run(spec), b = run(spec);
  EXPECT_EQ(a, b);
  EXPECT_GT(a[static_cast<size_t>(FaultKind::kBusy)], 0u);
  EXPECT_NE(run("busy=0.2,error=0.2,truncate=0.3,corrupt=0.3,seed=100"), a);
}

// Aborts racing with the inner device, the timer thread and reorder flushes: each request
// ends up either aborted (abort() said true) or delivered, exactly once, never both.
TEST(FaultDevice, AbortRacingWithDeliveryIsExactlyOnce) {
  RecordingSink sink;
  auto d = make("slow=0.3,slow_ms=1,reorder=0.3,timeout=0.1,error=0.1,seed=21", &sink, 2);
  auto js = jobs(1500, 256);
  std::atomic<size_t> submitted{0};
  std::vector<std::atomic<bool>> aborted(js.size());
  std::thread aborter([&] {
    for (size_t i = 0; i < js.size(); i += 2) {
      while (submitted.load() <= i) std::this_thread::yield();
      aborted[i] = d->abort(&js[i]->req);
    }
  });
  for (size_t i = 0; i < js.size(); ++i) {
    while (d->submit(&js[i]->req, i) == Status::kBusy) std::this_thread::yield();  // queue full
    submitted.store(i + 1);
  }
  aborter.join();
  d.reset();  // releases the timeout-held ones that were not aborted
  size_t n_aborted = 0;
  for (size_t i = 0; i < js.size(); ++i) {
    n_aborted += aborted[i];
    EXPECT_EQ(sink.seen(&js[i]->req), aborted[i] ? 0 : 1) << i;
  }
  EXPECT_GT(n_aborted, 0u);
  EXPECT_EQ(sink.order().size(), js.size() - n_aborted);
}

TEST(FaultDevice, CountsExistOnlyForFaultDevices) {
  RecordingSink sink;
  auto cpu = make_cpu_device(CpuDeviceOptions{}, &sink);
  EXPECT_FALSE(fault_counts(*cpu));
  auto d = make("", &sink);
  EXPECT_TRUE(fault_counts(*d));
}

}  // namespace
}  // namespace accz
