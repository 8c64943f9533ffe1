// A real block-store Volume served over NBD: byte-granular I/O from a raw client against a
// byte model, several connections at once, trim and write-zeroes read back, block status,
// nbdcopy when installed; then the server stops (flushing), the volume closes and the checker
// finds the map and the reference counts consistent.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "nbd/server.h"
#include "nbd/test_client.h"
#include "nbd/volume_export.h"
#include "store/backing/memory_backing.h"
#include "store/engine/volume.h"
#include "store/format/layout.h"
#include "store/volume/checker.h"
#include "store/volume/superblock_io.h"
#include "util/datagen.h"
#include "util/rng.h"

namespace accz::nbd {
namespace {

using testing::TestClient;
constexpr uint64_t kB = store::kVolumeBlockSize;
constexpr uint64_t kLogicalBlocks = 4096;  // 16 MiB

class VolumeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/accz-nbd-vol-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    sock_ = dir_ + "/nbd.sock";
    dev_ = std::make_unique<store::MemoryBacking>(8192 * kB);
    store::CreateOptions c;
    c.logical_blocks = kLogicalBlocks;
    c.journal_blocks = 256;
    ASSERT_TRUE(store::create_volume(*dev_, c).ok());
    serve();
  }

  // Opens the volume and serves it on sock_.
  void serve() {
    auto v = store::Volume::open(*dev_);
    ASSERT_TRUE(v.ok()) << v.status.to_string();
    volume_ = std::move(v.value);
    server_ = std::make_unique<Server>();
    ASSERT_TRUE(server_->add_export("", std::make_shared<VolumeExport>(*volume_)).ok());
    ASSERT_TRUE(server_->listen_unix(sock_).ok());
    ASSERT_TRUE(server_->start().ok());
  }

  // Stops the server (which flushes), closes the volume, checks it.
  void stop_and_check() {
    ASSERT_TRUE(server_->stop().ok());
    server_.reset();  // drops the VolumeExport before the volume
    ASSERT_TRUE(volume_->close().ok());
    volume_.reset();
    auto sb = store::load_superblock(*dev_);
    ASSERT_TRUE(sb.ok()) << sb.status.to_string();
    auto r = store::check_volume(*dev_, sb.value);
    ASSERT_TRUE(r.ok()) << r.status.to_string();
    for (const auto& p : r.value.problems) ADD_FAILURE() << p;
  }

  void TearDown() override {
    server_.reset();
    if (volume_) (void)volume_->close();
    volume_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_, sock_;
  std::unique_ptr<store::MemoryBacking> dev_;
  std::unique_ptr<store::Volume> volume_;
  std::unique_ptr<Server> server_;
};

TEST_F(VolumeServerTest, ByteGranularIoMatchesAModel) {
  auto c = TestClient::connect_unix(sock_);
  ASSERT_TRUE(c && c->negotiate());
  ASSERT_EQ(c->export_size(), kLogicalBlocks * kB);
  const uint64_t span = 256 * kB;  // keep the model small; the volume is larger
  std::vector<uint8_t> model(span, 0);
  Rng rng(5);
  for (int i = 0; i < 300; ++i) {
    uint64_t off = rng.below(static_cast<uint32_t>(span));
    uint32_t len = rng.below(static_cast<uint32_t>(std::min<uint64_t>(span - off, 20000))) + 1;
    switch (rng.below(5)) {
      case 0:
      case 1: {
        auto d = datagen::mix(len, 0.3, rng.next());
        auto r = c->write(off, d, rng.chance(1, 8) ? kCmdFlagFua : 0);
        ASSERT_TRUE(r);
        ASSERT_EQ(r->error, 0u);
        std::copy(d.begin(), d.end(), model.begin() + static_cast<ptrdiff_t>(off));
        break;
      }
      case 2: {
        auto r = c->read(off, len);
        ASSERT_TRUE(r);
        ASSERT_EQ(r->error, 0u);
        ASSERT_TRUE(
            std::equal(r->data.begin(), r->data.end(), model.begin() + static_cast<ptrdiff_t>(off)))
            << "read " << off << "+" << len << " at step " << i;
        break;
      }
      case 3: {
        uint16_t flags = rng.chance(1, 2) ? kCmdFlagNoHole : 0;
        auto r = c->command(kCmdWriteZeroes, off, len, flags);
        ASSERT_TRUE(r);
        ASSERT_EQ(r->error, 0u);
        std::fill_n(model.begin() + static_cast<ptrdiff_t>(off), len, 0);
        break;
      }
      case 4: {
        ASSERT_EQ(c->command(kCmdTrim, off, len)->error, 0u);
        uint64_t s = (off + kB - 1) / kB * kB, e = (off + len) / kB * kB;
        if (s < e) {
          std::fill(model.begin() + static_cast<ptrdiff_t>(s),
                    model.begin() + static_cast<ptrdiff_t>(e), 0);
        }
        break;
      }
    }
  }
  ASSERT_EQ(c->command(kCmdFlush)->error, 0u);
  // Empty requests at the very end are fine (and do nothing).
  EXPECT_EQ(c->read(kLogicalBlocks * kB, 0)->error, 0u);
  EXPECT_EQ(c->write(kLogicalBlocks * kB, {})->error, 0u);
  EXPECT_EQ(c->command(kCmdTrim, kLogicalBlocks * kB, 0)->error, 0u);
  EXPECT_EQ(c->command(kCmdWriteZeroes, kLogicalBlocks * kB, 0)->error, 0u);
  auto all = c->read(0, static_cast<uint32_t>(span));
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->data == model);
  // Beyond what the model touched, the volume was never written: one hole.
  auto bs = c->command(kCmdBlockStatus, span, 64 * kB);
  ASSERT_TRUE(bs);
  ASSERT_EQ(bs->error, 0u);
  EXPECT_EQ(bs->descriptors, (std::vector<BlockDescriptor>{{64 * kB, kStateHole | kStateZero}}));
  c.reset();
  stop_and_check();
}

// FAST_ZERO and CACHE are advertised and served: a fast zero reads back as zeros, and CACHE
// loads the range's block map so the reads after it find every page cached.
TEST_F(VolumeServerTest, FastZeroAndCache) {
  {
    auto c = TestClient::connect_unix(sock_);
    ASSERT_TRUE(c && c->negotiate());
    EXPECT_TRUE(c->transmission_flags() & kFlagSendFastZero);
    EXPECT_TRUE(c->transmission_flags() & kFlagSendCache);
    std::vector<uint8_t> data(kLogicalBlocks * kB);
    datagen::fill({datagen::Kind::kText, 5, 0}, data);
    for (uint64_t off = 0; off < data.size(); off += 1 << 20) {
      ASSERT_EQ(c->write(off, ByteSpan(data).subspan(off, 1 << 20))->error, 0u);
    }
    ASSERT_EQ(c->command(kCmdWriteZeroes, 3 * kB + 100, 2 * kB, kCmdFlagFastZero)->error, 0u);
    std::fill_n(data.begin() + 3 * kB + 100, 2 * kB, 0);
    auto back = c->read(0, 8 * kB);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->data, std::vector<uint8_t>(data.begin(), data.begin() + 8 * kB));
    EXPECT_EQ(c->command(kCmdCache, kLogicalBlocks * kB - 10, 11)->error, kEinval);  // past the end
    EXPECT_EQ(c->command(kCmdFlush)->error, 0u);
  }
  // A cold map cache: close the volume and serve it again.
  ASSERT_TRUE(server_->stop().ok());
  server_.reset();
  ASSERT_TRUE(volume_->close().ok());
  volume_.reset();
  serve();
  auto c = TestClient::connect_unix(sock_);
  ASSERT_TRUE(c && c->negotiate());
  const uint64_t misses_before = volume_->stats().map_cache_misses;
  ASSERT_EQ(c->command(kCmdCache, 0, kLogicalBlocks * kB)->error, 0u);
  const uint64_t misses_cached = volume_->stats().map_cache_misses;
  EXPECT_GE(misses_cached, misses_before + kLogicalBlocks / store::kMapEntriesPerPage);
  for (uint64_t off = 0; off < kLogicalBlocks * kB; off += 1 << 20) {
    ASSERT_EQ(c->read(off, 1 << 20)->error, 0u);
  }
  EXPECT_EQ(volume_->stats().map_cache_misses, misses_cached);
  c.reset();
  stop_and_check();
}

TEST_F(VolumeServerTest, ParallelConnectionsWithPipelinedRequests) {
  constexpr int kConns = 4;
  constexpr int kPerConn = 64;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kConns; ++t) {
    threads.emplace_back([&, t] {
      auto c = TestClient::connect_unix(sock_);
      if (!c || !c->negotiate()) {
        ++failures;
        return;
      }
      // 16 in flight at a time; each block carries its own seed, half of them duplicates.
      for (int batch = 0; batch < kPerConn; batch += 16) {
        for (int i = batch; i < batch + 16; ++i) {
          uint64_t block = uint64_t(t) * kPerConn + i;
          auto d = datagen::mix(kB, 0.5, block % 32);
          if (!c->send_request({0, kCmdWrite, block, block * kB, kB}, d)) ++failures;
        }
        for (int i = 0; i < 16; ++i) {
          auto r = c->read_reply();
          if (!r || r->error != 0) ++failures;
        }
      }
      if (c->command(kCmdFlush)->error != 0) ++failures;
      for (int i = 0; i < kPerConn; ++i) {
        uint64_t block = uint64_t(t) * kPerConn + i;
        auto r = c->read(block * kB, kB);
        if (!r || r->data != datagen::mix(kB, 0.5, block % 32)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  stop_and_check();
}

TEST_F(VolumeServerTest, NbdcopyRoundTrip) {
  if (std::system("command -v nbdcopy >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "nbdcopy not installed (Debian package libnbd-bin)";
  }
  const std::string in = dir_ + "/in", back = dir_ + "/back", uri = "nbd+unix:///?socket=" + sock_;
  auto data = datagen::mix(kLogicalBlocks * kB, 0.4, 3);
  std::ofstream(in, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ASSERT_EQ(std::system(("nbdcopy '" + in + "' '" + uri + "'").c_str()), 0);
  ASSERT_EQ(std::system(("nbdcopy '" + uri + "' '" + back + "'").c_str()), 0);
  std::vector<uint8_t> got(data.size());
  std::ifstream(back, std::ios::binary).read(reinterpret_cast<char*>(got.data()), got.size());
  EXPECT_TRUE(got == data);
  stop_and_check();
}

}  // namespace
}  // namespace accz::nbd
