// The plugin loader and the example provider, without the Accel: load, describe, run real
// requests through the C ABI (scatter-gather both ways), abort, and refuse bad plugins.
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "accz/provider_abi.h"
#include "fault/codec_check.h"
#include "providers/plugin/plugin_loader.h"
#include "util/datagen.h"

namespace accz {
namespace {

class CountingSink : public CompletionSink {
 public:
  void complete(Request* req) override {
    std::lock_guard lk(mu_);
    ++seen_[req];
    ++total_;
    cv_.notify_all();
  }
  void wait_for(size_t n) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return total_ >= n; });
  }
  int seen(Request* r) {
    std::lock_guard lk(mu_);
    return seen_.count(r) ? seen_[r] : 0;
  }
  size_t total() {
    std::lock_guard lk(mu_);
    return total_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Request*, int> seen_;
  size_t total_ = 0;
};

std::vector<std::unique_ptr<Device>> load(const char* path, CompletionSink* sink,
                                          std::string* error, uint32_t depth = 64) {
  ProviderConfig config;
  config.queue_depth = depth;
  return load_plugin_devices(path, config, sink, error);
}

// A request over uneven pieces of `in` and `out`, as scatter-gather callers make them.
struct Job {
  std::vector<ByteSpan> src;
  std::vector<MutableByteSpan> dst;
  Request req;
  Job(Operation op, Framing f, ByteSpan in, MutableByteSpan out, int level = -1) {
    size_t a = in.size() / 3, b = in.size() / 2;
    src = {in.subspan(0, a), in.subspan(a, b - a), in.subspan(b)};
    size_t c = out.size() / 5;
    dst = {out.subspan(0, c), out.subspan(c)};
    req.op = op;
    req.framing = f;
    req.level = level;
    req.src = src;
    req.dst = dst;
  }
};

TEST(PluginLoader, DescribesTheExampleDevice) {
  CountingSink sink;
  std::string err;
  auto devices = load(ACCZ_EXAMPLE_PLUGIN, &sink, &err, 32);
  ASSERT_EQ(devices.size(), 1u) << err;
  const DeviceInfo& info = devices[0]->info();
  EXPECT_EQ(info.name, "example0");
  EXPECT_EQ(info.provider, std::string("plugin:") + ACCZ_EXAMPLE_PLUGIN);
  EXPECT_NE(info.description.find("TEST provider"), std::string::npos) << info.description;
  EXPECT_EQ(info.instances, 1u);
  EXPECT_EQ(info.queue_depth, 32u);
  EXPECT_EQ(info.framings, (std::vector<Framing>{Framing::kRaw, Framing::kZlib, Framing::kGzip}));
  EXPECT_EQ(info.deflate_min_level, 0);
  EXPECT_EQ(info.deflate_max_level, 9);
  EXPECT_EQ(info.max_request, size_t{64} << 20);
  EXPECT_EQ(info.priority, 20);
  EXPECT_FALSE(info.trusted);
}

TEST(PluginLoader, SupportsOnlyWhatItAdvertises) {
  CountingSink sink;
  std::string err;
  auto devices = load(ACCZ_EXAMPLE_PLUGIN, &sink, &err);
  ASSERT_EQ(devices.size(), 1u) << err;
  Device& d = *devices[0];
  std::vector<uint8_t> in(100), out(200);
  Job gz(Operation::kCompress, Framing::kGzip, in, out, 6);
  EXPECT_TRUE(d.supports(gz.req));
  Job lz4(Operation::kCompress, Framing::kLz4Frame, in, out, 1);
  EXPECT_FALSE(d.supports(lz4.req));
  Job high(Operation::kCompress, Framing::kZlib, in, out, 12);
  EXPECT_FALSE(d.supports(high.req));
  Job sync_gzip(Operation::kCompress, Framing::kGzip, in, out);
  sync_gzip.req.flush = Flush::kSync;
  EXPECT_FALSE(d.supports(sync_gzip.req));  // gzip needs a whole stream
  Job sync_raw(Operation::kCompress, Framing::kRaw, in, out);
  sync_raw.req.flush = Flush::kSync;
  EXPECT_TRUE(d.supports(sync_raw.req));
}

class PluginFraming : public ::testing::TestWithParam<Framing> {};

TEST_P(PluginFraming, RoundTripsThroughTheAbi) {
  const Framing f = GetParam();
  CountingSink sink;
  std::string err;
  auto devices = load(ACCZ_EXAMPLE_PLUGIN, &sink, &err);
  ASSERT_EQ(devices.size(), 1u) << err;
  Device& d = *devices[0];

  std::vector<uint8_t> input = datagen::text(300000, 7);
  std::vector<uint8_t> packed(input.size() + 1024);
  Job c(Operation::kCompress, f, input, packed, 6);
  c.req.checksum_seed = f == Framing::kZlib ? 1 : 0;
  ASSERT_EQ(d.submit(&c.req, 0), Status::kOk);
  sink.wait_for(1);
  ASSERT_EQ(c.req.result.status, Status::kOk);
  EXPECT_EQ(c.req.result.consumed, input.size());
  EXPECT_EQ(c.req.result.device, "example0");
  EXPECT_EQ(c.req.result.checksum, testing::reference_checksum(f, input));
  packed.resize(c.req.result.produced);
  auto decoded = testing::reference_decode(f, packed, input.size());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, input);

  std::vector<uint8_t> back(input.size() + 17);
  Job x(Operation::kDecompress, f, packed, back);
  x.req.checksum_seed = c.req.checksum_seed;
  ASSERT_EQ(d.submit(&x.req, 0), Status::kOk);
  sink.wait_for(2);
  ASSERT_EQ(x.req.result.status, Status::kOk);
  EXPECT_TRUE(x.req.result.end);
  EXPECT_EQ(x.req.result.consumed, packed.size());
  ASSERT_EQ(x.req.result.produced, input.size());
  back.resize(input.size());
  EXPECT_EQ(back, input);
  EXPECT_EQ(x.req.result.checksum, testing::reference_checksum(f, input));
  EXPECT_EQ(sink.seen(&c.req), 1);
  EXPECT_EQ(sink.seen(&x.req), 1);

  DeviceStats s = d.stats();
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.bytes_in, input.size() + packed.size());
}

INSTANTIATE_TEST_SUITE_P(Deflate, PluginFraming,
                         ::testing::Values(Framing::kRaw, Framing::kZlib, Framing::kGzip),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(PluginLoader, DecodesConcatenatedGzipMembers) {
  CountingSink sink;
  std::string err;
  auto devices = load(ACCZ_EXAMPLE_PLUGIN, &sink, &err);
  ASSERT_EQ(devices.size(), 1u) << err;
  std::vector<uint8_t> a = datagen::text(5000, 1), b = datagen::binary(7000, 2);
  std::vector<uint8_t> packed = testing::reference_encode(Framing::kGzip, a, 6);
  std::vector<uint8_t> second = testing::reference_encode(Framing::kGzip, b, 1);
  packed.insert(packed.end(), second.begin(), second.end());
  std::vector<uint8_t> out(a.size() + b.size());
  Job x(Operation::kDecompress, Framing::kGzip, packed, out);
  ASSERT_EQ(devices[0]->submit(&x.req, 0), Status::kOk);
  sink.wait_for(1);
  ASSERT_EQ(x.req.result.status, Status::kOk);
  EXPECT_EQ(x.req.result.produced, out.size());
  std::vector<uint8_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  EXPECT_EQ(out, both);
}

TEST(PluginLoader, ReportsOverflowAndBadData) {
  CountingSink sink;
  std::string err;
  auto devices = load(ACCZ_EXAMPLE_PLUGIN, &sink, &err);
  ASSERT_EQ(devices.size(), 1u) << err;
  std::vector<uint8_t> noise = datagen::random(20000, 3), small(100);
  Job c(Operation::kCompress, Framing::kZlib, noise, small);
  ASSERT_EQ(devices[0]->submit(&c.req, 0), Status::kOk);
  std::vector<uint8_t> garbage = datagen::random(5000, 4), out(10000);
  Job x(Operation::kDecompress, Framing::kGzip, garbage, out);
  ASSERT_EQ(devices[0]->submit(&x.req, 0), Status::kOk);
  std::vector<uint8_t> packed = testing::reference_encode(Framing::kRaw, noise, 6);
  packed.resize(packed.size() / 2);  // cut short
  std::vector<uint8_t> out2(noise.size());
  Job t(Operation::kDecompress, Framing::kRaw, packed, out2);
  ASSERT_EQ(devices[0]->submit(&t.req, 0), Status::kOk);
  sink.wait_for(3);
  EXPECT_EQ(c.req.result.status, Status::kOutputOverflow);
  EXPECT_EQ(x.req.result.status, Status::kBadData);
  EXPECT_EQ(t.req.result.status, Status::kBadData);
}

TEST(PluginLoader, AbortTakesBackQueuedRequestsAndTheRestCompleteOnce) {
  CountingSink sink;
  std::string err;
  auto devices = load(ACCZ_EXAMPLE_PLUGIN, &sink, &err, 256);
  ASSERT_EQ(devices.size(), 1u) << err;
  Device& d = *devices[0];
  std::vector<uint8_t> input = datagen::text(200000, 5);
  constexpr size_t kJobs = 48;
  std::vector<std::vector<uint8_t>> outs(kJobs, std::vector<uint8_t>(input.size()));
  std::vector<std::unique_ptr<Job>> jobs;
  for (size_t i = 0; i < kJobs; ++i) {
    jobs.push_back(std::make_unique<Job>(Operation::kCompress, Framing::kGzip, input, outs[i], 9));
    ASSERT_EQ(d.submit(&jobs[i]->req, 0), Status::kOk);
  }
  size_t aborted = 0;
  std::vector<bool> was_aborted(kJobs);
  for (size_t i = kJobs; i-- > 0;) {
    was_aborted[i] = d.abort(&jobs[i]->req);
    aborted += was_aborted[i];
  }
  EXPECT_GT(aborted, 0u);  // the worker cannot have started 48 level-9 jobs already
  sink.wait_for(kJobs - aborted);
  for (size_t i = 0; i < kJobs; ++i)  // delivered or aborted: nothing left to take back
    EXPECT_FALSE(d.abort(&jobs[i]->req)) << i;
  devices.clear();
  EXPECT_EQ(sink.total(), kJobs - aborted);
  for (size_t i = 0; i < kJobs; ++i) {
    EXPECT_EQ(sink.seen(&jobs[i]->req), was_aborted[i] ? 0 : 1) << i;
    if (!was_aborted[i]) {
      EXPECT_EQ(jobs[i]->req.result.status, Status::kOk);
    }
  }
}

// Aborts racing with the plugin's worker: each request is either taken back (abort() said
// true) or completed, exactly once, never both.
TEST(PluginLoader, AbortRacingWithCompletionIsExactlyOnce) {
  CountingSink sink;
  std::string err;
  auto devices = load(ACCZ_EXAMPLE_PLUGIN, &sink, &err, 4096);
  ASSERT_EQ(devices.size(), 1u) << err;
  Device& d = *devices[0];
  std::vector<uint8_t> input = datagen::text(3000, 8);
  constexpr size_t kJobs = 1000;
  std::vector<std::vector<uint8_t>> outs(kJobs, std::vector<uint8_t>(input.size() + 100));
  std::vector<std::unique_ptr<Job>> jobs;
  for (size_t i = 0; i < kJobs; ++i)
    jobs.push_back(std::make_unique<Job>(Operation::kCompress, Framing::kRaw, input, outs[i], 1));
  std::atomic<size_t> submitted{0};
  std::vector<std::atomic<bool>> aborted(kJobs);
  std::thread aborter([&] {
    for (size_t i = 0; i < kJobs; i += 2) {
      while (submitted.load() <= i) std::this_thread::yield();
      aborted[i] = d.abort(&jobs[i]->req);
    }
  });
  for (size_t i = 0; i < kJobs; ++i) {
    ASSERT_EQ(d.submit(&jobs[i]->req, 0), Status::kOk);
    submitted.store(i + 1);
  }
  aborter.join();
  devices.clear();  // waits for the rest
  size_t n_aborted = 0;
  for (size_t i = 0; i < kJobs; ++i) {
    n_aborted += aborted[i];
    EXPECT_EQ(sink.seen(&jobs[i]->req), aborted[i] ? 0 : 1) << i;
  }
  EXPECT_EQ(sink.total(), kJobs - n_aborted);
}

TEST(PluginLoader, BusyWhenTheQueueIsFull) {
  CountingSink sink;
  std::string err;
  auto devices = load(ACCZ_EXAMPLE_PLUGIN, &sink, &err, 2);
  ASSERT_EQ(devices.size(), 1u) << err;
  std::vector<uint8_t> input = datagen::text(400000, 6);
  std::vector<std::vector<uint8_t>> outs(16, std::vector<uint8_t>(input.size()));
  std::vector<std::unique_ptr<Job>> jobs;
  size_t accepted = 0, busy = 0;
  for (size_t i = 0; i < 16; ++i) {
    jobs.push_back(std::make_unique<Job>(Operation::kCompress, Framing::kRaw, input, outs[i], 9));
    Status s = devices[0]->submit(&jobs[i]->req, 0);
    ASSERT_TRUE(s == Status::kOk || s == Status::kBusy) << to_string(s);
    (s == Status::kOk ? accepted : busy)++;
  }
  EXPECT_GT(busy, 0u);
  sink.wait_for(accepted);
  EXPECT_EQ(devices[0]->stats().busy, busy);
  devices.clear();
  EXPECT_EQ(sink.total(), accepted);
}

TEST(PluginLoader, WrongAbiVersionIsAClearError) {
  CountingSink sink;
  std::string err;
  auto devices = load(ACCZ_EXAMPLE_PLUGIN_ABI99, &sink, &err);
  EXPECT_TRUE(devices.empty());
  EXPECT_NE(err.find(ACCZ_EXAMPLE_PLUGIN_ABI99), std::string::npos) << err;
  EXPECT_NE(err.find("version 99"), std::string::npos) << err;
  EXPECT_NE(err.find("(" + std::to_string(ACCZ_PROVIDER_ABI_VERSION) + ")"), std::string::npos)
      << err;
}

TEST(PluginLoader, MissingPathIsAClearError) {
  CountingSink sink;
  std::string err;
  auto devices = load("/nonexistent/accz_no_such_plugin.so", &sink, &err);
  EXPECT_TRUE(devices.empty());
  EXPECT_NE(err.find("/nonexistent/accz_no_such_plugin.so"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot load"), std::string::npos) << err;
}

TEST(PluginLoader, ALibraryWithoutTheEntryPointIsNotAProvider) {
  CountingSink sink;
  std::string err;
  auto devices = load("libz.so.1", &sink, &err);
  EXPECT_TRUE(devices.empty());
  EXPECT_NE(err.find("accz_provider_v1"), std::string::npos) << err;
}

}  // namespace
}  // namespace accz
