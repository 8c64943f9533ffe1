// A plugin through the Accel: it is listed with its info, routed to and correct; a plugin
// that refuses or fails is covered by the software floor; bad plugins fail open() clearly.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "accz/accel.h"
#include "accz/provider_abi.h"
#include "fault/codec_check.h"
#include "util/datagen.h"

namespace accz {
namespace {

std::unique_ptr<Accel> open_with(const char* plugin, std::string* err) {
  AccelOptions o;
  o.cpu_instances = 2;
  o.plugin_paths = {plugin};
  return Accel::open(o, err);
}

const DeviceReport* find(const std::vector<DeviceReport>& all, std::string_view name) {
  for (const auto& d : all)
    if (d.info.name == name) return &d;
  return nullptr;
}

struct OneShot {
  ByteSpan src[1];
  MutableByteSpan dst[1];
  Request req;
  OneShot(Operation op, Framing f, ByteSpan in, MutableByteSpan out, int level = -1) {
    src[0] = in;
    dst[0] = out;
    req.op = op;
    req.framing = f;
    req.level = level;
    req.src = src;
    req.dst = dst;
    req.checksum_seed = f == Framing::kZlib ? 1 : 0;
  }
};

std::string last_fallback;  // of the last compression round_trip() ran, for messages

// Compresses and decompresses `input` with run(); returns the devices that did the work.
std::pair<std::string, std::string> round_trip(Accel& accel, Framing f,
                                               const std::vector<uint8_t>& input) {
  std::vector<uint8_t> packed(input.size() + 1024);
  OneShot c(Operation::kCompress, f, input, packed, 6);
  Result rc = accel.run(c.req);
  last_fallback = to_string(rc.fallback);
  EXPECT_EQ(rc.status, Status::kOk);
  EXPECT_EQ(rc.consumed, input.size());
  packed.resize(rc.produced);
  auto decoded = testing::reference_decode(f, packed, input.size());
  EXPECT_TRUE(decoded && *decoded == input) << to_string(f);

  std::vector<uint8_t> back(input.size());
  OneShot x(Operation::kDecompress, f, packed, back);
  Result rx = accel.run(x.req);
  EXPECT_EQ(rx.status, Status::kOk);
  EXPECT_EQ(rx.produced, input.size());
  EXPECT_EQ(back, input) << to_string(f);
  return {std::string(rc.device), std::string(rx.device)};
}

TEST(PluginAccel, TheDeviceIsListedFirstWithItsInfo) {
  std::string err;
  auto accel = open_with(ACCZ_EXAMPLE_PLUGIN, &err);
  ASSERT_TRUE(accel) << err;
  auto devices = accel->devices();
  ASSERT_GE(devices.size(), 2u);
  EXPECT_EQ(devices[0].info.name, "example0");  // priority 20 beats the cpu device's 0
  const DeviceReport* ex = find(devices, "example0");
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->info.provider, std::string("plugin:") + ACCZ_EXAMPLE_PLUGIN);
  EXPECT_EQ(ex->info.priority, 20);
  EXPECT_FALSE(ex->info.trusted);
  EXPECT_EQ(ex->info.max_request, size_t{64} << 20);
  EXPECT_EQ(ex->info.framings.size(), 3u);
  EXPECT_TRUE(find(devices, "cpu"));
}

TEST(PluginAccel, RequestsGoToThePluginAndAreCorrect) {
  std::string err;
  auto accel = open_with(ACCZ_EXAMPLE_PLUGIN, &err);
  ASSERT_TRUE(accel) << err;
  std::vector<uint8_t> input = datagen::text(100000, 11);
  for (Framing f : {Framing::kRaw, Framing::kZlib, Framing::kGzip}) {
    auto [by_c, by_x] = round_trip(*accel, f, input);
    std::string fallback_c = last_fallback;
    EXPECT_EQ(by_c, "example0") << to_string(f) << " " << fallback_c;
    EXPECT_EQ(by_x, "example0") << to_string(f);
  }
  // Shapes the plugin does not advertise go to software.
  auto [lz4_c, lz4_x] = round_trip(*accel, Framing::kLz4Frame, input);
  EXPECT_NE(lz4_c, "example0");
  auto ex = *find(accel->devices(), "example0");
  EXPECT_EQ(ex.stats.requests, 6u);
  EXPECT_EQ(ex.stats.fallback_total(), 0u);
}

// Many asynchronous requests in flight at once, completed by the plugin's own thread.
TEST(PluginAccel, AsynchronousRequestsCompleteOnceEach) {
  std::string err;
  auto accel = open_with(ACCZ_EXAMPLE_PLUGIN, &err);
  ASSERT_TRUE(accel) << err;
  constexpr size_t kN = 300;
  struct Slot {
    std::vector<uint8_t> in, out;
    std::unique_ptr<OneShot> job;
    std::atomic<int> delivered{0};
  };
  std::vector<Slot> slots(kN);
  static std::atomic<size_t> done;
  done = 0;
  for (size_t i = 0; i < kN; ++i) {
    Slot& s = slots[i];
    s.in = datagen::text(4096 + i * 37, i);
    s.out.resize(s.in.size() + 512);
    Framing f = static_cast<Framing>(i % 3);
    s.job = std::make_unique<OneShot>(Operation::kCompress, f, s.in, s.out, 1 + i % 9);
    s.job->req.user = &s;
    s.job->req.on_complete = [](Request* r) {
      static_cast<Slot*>(r->user)->delivered.fetch_add(1);
      done.fetch_add(1);
    };
    while (accel->submit(&s.job->req) == Status::kBusy) std::this_thread::yield();
  }
  accel->drain();
  EXPECT_EQ(done.load(), kN);
  for (size_t i = 0; i < kN; ++i) {
    Slot& s = slots[i];
    ASSERT_EQ(s.delivered.load(), 1) << i;
    ASSERT_EQ(s.job->req.result.status, Status::kOk) << i;
    auto decoded = testing::reference_decode(
        s.job->req.framing, ByteSpan(s.out).first(s.job->req.result.produced), s.in.size());
    ASSERT_TRUE(decoded && *decoded == s.in) << i;
  }
}

TEST(PluginAccel, ABusyPluginFallsBackToSoftware) {
  std::string err;
  auto accel = open_with(ACCZ_EXAMPLE_PLUGIN_BUSY, &err);
  ASSERT_TRUE(accel) << err;
  std::vector<uint8_t> input = datagen::binary(50000, 12);
  for (Framing f : {Framing::kRaw, Framing::kZlib, Framing::kGzip}) {
    auto [by_c, by_x] = round_trip(*accel, f, input);
    EXPECT_NE(by_c, "example0");
    EXPECT_NE(by_x, "example0");
  }
  auto ex = *find(accel->devices(), "example0");
  EXPECT_EQ(ex.stats.fallbacks[static_cast<size_t>(FallbackReason::kBusy)], 6u);
  EXPECT_EQ(ex.stats.requests, 0u);
}

TEST(PluginAccel, AFailingPluginFallsBackToSoftware) {
  std::string err;
  auto accel = open_with(ACCZ_EXAMPLE_PLUGIN_FAILING, &err);
  ASSERT_TRUE(accel) << err;
  std::vector<uint8_t> input = datagen::text(50000, 13);
  for (Framing f : {Framing::kRaw, Framing::kZlib, Framing::kGzip}) round_trip(*accel, f, input);
  auto ex = *find(accel->devices(), "example0");
  EXPECT_EQ(ex.stats.fallbacks[static_cast<size_t>(FallbackReason::kDeviceError)], 6u);
  EXPECT_EQ(ex.stats.errors_by_status[static_cast<size_t>(Status::kDeviceError)], 6u);
}

TEST(PluginAccel, WrongAbiVersionFailsOpenNamingBothVersions) {
  std::string err;
  auto accel = open_with(ACCZ_EXAMPLE_PLUGIN_ABI99, &err);
  EXPECT_FALSE(accel);
  EXPECT_NE(err.find("99"), std::string::npos) << err;
  EXPECT_NE(err.find(std::to_string(ACCZ_PROVIDER_ABI_VERSION)), std::string::npos) << err;
}

TEST(PluginAccel, MissingPathFailsOpen) {
  std::string err;
  auto accel = open_with("/nonexistent/accz_no_such_plugin.so", &err);
  EXPECT_FALSE(accel);
  EXPECT_NE(err.find("/nonexistent/accz_no_such_plugin.so"), std::string::npos) << err;
}

}  // namespace
}  // namespace accz
