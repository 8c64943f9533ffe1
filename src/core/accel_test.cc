// Tests of the Accel front end: routing, fallback, verification, timeouts and delivery,
// driven through a scriptable fake device (core/fake_device.h) in front of the real cpu floor,
// plus Accel::open with the real providers.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "accz/accel.h"
#include "core/accel_impl.h"
#include "core/fake_device.h"
#include "providers/cpu/cpu_device.h"
#include "util/datagen.h"

namespace accz {

// Readable gtest messages.
void PrintTo(FallbackReason r, std::ostream* os) { *os << to_string(r); }
void PrintTo(Status s, std::ostream* os) { *os << to_string(s); }

namespace {

using testing::FakeAction;
using testing::FakeDevice;
using testing::FakeOptions;

// --- helpers ---

FakeOptions fake(std::string name, int priority, FakeAction action = FakeAction::kOk) {
  FakeOptions o;
  o.info.name = std::move(name);
  o.info.provider = "fake";
  o.info.priority = priority;
  o.info.instances = 2;
  o.info.queue_depth = 64;
  o.script = [action](const Request&) { return action; };
  return o;
}

FakeOptions fake_floor(FakeAction action) {
  FakeOptions o = fake("cpu", 0, action);
  o.info.trusted = true;
  return o;
}

struct Rig {
  std::unique_ptr<AccelImpl> accel;
  std::vector<FakeDevice*> fakes;
  FakeDevice* floor_fake = nullptr;
};

// An Accel with the given fakes in front of the real cpu floor (or of a fake floor).
Rig make_rig(AccelOptions options, std::vector<FakeOptions> fakes,
             const FakeOptions* floor = nullptr) {
  Rig rig;
  rig.accel = std::make_unique<AccelImpl>(options);
  for (auto& f : fakes) {
    auto d = std::make_unique<FakeDevice>(f, rig.accel->sink());
    rig.fakes.push_back(d.get());
    rig.accel->add_device(std::move(d), false);
  }
  if (floor) {
    auto d = std::make_unique<FakeDevice>(*floor, rig.accel->sink());
    rig.floor_fake = d.get();
    rig.accel->add_device(std::move(d), true);
  } else {
    CpuDeviceOptions cpu;
    cpu.instances = 2;
    cpu.queue_depth = 256;
    rig.accel->add_device(make_cpu_device(cpu, rig.accel->sink()), true);
  }
  EXPECT_EQ(rig.accel->start(), "");
  return rig;
}

AccelOptions fast_options() {
  AccelOptions o;
  o.timeout = std::chrono::milliseconds(0);
  return o;
}

// One request with its buffers.
struct Job {
  std::vector<uint8_t> in;
  std::vector<uint8_t> out;
  ByteSpan src_span;
  MutableByteSpan dst_span;
  Request req;
  std::atomic<int> delivered{0};

  Job(Operation op, Framing f, std::vector<uint8_t> input, size_t out_size) {
    in = std::move(input);
    out.assign(out_size, 0);
    src_span = ByteSpan(in);
    dst_span = MutableByteSpan(out);
    req.op = op;
    req.framing = f;
    req.level = 6;
    req.checksum_seed = f == Framing::kZlib ? 1 : 0;
    req.src = std::span<const ByteSpan>(&src_span, 1);
    req.dst = std::span<const MutableByteSpan>(&dst_span, 1);
    req.user = this;
  }
  ByteSpan output() const { return ByteSpan(out.data(), req.result.produced); }
};

std::unique_ptr<Job> compress_job(size_t size, uint64_t seed, Framing f = Framing::kGzip) {
  return std::make_unique<Job>(Operation::kCompress, f, datagen::text(size, seed),
                               size + size / 2 + 1024);
}

// Reference codecs (zlib itself for deflate; the software path for lz4/zstd).
std::vector<uint8_t> software(Operation op, Framing f, ByteSpan in, size_t out_size) {
  std::vector<uint8_t> out(out_size);
  ByteSpan s = in;
  MutableByteSpan d(out);
  Request r;
  r.op = op;
  r.framing = f;
  r.level = 6;
  r.checksum_seed = f == Framing::kZlib ? 1 : 0;
  r.src = std::span<const ByteSpan>(&s, 1);
  r.dst = std::span<const MutableByteSpan>(&d, 1);
  run_in_software(&r);
  EXPECT_EQ(r.result.status, Status::kOk);
  out.resize(r.result.produced);
  return out;
}

// Decodes deflate framings with stock zlib, so a wrong output cannot hide behind our code.
std::vector<uint8_t> zlib_decode(Framing f, ByteSpan in, size_t expect) {
  std::vector<uint8_t> out(expect + 64);
  z_stream z{};
  int bits = f == Framing::kGzip ? 31 : f == Framing::kZlib ? 15 : -15;
  EXPECT_EQ(inflateInit2(&z, bits), Z_OK);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

// The job's compressed output decodes to its input.
void expect_round_trip(const Job& j) {
  ASSERT_EQ(j.req.result.status, Status::kOk);
  std::vector<uint8_t> back;
  if (algorithm_of(j.req.framing) == Algorithm::kDeflate)
    back = zlib_decode(j.req.framing, j.output(), j.in.size());
  else
    back = software(Operation::kDecompress, j.req.framing, j.output(), j.in.size() + 1);
  EXPECT_TRUE(back == j.in) << "output does not decode to the input";
}

void wait_all(Accel& a, std::vector<std::unique_ptr<Job>>& jobs) {
  std::vector<Request*> got(16);
  size_t seen = 0;
  while (seen < jobs.size()) {
    size_t n = a.poll(got, true);
    ASSERT_GT(n, 0u) << "poll gave up with requests outstanding";
    for (size_t i = 0; i < n; ++i) static_cast<Job*>(got[i]->user)->delivered++;
    seen += n;
  }
}

uint64_t fallbacks(const Accel& a, std::string_view device, FallbackReason why) {
  for (const auto& d : a.devices())
    if (d.info.name == device) return d.stats.fallbacks[static_cast<size_t>(why)];
  ADD_FAILURE() << "no device " << device;
  return 0;
}

// --- routing ---

TEST(AccelRouting, PriorityOrderSupportsAndMinOffload) {
  FakeOptions hi = fake("hi", 20);
  hi.supports = [](const Request& r) { return r.framing == Framing::kZlib; };
  FakeOptions mid = fake("mid", 10);
  mid.info.min_offload = 1000;
  Rig rig = make_rig(fast_options(), {mid, hi});

  auto names = rig.accel->devices();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0].info.name, "hi");
  EXPECT_EQ(names[1].info.name, "mid");
  EXPECT_EQ(names[2].info.name, "cpu");

  auto z = compress_job(4096, 1, Framing::kZlib);
  auto g = compress_job(4096, 2, Framing::kGzip);
  auto small = compress_job(100, 3, Framing::kGzip);
  for (Job* j : {z.get(), g.get(), small.get()}) {
    rig.accel->run(j->req);
    expect_round_trip(*j);
    EXPECT_EQ(j->req.result.fallback, FallbackReason::kNone);
  }
  EXPECT_EQ(z->req.result.device, "hi");
  EXPECT_EQ(g->req.result.device, "mid");
  EXPECT_EQ(small->req.result.device, "cpu");
}

TEST(AccelRouting, RefusalsFallBackToCpuAndAreCounted) {
  Rig rig = make_rig(fast_options(), {fake("busy", 20, FakeAction::kBusy)});
  for (int i = 0; i < 5; ++i) {
    auto j = compress_job(4096, i);
    rig.accel->run(j->req);
    expect_round_trip(*j);
    EXPECT_EQ(j->req.result.device, "cpu");
    EXPECT_EQ(j->req.result.fallback, FallbackReason::kBusy);
  }
  EXPECT_EQ(fallbacks(*rig.accel, "busy", FallbackReason::kBusy), 5u);

  Rig rig2 = make_rig(fast_options(), {fake("picky", 20, FakeAction::kUnsupported)});
  auto j = compress_job(4096, 9);
  rig2.accel->run(j->req);
  expect_round_trip(*j);
  EXPECT_EQ(j->req.result.fallback, FallbackReason::kUnsupported);
  EXPECT_EQ(fallbacks(*rig2.accel, "picky", FallbackReason::kUnsupported), 1u);
}

TEST(AccelRouting, BusyEverywhereTakesNothing) {
  FakeOptions floor = fake_floor(FakeAction::kBusy);
  Rig rig = make_rig(fast_options(), {fake("busy", 20, FakeAction::kBusy)}, &floor);
  {
    auto j = compress_job(4096, 1);
    EXPECT_EQ(rig.accel->submit(&j->req), Status::kBusy);
    std::vector<std::unique_ptr<Job>> jobs;
    std::vector<Request*> ptrs;
    for (int i = 0; i < 10; ++i) {
      jobs.push_back(compress_job(512, i));
      ptrs.push_back(&jobs.back()->req);
    }
    EXPECT_EQ(rig.accel->submit_batch(ptrs), 0u);
  }                    // the jobs are freed: nothing may refer to them any more
  rig.accel->drain();  // returns at once: nothing in flight
  std::vector<Request*> out(4);
  EXPECT_EQ(rig.accel->poll(out, true), 0u);
  EXPECT_EQ(rig.floor_fake->submitted(), 0u);
  EXPECT_EQ(fallbacks(*rig.accel, "busy", FallbackReason::kBusy), 0u);  // no fallback happened
}

TEST(AccelRouting, UnsupportedEverywhere) {
  FakeOptions floor = fake_floor(FakeAction::kOk);
  floor.supports = [](const Request&) { return false; };
  Rig rig = make_rig(fast_options(), {}, &floor);
  auto j = compress_job(100, 1);
  EXPECT_EQ(rig.accel->submit(&j->req), Status::kUnsupported);
  EXPECT_EQ(rig.accel->run(j->req).status, Status::kUnsupported);
}

TEST(AccelRouting, BatchSpreadsOverInstancesAndOverflowsToCpu) {
  FakeOptions f = fake("dev", 20, FakeAction::kLate);
  f.info.instances = 4;
  f.info.queue_depth = 8;
  f.late_delay = std::chrono::microseconds(2000);
  Rig rig = make_rig(fast_options(), {f});
  std::vector<std::unique_ptr<Job>> jobs;
  std::vector<Request*> ptrs;
  for (int i = 0; i < 200; ++i) {
    jobs.push_back(compress_job(4096, i));
    ptrs.push_back(&jobs.back()->req);
  }
  EXPECT_EQ(rig.accel->submit_batch(ptrs), ptrs.size());
  wait_all(*rig.accel, jobs);
  size_t on_dev = 0, on_cpu = 0;
  for (auto& j : jobs) {
    EXPECT_EQ(j->delivered.load(), 1);
    expect_round_trip(*j);
    if (j->req.result.device == "dev") {
      ++on_dev;
    } else {
      ++on_cpu;
      EXPECT_EQ(j->req.result.fallback, FallbackReason::kBusy);
    }
  }
  EXPECT_GT(on_dev, 0u);
  EXPECT_GT(on_cpu, 0u);  // 4 x 8 slots cannot hold 200
  EXPECT_EQ(fallbacks(*rig.accel, "dev", FallbackReason::kBusy), on_cpu);
  auto per = rig.fakes[0]->per_instance();
  EXPECT_GT(std::count_if(per.begin(), per.end(), [](uint64_t n) { return n > 0; }), 1);
}

TEST(AccelRouting, AnUnsupportedRequestInABatchFallsBackAlone) {
  FakeOptions f = fake("half", 20);
  f.info.queue_depth = 1000;
  f.script = [](const Request& r) {
    return static_cast<Job*>(r.user)->in[0] % 2 ? FakeAction::kOk : FakeAction::kUnsupported;
  };
  Rig rig = make_rig(fast_options(), {f});
  std::vector<std::unique_ptr<Job>> jobs;
  std::vector<Request*> ptrs;
  size_t odd = 0;
  for (int i = 0; i < 100; ++i) {
    jobs.push_back(compress_job(1024, i));
    jobs.back()->in[0] = static_cast<uint8_t>(i);
    odd += i % 2;
    ptrs.push_back(&jobs.back()->req);
  }
  EXPECT_EQ(rig.accel->submit_batch(ptrs), ptrs.size());
  wait_all(*rig.accel, jobs);
  for (auto& j : jobs) {
    expect_round_trip(*j);
    bool is_odd = j->in[0] % 2;
    EXPECT_EQ(j->req.result.device, is_odd ? "half" : "cpu");
    EXPECT_EQ(j->req.result.fallback,
              is_odd ? FallbackReason::kNone : FallbackReason::kUnsupported);
  }
  EXPECT_EQ(fallbacks(*rig.accel, "half", FallbackReason::kUnsupported), ptrs.size() - odd);
  EXPECT_EQ(fallbacks(*rig.accel, "half", FallbackReason::kBusy), 0u);
}

// --- device failures and verification ---

TEST(AccelFallback, DeviceErrorIsRedoneInSoftware) {
  Rig rig = make_rig(fast_options(), {fake("bad", 20, FakeAction::kError)});
  auto j = compress_job(8192, 4);
  Result r = rig.accel->run(j->req);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.fallback, FallbackReason::kDeviceError);
  EXPECT_EQ(r.device, "cpu");
  expect_round_trip(*j);
  EXPECT_EQ(fallbacks(*rig.accel, "bad", FallbackReason::kDeviceError), 1u);
}

struct BadOutputCase {
  FakeAction action;
  Operation op;
  Framing framing;
};

class AccelVerify : public ::testing::TestWithParam<BadOutputCase> {};

TEST_P(AccelVerify, BadOutputIsDetectedAndRedone) {
  const BadOutputCase c = GetParam();
  Rig rig = make_rig(fast_options(), {fake("liar", 20, c.action)});
  std::vector<uint8_t> plain = datagen::text(20000, 7);
  std::unique_ptr<Job> j;
  if (c.op == Operation::kCompress) {
    j = std::make_unique<Job>(c.op, c.framing, plain, 40000);
  } else {
    j = std::make_unique<Job>(c.op, c.framing,
                              software(Operation::kCompress, c.framing, plain, 40000),
                              plain.size() + 100);
  }
  Result r = rig.accel->run(j->req);
  ASSERT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.fallback, FallbackReason::kBadOutput);
  EXPECT_EQ(r.device, "cpu");
  if (c.op == Operation::kCompress) {
    expect_round_trip(*j);
  } else {
    EXPECT_TRUE(std::vector<uint8_t>(j->output().begin(), j->output().end()) == plain);
  }
  EXPECT_EQ(fallbacks(*rig.accel, "liar", FallbackReason::kBadOutput), 1u);
}

std::vector<BadOutputCase> bad_output_cases() {
  std::vector<BadOutputCase> v;
  for (FakeAction a : {FakeAction::kCorrupt, FakeAction::kTruncate, FakeAction::kBadChecksum})
    for (Operation op : {Operation::kCompress, Operation::kDecompress})
      for (Framing f :
           {Framing::kRaw, Framing::kZlib, Framing::kGzip, Framing::kLz4Frame, Framing::kZstdFrame})
        v.push_back({a, op, f});
  return v;
}

INSTANTIATE_TEST_SUITE_P(All, AccelVerify, ::testing::ValuesIn(bad_output_cases()),
                         [](const auto& p) {
                           const BadOutputCase& c = p.param;
                           std::string s = c.action == FakeAction::kCorrupt    ? "corrupt"
                                           : c.action == FakeAction::kTruncate ? "truncate"
                                                                               : "checksum";
                           s += c.op == Operation::kCompress ? "_compress_" : "_decompress_";
                           for (char ch : to_string(c.framing)) s += std::isalnum(ch) ? ch : '_';
                           return s;
                         });

TEST(AccelVerifyOff, CorruptOutputPassesWhenNotVerifying) {
  AccelOptions o = fast_options();
  o.verify = false;
  Rig rig = make_rig(o, {fake("liar", 20, FakeAction::kCorrupt)});
  auto j = compress_job(20000, 5, Framing::kRaw);
  Result r = rig.accel->run(j->req);
  EXPECT_EQ(r.fallback, FallbackReason::kNone);
  EXPECT_EQ(r.device, "liar");  // shows that verification is what catches it above
}

TEST(AccelVerify, GoodOutputOfEveryFramingIsAccepted) {
  Rig rig = make_rig(fast_options(), {fake("good", 20)});
  std::vector<uint8_t> plain = datagen::text(30000, 8);
  for (Framing f : {Framing::kRaw, Framing::kZlib, Framing::kGzip, Framing::kLz4Frame,
                    Framing::kLz4Block, Framing::kZstdFrame}) {
    Job c(Operation::kCompress, f, plain, 40000);
    rig.accel->run(c.req);
    ASSERT_EQ(c.req.result.status, Status::kOk) << to_string(f);
    EXPECT_EQ(c.req.result.device, "good") << to_string(f);
    Job d(Operation::kDecompress, f, std::vector<uint8_t>(c.output().begin(), c.output().end()),
          plain.size());
    rig.accel->run(d.req);
    ASSERT_EQ(d.req.result.status, Status::kOk) << to_string(f);
    EXPECT_EQ(d.req.result.device, "good") << to_string(f);
    EXPECT_TRUE(std::vector<uint8_t>(d.output().begin(), d.output().end()) == plain);
  }
}

// Scatter-gather buffers: verification reads src and dst across span boundaries.
TEST(AccelVerify, SplitBuffersAreVerifiedBothWays) {
  for (FakeAction action : {FakeAction::kOk, FakeAction::kCorrupt}) {
    for (Framing f : {Framing::kGzip, Framing::kZlib, Framing::kZstdFrame}) {
      Rig rig = make_rig(fast_options(), {fake("dev", 20, action)});
      const FallbackReason want =
          action == FakeAction::kOk ? FallbackReason::kNone : FallbackReason::kBadOutput;
      std::vector<uint8_t> plain = datagen::text(50000, 12);
      std::vector<uint8_t> packed(60000);
      ByteSpan src[3] = {ByteSpan(plain).first(7), ByteSpan(plain).subspan(7, 20000),
                         ByteSpan(plain).subspan(20007)};
      MutableByteSpan dst[3] = {MutableByteSpan(packed).first(5),
                                MutableByteSpan(packed).subspan(5, 3000),
                                MutableByteSpan(packed).subspan(3005)};
      Request c;
      c.op = Operation::kCompress;
      c.framing = f;
      c.checksum_seed = f == Framing::kZlib ? 1 : 0;
      c.src = src;
      c.dst = dst;
      Result r = rig.accel->run(c);
      ASSERT_EQ(r.status, Status::kOk) << to_string(f);
      EXPECT_EQ(r.fallback, want) << to_string(f);
      packed.resize(r.produced);

      std::vector<uint8_t> back(plain.size());
      ByteSpan csrc[2] = {ByteSpan(packed).first(3), ByteSpan(packed).subspan(3)};
      MutableByteSpan cdst[2] = {MutableByteSpan(back).first(11),
                                 MutableByteSpan(back).subspan(11)};
      Request d;
      d.op = Operation::kDecompress;
      d.framing = f;
      d.checksum_seed = c.checksum_seed;
      d.src = csrc;
      d.dst = cdst;
      r = rig.accel->run(d);
      ASSERT_EQ(r.status, Status::kOk) << to_string(f);
      EXPECT_EQ(r.fallback, want) << to_string(f);
      EXPECT_TRUE(back == plain) << to_string(f);
    }
  }
}

TEST(AccelVerify, SyncFlushPieceWithDictionaryIsVerified) {
  Rig rig = make_rig(fast_options(), {
                                         fake("good", 20),
                                     });
  std::vector<uint8_t> dict = datagen::text(32768, 1);
  auto j = compress_job(10000, 2, Framing::kRaw);
  j->req.flush = Flush::kSync;
  j->req.dictionary = ByteSpan(dict);
  Result r = rig.accel->run(j->req);
  ASSERT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.device, "good");
  EXPECT_EQ(r.fallback, FallbackReason::kNone);
}

TEST(AccelVerify, ClaimedBadDataIsCheckedBySoftware) {
  Rig rig = make_rig(fast_options(), {fake("claims", 20, FakeAction::kClaimBadData)});
  std::vector<uint8_t> plain = datagen::text(5000, 3);
  Job good(Operation::kDecompress, Framing::kGzip,
           software(Operation::kCompress, Framing::kGzip, plain, 10000), 6000);
  Result r = rig.accel->run(good.req);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.fallback, FallbackReason::kDeviceError);
  EXPECT_TRUE(std::vector<uint8_t>(good.output().begin(), good.output().end()) == plain);

  // Truly bad input: software agrees, so the device's verdict stands and is not a fallback.
  std::vector<uint8_t> garbage = datagen::generate({datagen::Kind::kRandom, 4, 0}, 1000);
  garbage[0] = 0x1f;
  garbage[1] = 0x8b;
  garbage[2] = 8;
  garbage[3] = 0;
  Job bad(Operation::kDecompress, Framing::kGzip, garbage, 6000);
  r = rig.accel->run(bad.req);
  EXPECT_EQ(r.status, Status::kBadData);
  EXPECT_EQ(r.fallback, FallbackReason::kNone);
  EXPECT_EQ(fallbacks(*rig.accel, "claims", FallbackReason::kDeviceError), 1u);
}

// --- timeouts ---

TEST(AccelTimeout, HungRequestIsAbortedAndRedone) {
  AccelOptions o;
  o.timeout = std::chrono::milliseconds(20);
  Rig rig = make_rig(o, {fake("hang", 20, FakeAction::kHang)});
  auto j = compress_job(4096, 1);
  Result r = rig.accel->run(j->req);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.fallback, FallbackReason::kTimeout);
  EXPECT_EQ(r.device, "cpu");
  expect_round_trip(*j);
  EXPECT_EQ(rig.fakes[0]->aborted(), 1u);
  EXPECT_EQ(fallbacks(*rig.accel, "hang", FallbackReason::kTimeout), 1u);
  EXPECT_EQ(rig.accel->timers_armed(), 0u);
}

TEST(AccelTimeout, TrustedDevicesAreNotTimed) {
  AccelOptions o;
  o.timeout = std::chrono::milliseconds(1);
  FakeOptions slow = fake("trusted-slow", 20, FakeAction::kLate);
  slow.info.trusted = true;
  slow.late_delay = std::chrono::microseconds(20000);
  Rig rig = make_rig(o, {slow});
  auto j = compress_job(4096, 1);
  Result r = rig.accel->run(j->req);
  EXPECT_EQ(r.fallback, FallbackReason::kNone);
  EXPECT_EQ(r.device, "trusted-slow");
  EXPECT_EQ(rig.fakes[0]->aborted(), 0u);
}

// The fake completes each request somewhere in [0.5, 1.5) x the timeout, so completions and
// aborts race constantly. Every request must be delivered exactly once, with good output.
TEST(AccelTimeout, LateCompletionRacingAbortDeliversExactlyOnce) {
  AccelOptions o;
  o.timeout = std::chrono::milliseconds(1);
  FakeOptions f = fake("late", 20, FakeAction::kLate);
  f.late_delay = std::chrono::microseconds(1000);
  f.info.queue_depth = 4096;
  f.workers = 4;
  Rig rig = make_rig(o, {f});
  constexpr int kRounds = 4, kPerRound = 500;
  static std::atomic<int> delivered_total;
  delivered_total = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::unique_ptr<Job>> jobs;
    std::vector<Request*> ptrs;
    for (int i = 0; i < kPerRound; ++i) {
      jobs.push_back(compress_job(1024 + i, round * kPerRound + i));
      jobs.back()->req.on_complete = [](Request* r) {
        static_cast<Job*>(r->user)->delivered++;
        delivered_total++;
      };
      ptrs.push_back(&jobs.back()->req);
    }
    size_t at = 0;
    while (at < ptrs.size()) {
      at += rig.accel->submit_batch(std::span(ptrs).subspan(at));
      if (at < ptrs.size()) std::this_thread::yield();
    }
    rig.accel->drain();
    for (auto& j : jobs) {
      ASSERT_EQ(j->delivered.load(), 1);
      expect_round_trip(*j);
    }
  }
  EXPECT_EQ(delivered_total.load(), kRounds * kPerRound);
  const FakeDevice& d = *rig.fakes[0];
  EXPECT_EQ(fallbacks(*rig.accel, "late", FallbackReason::kTimeout), d.aborted());
  EXPECT_EQ(d.completed() + d.aborted(), d.submitted());
  EXPECT_EQ(rig.accel->timers_armed(), 0u);
  std::printf("aborted %llu, completed %llu, abort refused %llu\n", (unsigned long long)d.aborted(),
              (unsigned long long)d.completed(), (unsigned long long)d.abort_refused());
}

// A device completing inside its own submit(): with and without a timer armed.
TEST(AccelDelivery, InlineCompletionsAreDeliveredOnce) {
  for (int timed = 0; timed < 2; ++timed) {
    AccelOptions o;
    o.timeout = std::chrono::milliseconds(timed ? 5000 : 0);
    Rig rig = make_rig(o, {fake("inline", 20, FakeAction::kInline)});
    auto j = compress_job(4096, 1);
    Result r = rig.accel->run(j->req);
    EXPECT_EQ(r.device, "inline");
    expect_round_trip(*j);

    std::vector<std::unique_ptr<Job>> jobs;
    std::vector<Request*> ptrs;
    for (int i = 0; i < 100; ++i) {
      jobs.push_back(compress_job(2048, i));
      jobs.back()->req.on_complete = [](Request* q) { static_cast<Job*>(q->user)->delivered++; };
      ptrs.push_back(&jobs.back()->req);
    }
    EXPECT_EQ(rig.accel->submit_batch(ptrs), ptrs.size());
    rig.accel->drain();
    for (auto& jj : jobs) {
      EXPECT_EQ(jj->delivered.load(), 1);
      EXPECT_EQ(jj->req.result.device, "inline");
      expect_round_trip(*jj);
    }
    EXPECT_EQ(rig.accel->timers_armed(), 0u);
  }
}

// --- delivery modes ---

TEST(AccelDelivery, PollModeDeliversEachOnce) {
  Rig rig = make_rig(fast_options(), {fake("dev", 20)});
  std::vector<std::unique_ptr<Job>> jobs;
  for (int i = 0; i < 300; ++i) {
    jobs.push_back(compress_job(2048, i));
    ASSERT_EQ(rig.accel->submit(&jobs.back()->req), Status::kOk);
  }
  wait_all(*rig.accel, jobs);
  for (auto& j : jobs) {
    EXPECT_EQ(j->delivered.load(), 1);
    expect_round_trip(*j);
  }
  std::vector<Request*> out(4);
  EXPECT_EQ(rig.accel->poll(out, true), 0u);  // nothing in flight: does not block
  EXPECT_EQ(rig.accel->poll(out, false), 0u);
}

TEST(AccelDelivery, RunIsNeverStolenByPollers) {
  Rig rig = make_rig(fast_options(), {fake("dev", 20, FakeAction::kLate)});
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<Request*> polled;
  std::vector<std::thread> pollers;
  for (int t = 0; t < 2; ++t) {
    pollers.emplace_back([&] {
      std::vector<Request*> out(8);
      while (!stop.load()) {
        size_t n = rig.accel->poll(out, true);
        std::lock_guard<std::mutex> lock(mu);
        for (size_t i = 0; i < n; ++i) EXPECT_TRUE(polled.insert(out[i]).second);
        if (n == 0) std::this_thread::yield();
      }
    });
  }
  std::vector<std::unique_ptr<Job>> async_jobs;
  for (int i = 0; i < 200; ++i) async_jobs.push_back(compress_job(1024, 1000 + i));
  std::thread submitter([&] {
    for (auto& j : async_jobs)
      while (rig.accel->submit(&j->req) != Status::kOk) std::this_thread::yield();
  });
  std::vector<std::thread> runners;
  for (int t = 0; t < 2; ++t) {
    runners.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto j = compress_job(1024, t * 100 + i);
        Result r = rig.accel->run(j->req);
        EXPECT_EQ(r.status, Status::kOk);
        expect_round_trip(*j);
      }
    });
  }
  for (auto& t : runners) t.join();
  submitter.join();
  rig.accel->drain();
  // Let the pollers empty the queue, then stop them.
  for (int spins = 0; spins < 10000; ++spins) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (polled.size() == async_jobs.size()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  for (auto& t : pollers) t.join();
  ASSERT_EQ(polled.size(), async_jobs.size());
  for (auto& j : async_jobs) EXPECT_EQ(polled.count(&j->req), 1u);
}

TEST(AccelDelivery, DrainWaitsForCallbacks) {
  FakeOptions f = fake("slow", 20, FakeAction::kLate);
  f.late_delay = std::chrono::microseconds(3000);
  Rig rig = make_rig(fast_options(), {f});
  static std::atomic<int> done;
  done = 0;
  std::vector<std::unique_ptr<Job>> jobs;
  for (int i = 0; i < 50; ++i) {
    jobs.push_back(compress_job(1024, i));
    jobs.back()->req.on_complete = [](Request*) { done++; };
    ASSERT_EQ(rig.accel->submit(&jobs.back()->req), Status::kOk);
  }
  rig.accel->drain();
  EXPECT_EQ(done.load(), 50);
}

TEST(AccelDelivery, CallbackMaySubmitAgain) {
  Rig rig = make_rig(fast_options(), {fake("dev", 20)});
  static std::atomic<int> hops;
  hops = 0;
  auto j = compress_job(1024, 1);
  j->req.on_complete = [](Request* r) {
    Job* job = static_cast<Job*>(r->user);
    EXPECT_EQ(r->result.status, Status::kOk);
    if (++hops < 5) {
      auto* accel = static_cast<Accel*>(r->internal.owner);
      EXPECT_EQ(accel->submit(&job->req), Status::kOk);
    }
  };
  ASSERT_EQ(rig.accel->submit(&j->req), Status::kOk);
  for (int i = 0; i < 10000 && hops.load() < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  rig.accel->drain();
  EXPECT_EQ(hops.load(), 5);
}

// Thousands of 4 KiB requests from several threads, through a device that fails in every way
// the fake knows, with a timeout: each is delivered once, with output that decodes right.
TEST(AccelStress, ThousandsFromManyThreadsEachDeliveredOnce) {
  AccelOptions o;
  o.timeout = std::chrono::milliseconds(30);
  FakeOptions f = fake("chaos", 20);
  f.info.instances = 4;
  f.info.queue_depth = 64;
  f.workers = 2;
  f.late_delay = std::chrono::microseconds(30000);
  f.script = [](const Request& r) {
    static constexpr FakeAction kMenu[] = {
        FakeAction::kOk,      FakeAction::kOk,       FakeAction::kOk,
        FakeAction::kOk,      FakeAction::kBusy,     FakeAction::kError,
        FakeAction::kCorrupt, FakeAction::kTruncate, FakeAction::kBadChecksum,
        FakeAction::kHang,    FakeAction::kLate,     FakeAction::kClaimBadData};
    auto id = reinterpret_cast<uintptr_t>(r.user);
    return kMenu[(id * 0x9e3779b97f4a7c15ull >> 40) % std::size(kMenu)];
  };
  Rig rig = make_rig(o, {f});
  constexpr int kThreads = 4, kPerThread = 1000;
  std::vector<std::vector<std::unique_ptr<Job>>> all(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto& jobs = all[t];
      std::vector<Request*> ptrs;
      for (int i = 0; i < kPerThread; ++i) {
        Framing fr = i % 3 == 0 ? Framing::kGzip : i % 3 == 1 ? Framing::kRaw : Framing::kZlib;
        jobs.push_back(compress_job(4096, t * kPerThread + i, fr));
        jobs.back()->req.on_complete = [](Request* r) { static_cast<Job*>(r->user)->delivered++; };
        ptrs.push_back(&jobs.back()->req);
      }
      size_t at = 0;
      while (at < ptrs.size()) {
        // Short batches: a refusal sends the rest of a batch to the cpu, and the script
        // refuses often.
        size_t len = std::min<size_t>(1 + (at * 7) % 16, ptrs.size() - at);
        size_t n = rig.accel->submit_batch(std::span(ptrs).subspan(at, len));
        at += n;
        if (n == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    });
  }
  for (auto& t : threads) t.join();
  rig.accel->drain();
  uint64_t by_reason[static_cast<size_t>(FallbackReason::kCount)] = {};
  for (auto& jobs : all) {
    for (auto& j : jobs) {
      ASSERT_EQ(j->delivered.load(), 1);
      expect_round_trip(*j);
      by_reason[static_cast<size_t>(j->req.result.fallback)]++;
    }
  }
  for (FallbackReason why : {FallbackReason::kBusy, FallbackReason::kDeviceError,
                             FallbackReason::kBadOutput, FallbackReason::kTimeout}) {
    EXPECT_GT(by_reason[static_cast<size_t>(why)], 0u) << to_string(why);
  }
  EXPECT_GT(by_reason[0], 0u);
  // Stats agree with what was delivered (busy fallbacks for the cpu overflow included).
  DeviceStats s;
  for (const auto& d : rig.accel->devices())
    if (d.info.name == "chaos") s = d.stats;
  for (size_t i = 1; i < s.fallbacks.size(); ++i) EXPECT_EQ(s.fallbacks[i], by_reason[i]) << i;
}

// --- Accel::open with the real providers ---

TEST(AccelOpen, ProbesCpuAndRoundTrips) {
  AccelOptions o;
  o.cpu_instances = 2;
  std::string err;
  auto accel = Accel::open(o, &err);
  ASSERT_TRUE(accel) << err;
  auto devs = accel->devices();
  ASSERT_FALSE(devs.empty());
  EXPECT_EQ(devs.back().info.name, "cpu");
  EXPECT_TRUE(devs.back().info.trusted);

  auto c = compress_job(100000, 11, Framing::kGzip);
  accel->run(c->req);
  expect_round_trip(*c);
  Job d(Operation::kDecompress, Framing::kGzip,
        std::vector<uint8_t>(c->output().begin(), c->output().end()), c->in.size());
  Result r = accel->run(d.req);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(r.end);
  EXPECT_TRUE(std::vector<uint8_t>(d.output().begin(), d.output().end()) == c->in);
  EXPECT_GT(accel->devices().back().stats.requests, 0u);
}

TEST(AccelOpen, BadOptionsFailWithAMessage) {
  std::string err;
  AccelOptions bad_fault;
  bad_fault.fault_spec = "nonsense=1";
  EXPECT_FALSE(Accel::open(bad_fault, &err));
  EXPECT_NE(err.find("fault"), std::string::npos) << err;

  err.clear();
  AccelOptions bad_plugin;
  bad_plugin.plugin_paths = {"/nonexistent/libnothing.so"};
  EXPECT_FALSE(Accel::open(bad_plugin, &err));
  EXPECT_NE(err.find("/nonexistent/libnothing.so"), std::string::npos) << err;
}

TEST(AccelOpen, PluginsFromTheEnvironmentAreLoaded) {
  const char* old = std::getenv("ACCZ_PLUGINS");
  std::string saved = old ? old : "";
  ::setenv("ACCZ_PLUGINS", "::/nonexistent/from-env.so:", 1);
  std::string err;
  auto accel = Accel::open(AccelOptions{}, &err);
  if (old)
    ::setenv("ACCZ_PLUGINS", saved.c_str(), 1);
  else
    ::unsetenv("ACCZ_PLUGINS");
  EXPECT_FALSE(accel);
  EXPECT_NE(err.find("/nonexistent/from-env.so"), std::string::npos) << err;
}

TEST(AccelOpen, FaultDeviceFallbacksNeverLoseData) {
  AccelOptions o;
  o.cpu_instances = 2;
  o.timeout = std::chrono::milliseconds(50);
  o.fault_spec = "error=0.1,busy=0.1,truncate=0.1,corrupt=0.1,timeout=0.05,seed=3";
  std::string err;
  auto accel = Accel::open(o, &err);
  ASSERT_TRUE(accel) << err;
  ASSERT_EQ(accel->devices().front().info.name, "fault");
  std::vector<std::unique_ptr<Job>> jobs;
  for (int i = 0; i < 400; ++i) {
    jobs.push_back(compress_job(4096, i, i % 2 ? Framing::kGzip : Framing::kZlib));
    while (accel->submit(&jobs.back()->req) != Status::kOk) std::this_thread::yield();
  }
  wait_all(*accel, jobs);
  uint64_t fell = 0;
  for (auto& j : jobs) {
    EXPECT_EQ(j->delivered.load(), 1);
    expect_round_trip(*j);
    fell += j->req.result.fallback != FallbackReason::kNone;
  }
  EXPECT_GT(fell, 0u);
  EXPECT_EQ(accel->devices().front().stats.fallback_total(), fell);
}

}  // namespace
}  // namespace accz
