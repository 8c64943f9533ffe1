// Fallback under every injected fault, through Accel::open with a fault spec: thousands of
// compress and decompress requests over every framing, each delivered exactly once, each
// correct (decoded by the reference libraries and compared), and the fault device's stats
// showing fallbacks for the right reason. Callback, poll() and run() delivery are covered.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "accz/accel.h"
#include "fault/codec_check.h"
#include "util/datagen.h"

namespace accz {
namespace {

using std::chrono::milliseconds;

constexpr Framing kFramings[] = {Framing::kGzip, Framing::kRaw, Framing::kZlib, Framing::kLz4Frame,
                                 Framing::kZstdFrame};

size_t reason(FallbackReason r) { return static_cast<size_t>(r); }

// One request and everything it points at. Requests are made in a fixed pattern from the
// index: framing, direction, size, level and data kind all vary.
struct Slot {
  std::vector<uint8_t> original;  // what a decompression must give back / compression takes
  std::vector<uint8_t> input;     // the request's src
  std::vector<uint8_t> out;
  ByteSpan src[2];
  MutableByteSpan dst[2];
  Request req;
  std::atomic<int> delivered{0};
  std::atomic<size_t>* batch_delivered = nullptr;  // the submitting run's count

  void make(size_t i) {
    Framing f = kFramings[i % std::size(kFramings)];
    bool compress = (i / std::size(kFramings)) % 2 == 0;
    size_t size = 200 + (i * 7919) % 16000;
    original = i % 3 == 0 ? datagen::binary(size, i) : datagen::text(size, i);
    int level = f == Framing::kLz4Frame    ? 1 + int(i % 3)
                : f == Framing::kZstdFrame ? 1 + int(i % 5)
                                           : 1 + int(i % 9);
    req = Request{};
    req.framing = f;
    req.checksum_seed = f == Framing::kZlib ? 1 : 0;
    if (compress) {
      req.op = Operation::kCompress;
      req.level = level;
      input = original;
      out.assign(original.size() + original.size() / 8 + 1024, 0);
    } else {
      req.op = Operation::kDecompress;
      input = testing::reference_encode(f, original, level);
      out.assign(original.size() + 64, 0);
    }
    // Two pieces each way, split unevenly, so scatter-gather is exercised under faults too.
    size_t a = input.size() / 3, b = out.size() / 2;
    src[0] = ByteSpan(input).first(a);
    src[1] = ByteSpan(input).subspan(a);
    dst[0] = MutableByteSpan(out).first(b);
    dst[1] = MutableByteSpan(out).subspan(b);
    req.src = src;
    req.dst = dst;
    req.user = this;
  }

  // Empty if the delivered result is right; else what is wrong.
  std::string check() const {
    const Result& r = req.result;
    if (r.status != Status::kOk) return "status " + std::string(to_string(r.status));
    if (r.consumed != input.size()) return "consumed " + std::to_string(r.consumed);
    if (r.checksum != testing::reference_checksum(req.framing, original)) return "checksum";
    if (req.op == Operation::kCompress) {
      auto d =
          testing::reference_decode(req.framing, ByteSpan(out).first(r.produced), original.size());
      if (!d || *d != original) return "compressed output does not decode to the input";
    } else {
      if (r.produced != original.size()) return "produced " + std::to_string(r.produced);
      if (!std::equal(original.begin(), original.end(), out.begin())) return "wrong bytes";
    }
    return "";
  }
};

std::unique_ptr<Accel> open_with(const std::string& spec,
                                 milliseconds timeout = milliseconds(2000)) {
  AccelOptions o;
  o.cpu_instances = 2;
  // Deep enough for every request of a test to be in flight at once: a busy fallback then
  // only ever comes from an injected fault, never from real backpressure.
  o.queue_depth = 4096;
  o.fault_spec = spec;
  o.timeout = timeout;
  std::string err;
  auto accel = Accel::open(o, &err);
  EXPECT_TRUE(accel) << err;
  return accel;
}

DeviceReport report(const Accel& accel, std::string_view name) {
  for (auto& d : accel.devices())
    if (d.info.name == name) return d;
  ADD_FAILURE() << "no device " << name;
  return {};
}

std::string fallback_summary(const DeviceStats& s) {
  std::string out;
  for (size_t r = 1; r < s.fallbacks.size(); ++r)
    out += std::string(to_string(static_cast<FallbackReason>(r))) + "=" +
           std::to_string(s.fallbacks[r]) + " ";
  return out;
}

enum class Mode { kCallback, kPoll, kRun };

// Submits `n` requests in `mode`, waits for all, and checks each was delivered once and is
// right. Returns how many the fault device (rather than software) produced.
size_t exercise(Accel& accel, size_t n, Mode mode, size_t seed_offset = 0) {
  std::vector<Slot> slots(n);
  for (size_t i = 0; i < n; ++i) slots[i].make(i + seed_offset);
  std::atomic<size_t> delivered{0};
  for (Slot& s : slots) s.batch_delivered = &delivered;

  if (mode == Mode::kRun) {
    for (Slot& s : slots) {
      s.req.result = accel.run(s.req);
      s.delivered.fetch_add(1);
    }
  } else {
    if (mode == Mode::kCallback) {
      for (Slot& s : slots)
        s.req.on_complete = [](Request* r) {
          auto* slot = static_cast<Slot*>(r->user);
          slot->delivered.fetch_add(1);
          slot->batch_delivered->fetch_add(1);
        };
    }
    std::vector<Request*> out(64);
    for (Slot& s : slots) {
      while (accel.submit(&s.req) == Status::kBusy) {
        // Backpressure: make room (poll mode must collect to free the queues).
        if (mode == Mode::kPoll) {
          size_t got = accel.poll(out, false);
          for (size_t k = 0; k < got; ++k) static_cast<Slot*>(out[k]->user)->delivered.fetch_add(1);
          delivered.fetch_add(got);
        }
        std::this_thread::yield();
      }
    }
    if (mode == Mode::kPoll) {
      while (delivered.load() < n) {
        size_t got = accel.poll(out, true);
        for (size_t k = 0; k < got; ++k) {
          static_cast<Slot*>(out[k]->user)->delivered.fetch_add(1);
          delivered.fetch_add(1);
        }
      }
    }
    accel.drain();
  }
  if (mode != Mode::kRun) {
    EXPECT_EQ(delivered.load(), n);
  }

  size_t by_fault = 0, bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const Slot& s = slots[i];
    EXPECT_EQ(s.delivered.load(), 1) << "request " << i;
    std::string why = s.check();
    if (!why.empty() && ++bad <= 5)
      ADD_FAILURE() << "request " << i << " (" << to_string(s.req.op) << " "
                    << to_string(s.req.framing) << ", by " << s.req.result.device << ", fallback "
                    << to_string(s.req.result.fallback) << "): " << why;
    by_fault += s.req.result.device == "fault";
  }
  EXPECT_EQ(bad, 0u);
  return by_fault;
}

struct Case {
  const char* name;
  const char* spec;
  FallbackReason expect;  // the reason the fault must show up as (kNone: no fallback at all)
};

class FaultKindTest : public ::testing::TestWithParam<Case> {};

TEST_P(FaultKindTest, EveryRequestIsDeliveredOnceAndCorrect) {
  const Case& c = GetParam();
  auto accel = open_with(c.spec, milliseconds(c.expect == FallbackReason::kTimeout ? 100 : 10000));
  ASSERT_TRUE(accel);
  constexpr size_t kRequests = 2000;
  size_t by_fault = exercise(*accel, kRequests, Mode::kCallback);
  DeviceReport fault = report(*accel, "fault");
  const auto& fb = fault.stats.fallbacks;
  SCOPED_TRACE("fallbacks: " + fallback_summary(fault.stats));
  if (c.expect == FallbackReason::kNone) {
    EXPECT_EQ(fault.stats.fallback_total(), 0u);
    EXPECT_EQ(by_fault, kRequests);
  } else {
    EXPECT_GT(fb[reason(c.expect)], 0u) << to_string(c.expect);
    // No fallback for a reason this fault cannot cause.
    EXPECT_EQ(fault.stats.fallback_total(), fb[reason(c.expect)]);
    EXPECT_GT(by_fault, 0u);  // at p = 0.2 most requests still go through the device
    EXPECT_EQ(by_fault + fault.stats.fallback_total(), kRequests);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Alone, FaultKindTest,
    ::testing::Values(Case{"error", "error=0.2,seed=1", FallbackReason::kDeviceError},
                      Case{"busy", "busy=0.2,seed=2", FallbackReason::kBusy},
                      Case{"unsupported", "unsupported=0.2,seed=3", FallbackReason::kUnsupported},
                      Case{"timeout", "timeout=0.2,seed=4", FallbackReason::kTimeout},
                      Case{"truncate", "truncate=0.2,seed=5", FallbackReason::kBadOutput},
                      Case{"corrupt", "corrupt=0.2,seed=6", FallbackReason::kBadOutput},
                      Case{"slow", "slow=0.2,slow_ms=3,seed=7", FallbackReason::kNone},
                      Case{"reorder", "reorder=0.3,seed=8", FallbackReason::kNone}),
    [](const auto& p) { return std::string(p.param.name); });

constexpr const char* kMix =
    "error=0.05,busy=0.05,unsupported=0.05,timeout=0.03,slow=0.05,slow_ms=2,reorder=0.1,"
    "truncate=0.05,corrupt=0.05";

void expect_every_reason(const Accel& accel) {
  const auto& fb = report(accel, "fault").stats.fallbacks;
  for (FallbackReason r :
       {FallbackReason::kDeviceError, FallbackReason::kBusy, FallbackReason::kUnsupported,
        FallbackReason::kTimeout, FallbackReason::kBadOutput})
    EXPECT_GT(fb[reason(r)], 0u) << to_string(r);
}

TEST(FaultMix, CallbacksUnderEveryFaultAtOnce) {
  auto accel = open_with(std::string(kMix) + ",seed=11", milliseconds(100));
  ASSERT_TRUE(accel);
  EXPECT_GT(exercise(*accel, 3000, Mode::kCallback), 0u);
  expect_every_reason(*accel);
}

TEST(FaultMix, PollModeUnderEveryFaultAtOnce) {
  auto accel = open_with(std::string(kMix) + ",seed=12", milliseconds(100));
  ASSERT_TRUE(accel);
  EXPECT_GT(exercise(*accel, 3000, Mode::kPoll, 5), 0u);
  expect_every_reason(*accel);
}

TEST(FaultMix, SynchronousRunUnderEveryFaultAtOnce) {
  // run() waits out each timeout in turn, so keep them few and short.
  auto accel = open_with(
      "error=0.05,busy=0.05,unsupported=0.05,timeout=0.01,slow=0.05,slow_ms=1,reorder=0.1,"
      "truncate=0.05,corrupt=0.05,seed=13",
      milliseconds(20));
  ASSERT_TRUE(accel);
  EXPECT_GT(exercise(*accel, 1000, Mode::kRun, 7), 0u);
}

TEST(FaultMix, ManySubmittingThreads) {
  auto accel = open_with(std::string(kMix) + ",seed=14", milliseconds(100));
  ASSERT_TRUE(accel);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] { exercise(*accel, 500, Mode::kCallback, 10000 * (t + 1)); });
  for (auto& th : threads) th.join();
  expect_every_reason(*accel);
}

TEST(FaultSpecThroughAccel, ABadSpecFailsOpenWithTheReason) {
  AccelOptions o;
  o.fault_spec = "error=0.1,explode=1";
  std::string err;
  EXPECT_FALSE(Accel::open(o, &err));
  EXPECT_NE(err.find("explode"), std::string::npos) << err;
}

}  // namespace
}  // namespace accz
