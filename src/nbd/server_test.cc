// The NBD server against a hand-written raw-socket client: handshake, every option and
// command, structured replies, out-of-order completion, backpressure, shutdown, a table of
// malformed input and a seeded fuzz of mutated request streams.
#include "nbd/server.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "nbd/memory_export.h"
#include "nbd/protocol.h"
#include "nbd/test_client.h"
#include "util/rng.h"

namespace accz::nbd {
namespace {

using testing::TestClient;

constexpr uint64_t kSize = 1 << 20;

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return v;
}

// Holds the completion of chosen requests until the test releases them: to see replies go
// out of order and the server wait for in-flight requests.
class HoldingExport final : public Export {
 public:
  explicit HoldingExport(uint64_t size) : inner_(size) {}
  uint64_t size() const override { return inner_.size(); }
  ExportFeatures features() const override { return inner_.features(); }

  // Requests at this offset (reads and writes) are held.
  void hold_offset(uint64_t off) { hold_ = off; }
  void hold_everything() { hold_all_ = true; }

  void read(uint64_t offset, MutableByteSpan out, ExportCallback done) override {
    inner_.read(offset, out, wrap(offset, std::move(done)));
  }
  void write(uint64_t offset, ByteSpan data, bool fua, ExportCallback done) override {
    inner_.write(offset, data, fua, wrap(offset, std::move(done)));
  }
  void flush(ExportCallback done) override { inner_.flush(std::move(done)); }
  void trim(uint64_t o, uint64_t l, bool fua, ExportCallback done) override {
    inner_.trim(o, l, fua, std::move(done));
  }
  void write_zeroes(uint64_t o, uint64_t l, bool fua, bool may_trim, ExportCallback done) override {
    inner_.write_zeroes(o, l, fua, may_trim, std::move(done));
  }

  size_t held() {
    std::lock_guard l(mu_);
    return held_.size();
  }
  size_t max_held() {
    std::lock_guard l(mu_);
    return max_held_;
  }
  bool wait_held(size_t n) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(20), [&] { return held_.size() >= n; });
  }
  void release_all() {
    std::vector<std::function<void()>> h;
    {
      std::lock_guard l(mu_);
      h.swap(held_);
      hold_all_ = false;
      hold_ = ~0ull;
    }
    for (auto& f : h) f();
  }
  MemoryExport& inner() { return inner_; }

 private:
  ExportCallback wrap(uint64_t offset, ExportCallback done) {
    if (!hold_all_ && offset != hold_) return done;
    return [this, done](int err) {
      std::lock_guard l(mu_);
      held_.push_back([done, err] { done(err); });
      max_held_ = std::max(max_held_, held_.size());
      cv_.notify_all();
    };
  }

  MemoryExport inner_;
  std::atomic<uint64_t> hold_{~0ull};
  std::atomic<bool> hold_all_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> held_;
  size_t max_held_ = 0;
};

class NbdServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/accz-nbd-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    sock_ = dir_ + "/nbd.sock";
  }
  void TearDown() override {
    if (server_) {
      EXPECT_TRUE(server_->stop().ok());
    }
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start(std::shared_ptr<Export> exp, ServerOptions options = {}) {
    server_ = std::make_unique<Server>(options);
    ASSERT_TRUE(server_->add_export("", exp, "the default").ok());
    ASSERT_TRUE(server_->add_export("second", std::make_shared<MemoryExport>(8192)).ok());
    ASSERT_TRUE(server_->listen_unix(sock_).ok());
    ASSERT_TRUE(server_->start().ok());
  }
  std::shared_ptr<MemoryExport> start_memory(ServerOptions options = {}) {
    auto m = std::make_shared<MemoryExport>(kSize);
    start(m, options);
    return m;
  }
  std::unique_ptr<TestClient> connect() {
    auto c = TestClient::connect_unix(sock_);
    EXPECT_NE(c, nullptr);
    return c;
  }
  std::unique_ptr<TestClient> connected(bool structured = true, bool meta = true) {
    auto c = connect();
    if (c && !c->negotiate("", structured, meta)) {
      ADD_FAILURE() << "negotiation failed";
      return nullptr;
    }
    return c;
  }

  std::string dir_, sock_;
  std::unique_ptr<Server> server_;
};

TEST_F(NbdServerTest, ListInfoAndGo) {
  start_memory();
  auto c = connect();
  ASSERT_TRUE(c->hello());

  auto list = c->option(kOptList);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].type, kRepServer);
  EXPECT_EQ(list[0].payload, encode_rep_server(""));
  EXPECT_EQ(list[1].payload, encode_rep_server("second"));
  EXPECT_EQ(list[2].type, kRepAck);

  auto info = c->option(kOptInfo, encode_info_request({"", {kInfoName, kInfoDescription}}));
  ASSERT_FALSE(info.empty());
  EXPECT_EQ(info.back().type, kRepAck);
  bool saw_export = false, saw_name = false, saw_desc = false, saw_bs = false;
  for (auto& r : info) {
    if (r.type != kRepInfo) continue;
    uint16_t t = get_u16(r.payload.data());
    if (t == kInfoExport) {
      saw_export = true;
      EXPECT_EQ(get_u64(r.payload.data() + 2), kSize);
      uint16_t f = get_u16(r.payload.data() + 10);
      EXPECT_EQ(f, kFlagHasFlags | kFlagSendFlush | kFlagSendFua | kFlagSendTrim |
                       kFlagSendWriteZeroes | kFlagCanMultiConn);
    } else if (t == kInfoName) {
      saw_name = true;
      EXPECT_EQ(r.payload.size(), 2u);
    } else if (t == kInfoDescription) {
      saw_desc = true;
      EXPECT_EQ(std::string(r.payload.begin() + 2, r.payload.end()), "the default");
    } else if (t == kInfoBlockSize) {
      saw_bs = true;
      EXPECT_EQ(r.payload, encode_info_block_size(1, 4096, 32 << 20));
    }
  }
  EXPECT_TRUE(saw_export && saw_name && saw_desc && saw_bs);

  auto unknown = c->option(kOptInfo, encode_info_request({"nope", {}}));
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].type, kRepErrUnknown);

  auto bad = c->option(kOptGo, std::vector<uint8_t>{0, 0, 0, 9});
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].type, kRepErrInvalid);

  auto list_with_data = c->option(kOptList, std::vector<uint8_t>{1});
  ASSERT_EQ(list_with_data.size(), 1u);
  EXPECT_EQ(list_with_data[0].type, kRepErrInvalid);

  for (uint32_t opt : {kOptStartTls, kOptExtendedHeaders, 4u, 200u}) {
    auto r = c->option(opt, std::vector<uint8_t>(3, 1));
    ASSERT_EQ(r.size(), 1u) << opt;
    EXPECT_EQ(r[0].type, kRepErrUnsup) << opt;
  }

  auto meta_early = c->option(kOptSetMetaContext, encode_meta_context_request({"", {}}));
  ASSERT_EQ(meta_early.size(), 1u);
  EXPECT_EQ(meta_early[0].type, kRepErrInvalid);

  // GO on the second export, then use it.
  auto go = c->option(kOptGo, encode_info_request({"second", {}}));
  ASSERT_FALSE(go.empty());
  EXPECT_EQ(go.back().type, kRepAck);
  auto w = c->write(0, pattern(100, 1));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->error, 0u);
  auto r = c->read(0, 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data, pattern(100, 1));
  auto past = c->read(8000, 200);
  ASSERT_TRUE(past);
  EXPECT_EQ(past->error, kEinval);
}

TEST_F(NbdServerTest, MetaContextsListAndSet) {
  start_memory();
  auto c = connect();
  ASSERT_TRUE(c->hello());
  ASSERT_EQ(c->option(kOptStructuredReply).back().type, kRepAck);
  auto all = c->option(kOptListMetaContext, encode_meta_context_request({"", {}}));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].type, kRepMetaContext);
  EXPECT_EQ(all[0].payload, encode_rep_meta_context(0, kBaseAllocation));
  auto base = c->option(kOptListMetaContext, encode_meta_context_request({"", {"base:"}}));
  ASSERT_EQ(base.size(), 2u);
  auto other = c->option(kOptListMetaContext, encode_meta_context_request({"", {"qemu:x"}}));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].type, kRepAck);
  auto unknown =
      c->option(kOptSetMetaContext, encode_meta_context_request({"nope", {"base:allocation"}}));
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].type, kRepErrUnknown);
  auto set = c->option(kOptSetMetaContext,
                       encode_meta_context_request({"", {"base:allocation", "x-y:z"}}));
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].type, kRepMetaContext);
  EXPECT_NE(get_u32(set[0].payload.data()), 0u);
  EXPECT_EQ(set[1].type, kRepAck);
  // GO on a different export than the one the context was set for: no block status.
  ASSERT_EQ(c->option(kOptGo, encode_info_request({"second", {}})).back().type, kRepAck);
  auto bs = c->command(kCmdBlockStatus, 0, 4096);
  ASSERT_TRUE(bs);
  EXPECT_EQ(bs->error, kEinval);
}

TEST_F(NbdServerTest, ExportNameWithAndWithoutZeroes) {
  start_memory();
  for (bool no_zeroes : {true, false}) {
    auto c = connect();
    ASSERT_TRUE(c->hello(kClientFlagFixedNewstyle | (no_zeroes ? kClientFlagNoZeroes : 0)));
    ASSERT_TRUE(c->send_option(kOptExportName));
    std::vector<uint8_t> reply(10 + (no_zeroes ? 0 : 124));
    ASSERT_TRUE(c->recv(reply.data(), reply.size()));
    EXPECT_EQ(get_u64(reply.data()), kSize);
    EXPECT_TRUE(get_u16(reply.data() + 8) & kFlagHasFlags);
    EXPECT_FALSE(get_u16(reply.data() + 8) & kFlagSendDf);  // no structured replies asked
    auto r = c->command(kCmdFlush);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error, 0u);
  }
  auto c = connect();
  ASSERT_TRUE(c->hello());
  ASSERT_TRUE(c->send_option(kOptExportName, std::vector<uint8_t>{'x'}));
  EXPECT_TRUE(c->server_closed());
}

TEST_F(NbdServerTest, AbortIsAcknowledgedThenClosed) {
  start_memory();
  auto c = connect();
  ASSERT_TRUE(c->hello());
  auto r = c->option(kOptAbort);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, kRepAck);
  EXPECT_TRUE(c->server_closed());
}

TEST_F(NbdServerTest, EveryCommandWithSimpleReplies) {
  auto m = start_memory();
  auto c = connected(false, false);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->transmission_flags() & kFlagSendDf);
  auto data = pattern(10000, 3);
  ASSERT_EQ(c->write(5000, data)->error, 0u);
  auto r = c->read(5000, 10000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data, data);
  EXPECT_EQ(c->write(kSize - 10, pattern(10, 1), kCmdFlagFua)->error, 0u);
  EXPECT_EQ(c->command(kCmdFlush)->error, 0u);
  EXPECT_EQ(m->flushes(), 1u);
  EXPECT_EQ(c->command(kCmdTrim, 4096, 8192)->error, 0u);
  EXPECT_EQ(c->command(kCmdWriteZeroes, 5000, 100)->error, 0u);
  auto after = m->contents();
  for (size_t i = 4096; i < 4096 + 8192; ++i) ASSERT_EQ(after[i], 0) << i;
  EXPECT_EQ(after[4095], 0);  // never written
  EXPECT_EQ(after[12288], data[12288 - 5000]);
  EXPECT_EQ(c->read(0, 0)->error, 0u);
  // Block status without negotiation, DF without structured replies, unknown command.
  EXPECT_EQ(c->command(kCmdBlockStatus, 0, 4096)->error, kEinval);
  EXPECT_EQ(c->read(0, 512, kCmdFlagDf)->error, kEinval);
  EXPECT_EQ(c->command(kCmdCache, 0, 4096)->error, kEinval);
  EXPECT_EQ(c->command(99)->error, kEinval);
  ASSERT_TRUE(c->send_request({0, kCmdDisc, 77, 0, 0}));
  EXPECT_TRUE(c->server_closed());
}

TEST_F(NbdServerTest, StructuredRepliesAndBlockStatus) {
  auto m = start_memory();
  auto c = connected(true, true);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->transmission_flags() & kFlagSendDf);
  ASSERT_EQ(c->write(0, pattern(8192, 9))->error, 0u);
  auto r = c->read(100, 3000, kCmdFlagDf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, 0u);
  auto written = pattern(8192, 9);
  EXPECT_EQ(r->data, std::vector<uint8_t>(written.begin() + 100, written.begin() + 3100));
  auto bad = c->read(kSize, 1);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->error, kEinval);
  EXPECT_FALSE(bad->message.empty());
  // Blocks: [0,8K) data, [8K,12K) hole, [12K,16K) zero (NO_HOLE), rest hole.
  ASSERT_EQ(c->command(kCmdWriteZeroes, 12288, 4096, kCmdFlagNoHole)->error, 0u);
  auto bs = c->command(kCmdBlockStatus, 0, 65536);
  ASSERT_TRUE(bs);
  ASSERT_EQ(bs->error, 0u);
  std::vector<BlockDescriptor> want{{8192, 0},
                                    {4096, kStateHole | kStateZero},
                                    {4096, kStateZero},
                                    {65536 - 16384, kStateHole | kStateZero}};
  EXPECT_EQ(bs->descriptors, want);
  auto one = c->command(kCmdBlockStatus, 4096, 65536, kCmdFlagReqOne);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->descriptors, (std::vector<BlockDescriptor>{{4096, 0}}));
  EXPECT_EQ(c->command(kCmdBlockStatus, kSize - 10, 11)->error, kEinval);
  EXPECT_EQ(c->command(kCmdBlockStatus, 0, 0)->error, kEinval);
  // Flags not valid for the command; FAST_ZERO was not advertised.
  EXPECT_EQ(c->command(kCmdFlush, 0, 0, kCmdFlagReqOne)->error, kEinval);
  EXPECT_EQ(c->command(kCmdWriteZeroes, 0, 4096, kCmdFlagFastZero)->error, kEinval);
  EXPECT_EQ(c->write(0, pattern(10, 1), kCmdFlagNoHole)->error, kEinval);
  EXPECT_EQ(m->contents()[0], pattern(8192, 9)[0]);  // refused write changed nothing
}

TEST_F(NbdServerTest, RangeAndSizeErrors) {
  auto m = start_memory();
  auto c = connected();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->write(kSize - 1, pattern(2, 1))->error, kEnospc);
  EXPECT_EQ(c->command(kCmdWriteZeroes, ~0ull - 10, 100)->error, kEnospc);
  EXPECT_EQ(c->command(kCmdTrim, ~0ull, 1)->error, kEinval);
  EXPECT_EQ(c->read(~0ull - 5, 10)->error, kEinval);
  EXPECT_EQ(c->read(0, (32 << 20) + 1)->error, kEinval);
  // An oversized write: its payload is read and dropped, then the session goes on.
  std::vector<uint8_t> big((32 << 20) + 4096, 0xab);
  auto w = c->call({0, kCmdWrite, 5, 0, static_cast<uint32_t>(big.size())}, big);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->error, kEinval);
  EXPECT_EQ(c->read(0, 16)->data, std::vector<uint8_t>(16, 0));
  EXPECT_EQ(m->contents(), std::vector<uint8_t>(kSize, 0));
}

TEST_F(NbdServerTest, ReadOnlyExport) {
  ExportFeatures f;
  f.read_only = true;
  auto m = std::make_shared<MemoryExport>(kSize, f);
  start(m);
  auto c = connected();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->transmission_flags() & kFlagReadOnly);
  EXPECT_FALSE(c->transmission_flags() & kFlagSendTrim);
  EXPECT_EQ(c->write(0, pattern(4, 1))->error, kEperm);
  EXPECT_EQ(c->command(kCmdTrim, 0, 4096)->error, kEperm);
  EXPECT_EQ(c->command(kCmdWriteZeroes, 0, 4096)->error, kEperm);
  EXPECT_EQ(c->read(0, 4096)->error, 0u);
}

TEST_F(NbdServerTest, MinimumBlockSizeIsEnforced) {
  auto m = std::make_shared<MemoryExport>(kSize, ExportFeatures{}, BlockSizes{512, 4096, 65536});
  start(m);
  auto c = connected();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->read(1, 512)->error, kEinval);
  EXPECT_EQ(c->read(512, 100)->error, kEinval);
  EXPECT_EQ(c->read(512, 65536 + 512)->error, kEinval);
  EXPECT_EQ(c->read(512, 1024)->error, 0u);
}

TEST_F(NbdServerTest, RepliesGoOutOfOrderAsRequestsComplete) {
  auto h = std::make_shared<HoldingExport>(kSize);
  start(h);
  auto c = connected();
  ASSERT_TRUE(c);
  h->hold_offset(0);
  ASSERT_TRUE(c->send_request({0, kCmdRead, 1, 0, 512}));
  ASSERT_TRUE(h->wait_held(1));
  ASSERT_TRUE(c->send_request({0, kCmdWrite, 2, 4096, 4}, pattern(4, 2)));
  ASSERT_TRUE(c->send_request({0, kCmdRead, 3, 8192, 512}));
  auto first = c->read_reply();
  auto second = c->read_reply();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->handle, 2u);
  EXPECT_EQ(second->handle, 3u);
  h->release_all();
  auto last = c->read_reply();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->handle, 1u);
  EXPECT_EQ(last->data.size(), 512u);
}

TEST_F(NbdServerTest, RepliesSentByTheReaderNeverStopItReading) {
  // The memory export completes reads on the connection's reading thread, which then sends
  // the reply itself. A client that sends a large write right after a large read, and reads
  // replies only once its write is out, must not deadlock against it: the reader may send
  // only what the socket takes without waiting and must leave the rest to the writer thread.
  constexpr uint32_t kBig = 8 << 20;
  auto m = std::make_shared<MemoryExport>(uint64_t{2} * kBig);
  start(m);
  auto c = connected();
  ASSERT_TRUE(c);
  const timeval limit{20, 0};  // a deadlock fails the test instead of hanging it
  ASSERT_EQ(::setsockopt(c->fd(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit)), 0);
  const std::vector<uint8_t> first = pattern(kBig, 7), second = pattern(kBig, 9);
  ASSERT_TRUE(c->write(0, first));
  ASSERT_TRUE(c->send_request({0, kCmdRead, 1, 0, kBig}));
  ASSERT_TRUE(c->send_request({0, kCmdWrite, 2, kBig, kBig}, second));
  std::map<uint64_t, TestClient::Reply> got;
  for (int i = 0; i < 2; ++i) {
    auto r = c->read_reply();
    ASSERT_TRUE(r);
    got[r->handle] = *r;
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].error, 0u);
  EXPECT_TRUE(got[1].data == first);
  EXPECT_EQ(got[2].error, 0u);
  auto back = c->read(kBig, kBig);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->data == second);
  // Many small reads in a row, answered by the reader as they complete, in order.
  for (uint64_t i = 0; i < 64; ++i)
    ASSERT_TRUE(c->send_request({0, kCmdRead, 100 + i, i * 512, 512}));
  for (uint64_t i = 0; i < 64; ++i) {
    auto r = c->read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->handle, 100 + i);
    EXPECT_TRUE(std::equal(r->data.begin(), r->data.end(), first.begin() + i * 512));
  }
}

TEST_F(NbdServerTest, InFlightIsBounded) {
  auto h = std::make_shared<HoldingExport>(kSize);
  ServerOptions o;
  o.max_in_flight = 3;
  start(h, o);
  auto c = connected();
  ASSERT_TRUE(c);
  h->hold_everything();
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(c->send_request({0, kCmdRead, i, i * 512, 512}));
  ASSERT_TRUE(h->wait_held(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(h->held(), 3u);  // the server stopped reading: the rest wait in the socket
  // Keep releasing until every reply came back.
  std::atomic<bool> done{false};
  std::thread pump([&] {
    while (!done) {
      h->release_all();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c->read_reply());
  done = true;
  pump.join();
  EXPECT_LE(h->max_held(), 3u);
}

TEST_F(NbdServerTest, ManyConnectionsAndFlushAcrossThem) {
  auto m = start_memory();
  constexpr int kConns = 8;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kConns; ++t) {
    threads.emplace_back([&, t] {
      auto c = TestClient::connect_unix(sock_);
      if (!c || !c->negotiate()) {
        ++failures;
        return;
      }
      // Pipelined writes, then replies in whatever order.
      const uint64_t base = uint64_t(t) * (kSize / kConns);
      for (uint64_t i = 0; i < 16; ++i) {
        if (!c->send_request({0, kCmdWrite, i, base + i * 4096, 4096},
                             pattern(4096, static_cast<uint8_t>(t * 16 + i)))) {
          ++failures;
        }
      }
      for (int i = 0; i < 16; ++i) {
        auto r = c->read_reply();
        if (!r || r->error != 0) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures, 0);
  auto c = connected();
  ASSERT_EQ(c->command(kCmdFlush)->error, 0u);
  auto all = m->contents();
  for (int t = 0; t < kConns; ++t) {
    for (uint64_t i = 0; i < 16; ++i) {
      uint64_t off = uint64_t(t) * (kSize / kConns) + i * 4096;
      auto want = pattern(4096, static_cast<uint8_t>(t * 16 + i));
      ASSERT_TRUE(std::equal(want.begin(), want.end(), all.begin() + off)) << t << " " << i;
    }
  }
  EXPECT_EQ(server_->stats().connections_accepted, kConns + 1u);
}

TEST_F(NbdServerTest, StopDrainsInFlightRequestsAndFlushes) {
  auto h = std::make_shared<HoldingExport>(kSize);
  start(h);
  auto c = connected();
  ASSERT_TRUE(c);
  h->hold_everything();
  ASSERT_TRUE(c->send_request({0, kCmdWrite, 1, 0, 4096}, pattern(4096, 5)));
  ASSERT_TRUE(h->wait_held(1));
  server_->request_stop();
  std::thread stopper([&] { EXPECT_TRUE(server_->wait().ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  h->release_all();
  auto r = c->read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->handle, 1u);
  EXPECT_EQ(r->error, 0u);
  EXPECT_TRUE(c->server_closed());
  stopper.join();
  EXPECT_GE(h->inner().flushes(), 1u);
  EXPECT_FALSE(std::filesystem::exists(sock_));
  EXPECT_EQ(TestClient::connect_unix(sock_), nullptr);
}

TEST_F(NbdServerTest, DisconnectAnswersOutstandingRequestsFirst) {
  auto h = std::make_shared<HoldingExport>(kSize);
  start(h);
  auto c = connected();
  ASSERT_TRUE(c);
  h->hold_everything();
  ASSERT_TRUE(c->send_request({0, kCmdWrite, 1, 0, 4096}, pattern(4096, 8)));
  ASSERT_TRUE(h->wait_held(1));
  ASSERT_TRUE(c->send_request({0, kCmdDisc, 2, 0, 0}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  h->release_all();
  auto r = c->read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->handle, 1u);
  EXPECT_EQ(r->error, 0u);
  EXPECT_TRUE(c->server_closed());
  EXPECT_EQ(h->inner().contents()[0], pattern(4096, 8)[0]);
}

TEST_F(NbdServerTest, ClientVanishingWithRequestsInFlight) {
  auto h = std::make_shared<HoldingExport>(kSize);
  start(h);
  {
    auto c = connected();
    ASSERT_TRUE(c);
    h->hold_everything();
    for (uint64_t i = 0; i < 4; ++i) {
      ASSERT_TRUE(c->send_request({0, kCmdWrite, i, i * 4096, 4096}, pattern(4096, 1)));
    }
    ASSERT_TRUE(h->wait_held(4));
  }  // closed with four writes in the export
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  h->release_all();  // their replies go nowhere; the connection must still clean up
  auto c = connected();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->read(0, 4096)->data, pattern(4096, 1));
}

TEST_F(NbdServerTest, TcpOnLoopback) {
  server_ = std::make_unique<Server>();
  ASSERT_TRUE(server_->add_export("", std::make_shared<MemoryExport>(kSize)).ok());
  ASSERT_TRUE(server_->listen_tcp(0).ok());
  EXPECT_NE(server_->tcp_port(), 0);
  ASSERT_TRUE(server_->start().ok());
  auto c = TestClient::connect_tcp(server_->tcp_port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->negotiate());
  ASSERT_EQ(c->write(7, pattern(33, 4))->error, 0u);
  EXPECT_EQ(c->read(7, 33)->data, pattern(33, 4));
  EXPECT_FALSE(server_->listen_tcp(0).ok());  // after start
  EXPECT_FALSE(Server().listen_tcp(0, "localhost").ok());
}

TEST_F(NbdServerTest, SetupErrors) {
  Server s;
  EXPECT_FALSE(s.start().ok());  // nothing to serve
  EXPECT_TRUE(s.add_export("", std::make_shared<MemoryExport>(4096)).ok());
  EXPECT_FALSE(s.add_export("", std::make_shared<MemoryExport>(4096)).ok());
  EXPECT_FALSE(s.add_export("x", nullptr).ok());
  EXPECT_FALSE(s.start().ok());  // not listening
  EXPECT_FALSE(s.listen_unix(std::string(200, 'a')).ok());
  std::string file = dir_ + "/plain";
  FILE* f = fopen(file.c_str(), "w");
  fclose(f);
  EXPECT_FALSE(s.listen_unix(file).ok());  // not a socket: left alone
  EXPECT_TRUE(std::filesystem::exists(file));
  {
    Server never_started;
    ASSERT_TRUE(never_started.listen_unix(dir_ + "/unused.sock").ok());
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/unused.sock"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/unused.sock"));
}

TEST_F(NbdServerTest, SilentClientsAreDroppedAfterTheHandshakeTimeout) {
  ServerOptions o;
  o.handshake_timeout_ms = 1000;  // generous: sanitizer builds on a busy machine are slow
  start_memory(o);
  auto c = connect();
  ASSERT_TRUE(c);
  uint8_t g[kHandshakeSize];
  ASSERT_TRUE(c->recv(g, sizeof(g)));
  EXPECT_TRUE(c->server_closed());  // said nothing: dropped
  auto ok = connected();            // a prompt client is served, past the timeout too
  ASSERT_TRUE(ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(ok->read(0, 512)->error, 0u);
}

TEST_F(NbdServerTest, ATricklingHandshakeIsCutAtItsDeadline) {
  ServerOptions o;
  o.handshake_timeout_ms = 300;
  start_memory(o);
  auto c = connect();
  ASSERT_TRUE(c->hello());
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {  // one option every 50 ms, forever
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto r = c->option(kOptList);
    cut = r.empty();
  }
  EXPECT_TRUE(cut);
}

TEST_F(NbdServerTest, StructuredRepliesCanBeTurnedOff) {
  ServerOptions o;
  o.structured_replies = false;
  start_memory(o);
  auto c = connect();
  ASSERT_TRUE(c->hello());
  auto r = c->option(kOptStructuredReply);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, kRepErrUnsup);
  ASSERT_EQ(c->option(kOptGo, encode_info_request({"", {}})).back().type, kRepAck);
  ASSERT_EQ(c->write(0, pattern(100, 2))->error, 0u);
  EXPECT_EQ(c->read(0, 100)->data, pattern(100, 2));
}

TEST_F(NbdServerTest, TcpOnIpv6Loopback) {
  Server s;
  ASSERT_TRUE(s.add_export("", std::make_shared<MemoryExport>(4096)).ok());
  NbdStatus st = s.listen_tcp(0, "::1");
  if (!st.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << st.message();
  EXPECT_NE(s.tcp_port(), 0);
  ASSERT_TRUE(s.start().ok());
  EXPECT_TRUE(s.stop().ok());
}

TEST_F(NbdServerTest, ConnectionsBeyondTheLimitAreClosed) {
  ServerOptions o;
  o.max_connections = 2;
  start_memory(o);
  auto a = connected();
  auto b = connected();
  ASSERT_TRUE(a && b);
  auto c = connect();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->server_closed());
  EXPECT_EQ(server_->stats().connections_refused, 1u);
  a.reset();
  // Once a slot frees, new clients get in.
  for (int i = 0; i < 200; ++i) {
    if (server_->stats().connections_active < 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto d = connected();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->read(0, 512)->error, 0u);
}

TEST_F(NbdServerTest, SignalStopsTheServer) {
  auto m = start_memory();
  server_->stop_on_signals({SIGUSR1});
  auto c = connected();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->write(0, pattern(512, 1))->error, 0u);
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  EXPECT_TRUE(server_->wait().ok());
  EXPECT_TRUE(c->server_closed());
  EXPECT_GE(m->flushes(), 1u);
  server_.reset();
}

// --- Malformed input --------------------------------------------------------------------

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
template <size_t N>
std::vector<uint8_t> v(const std::array<uint8_t, N>& a) {
  return {a.begin(), a.end()};
}
std::vector<uint8_t> u32(uint32_t x) {
  std::vector<uint8_t> o;
  put_u32(o, x);
  return o;
}

TEST_F(NbdServerTest, MalformedInputTable) {
  auto m = start_memory();
  // Put known data in, to prove nothing below changes it.
  {
    auto c = connected();
    ASSERT_EQ(c->write(0, pattern(kSize, 11))->error, 0u);
  }
  const auto golden = m->contents();

  enum class Phase { kHello, kOptions, kTransmission };
  struct Row {
    const char* what;
    Phase phase;
    std::vector<uint8_t> bytes;
    // Expected: a simple/structured error reply with this wire error, an option reply of
    // this type, or (0 and 0) the server hanging up.
    uint32_t request_error = 0;
    uint32_t option_reply = 0;
  };
  auto req = [](uint16_t flags, uint16_t type, uint64_t off, uint32_t len) {
    return v(encode_request({flags, type, 1, off, len}));
  };
  std::vector<uint8_t> bad_magic_req = req(0, kCmdRead, 0, 512);
  bad_magic_req[3] ^= 1;
  std::vector<uint8_t> cut_option = encode_option(kOptInfo, std::vector<uint8_t>(10));
  cut_option.resize(cut_option.size() - 5);
  const std::vector<Row> rows = {
      {"unknown client flags", Phase::kHello, u32(0x80000001)},
      {"client flags cut short", Phase::kHello, {0, 0}},
      {"option with wrong magic", Phase::kOptions,
       cat({u32(0x12345678), u32(0), u32(kOptGo), u32(0)})},
      {"request before negotiation", Phase::kOptions, req(0, kCmdRead, 0, 512)},
      {"option length absurd", Phase::kOptions, encode_option(kOptGo, {}) /*patched below*/},
      {"option cut mid-payload", Phase::kOptions, cut_option},
      {"option too big", Phase::kOptions, encode_option(kOptInfo, std::vector<uint8_t>(70000)), 0,
       kRepErrTooBig},
      {"info with bad counts", Phase::kOptions, encode_option(kOptInfo, cat({u32(0), {0, 5}})), 0,
       kRepErrInvalid},
      {"go naming nothing", Phase::kOptions,
       encode_option(kOptGo, encode_info_request({"zzz", {}})), 0, kRepErrUnknown},
      {"structured reply with data", Phase::kOptions,
       encode_option(kOptStructuredReply, std::vector<uint8_t>{1}), 0, kRepErrInvalid},
      {"request with wrong magic", Phase::kTransmission, bad_magic_req},
      {"unknown command", Phase::kTransmission, req(0, 42, 0, 0), kEinval},
      {"unknown flag", Phase::kTransmission, req(0x100, kCmdRead, 0, 512), kEinval},
      {"read past end", Phase::kTransmission, req(0, kCmdRead, kSize, 1), kEinval},
      {"read wrapping", Phase::kTransmission, req(0, kCmdRead, ~0ull, 2), kEinval},
      {"trim past end", Phase::kTransmission, req(0, kCmdTrim, kSize - 1, 2), kEinval},
      {"write past end", Phase::kTransmission,
       cat({req(0, kCmdWrite, kSize - 1, 4), std::vector<uint8_t>(4, 0xee)}), kEnospc},
      {"write zeroes wrapping", Phase::kTransmission, req(0, kCmdWriteZeroes, ~0ull - 1, 4096),
       kEnospc},
      {"write absurdly long", Phase::kTransmission, req(0, kCmdWrite, 0, 0xffffffffu)},
      {"write cut mid-payload", Phase::kTransmission,
       cat({req(0, kCmdWrite, 0, 4096), std::vector<uint8_t>(100, 0xee)})},
      {"request cut mid-header", Phase::kTransmission,
       std::vector<uint8_t>(bad_magic_req.begin(), bad_magic_req.begin() + 10)},
      {"block status without context", Phase::kTransmission, req(0, kCmdBlockStatus, 0, 512),
       0 /*set below*/},
  };
  for (Row row : rows) {
    SCOPED_TRACE(row.what);
    if (std::string(row.what) == "option length absurd") store_u32(row.bytes.data() + 12, 1u << 30);
    if (std::string(row.what) == "block status without context") row.request_error = kEinval;
    auto c = connect();
    ASSERT_TRUE(c);
    if (row.phase == Phase::kHello) {
      uint8_t g[kHandshakeSize];
      ASSERT_TRUE(c->recv(g, sizeof(g)));
    } else if (row.phase == Phase::kOptions) {
      ASSERT_TRUE(c->hello());
    } else {
      ASSERT_TRUE(c->negotiate("", true, false));
    }
    ASSERT_TRUE(c->send(row.bytes));
    if (row.request_error != 0) {
      c->expect(*decode_request(row.bytes));
      auto reply = c->read_reply();
      ASSERT_TRUE(reply);
      EXPECT_EQ(reply->handle, 1u);
      EXPECT_EQ(reply->error, row.request_error);
    } else if (row.option_reply != 0) {
      auto reply = c->read_option_reply();
      ASSERT_TRUE(reply);
      EXPECT_EQ(reply->type, row.option_reply);
    } else {
      if (std::string(row.what).find("cut") != std::string::npos) {
        ::shutdown(c->fd(), SHUT_WR);  // the client goes away mid-message
      }
      EXPECT_TRUE(c->server_closed());
    }
    c.reset();
    // The server still serves, and the export is intact.
    auto fresh = connected();
    ASSERT_TRUE(fresh);
    auto r = fresh->read(0, 4096);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->data, std::vector<uint8_t>(golden.begin(), golden.begin() + 4096));
  }
  EXPECT_EQ(m->contents(), golden);
  EXPECT_GT(server_->stats().hard_disconnects, 0u);
}

// Seeded: random and mutated request streams for a bounded time. The server must never
// crash or hang, and must keep serving; the export may change only through writes that are
// in range (so everything below the export's size is all the fuzz can touch).
TEST_F(NbdServerTest, FuzzedRequestStreams) {
  auto m = start_memory();
  Rng rng(20261122);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int sessions = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ++sessions;
    auto c = connect();
    ASSERT_TRUE(c);
    bool structured = rng.next() & 1;
    if (!c->negotiate("", structured, structured && (rng.next() & 1))) continue;
    std::vector<uint8_t> stream;
    int n = 1 + static_cast<int>(rng.next() % 20);
    for (int i = 0; i < n; ++i) {
      Request r;
      r.type = static_cast<uint16_t>(rng.next() % 9);
      r.flags = static_cast<uint16_t>(rng.next() % 4 == 0 ? rng.next() : 0);
      r.handle = rng.next();
      r.offset = rng.next() % 3 == 0 ? rng.next() : rng.next() % (kSize + 8192);
      r.length = static_cast<uint32_t>(rng.next() % 3 == 0 ? rng.next() : rng.next() % 70000);
      if (r.type == kCmdDisc) r.type = kCmdFlush;
      auto h = encode_request(r);
      stream.insert(stream.end(), h.begin(), h.end());
      if (r.type == kCmdWrite && r.length < 200000) stream.resize(stream.size() + r.length, 0x5a);
    }
    // Mutate: flip bytes, cut the stream, or splice garbage.
    int flips = static_cast<int>(rng.next() % 4);
    for (int i = 0; i < flips && !stream.empty(); ++i) {
      stream[rng.next() % stream.size()] ^= static_cast<uint8_t>(1 + rng.next() % 255);
    }
    if (rng.next() % 4 == 0) stream.resize(rng.next() % (stream.size() + 1));
    c->send(stream);
    ::shutdown(c->fd(), SHUT_WR);
    // Drain whatever comes back until the server hangs up.
    uint8_t buf[65536];
    while (::recv(c->fd(), buf, sizeof(buf), 0) > 0) {
    }
  }
  EXPECT_GT(sessions, 5);
  auto c = connected();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->write(0, pattern(4096, 77))->error, 0u);
  EXPECT_EQ(c->read(0, 4096)->data, pattern(4096, 77));
  // The writer counts a reply done just after sending it: give it a moment.
  for (int i = 0; i < 500 && server_->stats().in_flight != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(server_->stats().in_flight, 0u);
}

// Seeded: the option phase with random and mutated options, including valid ones in random
// order. Every session must end in transmission, a reply-by-reply exchange, or a hang-up.
TEST_F(NbdServerTest, FuzzedOptionStreams) {
  start_memory();
  Rng rng(777);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int sessions = 0;
  const uint32_t options[] = {kOptExportName,
                              kOptAbort,
                              kOptList,
                              kOptStartTls,
                              kOptInfo,
                              kOptGo,
                              kOptStructuredReply,
                              kOptListMetaContext,
                              kOptSetMetaContext,
                              kOptExtendedHeaders,
                              0,
                              0xffffffffu};
  while (std::chrono::steady_clock::now() < deadline) {
    ++sessions;
    auto c = connect();
    ASSERT_TRUE(c);
    uint8_t g[kHandshakeSize];
    ASSERT_TRUE(c->recv(g, sizeof(g)));
    std::vector<uint8_t> stream = u32(rng.chance(1, 10) ? static_cast<uint32_t>(rng.next()) : 3);
    int n = 1 + static_cast<int>(rng.below(8));
    for (int i = 0; i < n; ++i) {
      uint32_t opt = options[rng.below(std::size(options))];
      std::vector<uint8_t> payload;
      switch (rng.below(4)) {
        case 0:
          payload = encode_info_request({rng.chance(1, 2) ? "" : "second", {kInfoName}});
          break;
        case 1:
          payload = encode_meta_context_request({"", {"base:allocation", "base:"}});
          break;
        case 2:
          payload.resize(rng.below(64));
          for (auto& b : payload) b = static_cast<uint8_t>(rng.next());
          break;
        default:
          break;
      }
      auto o = encode_option(opt, payload);
      stream.insert(stream.end(), o.begin(), o.end());
    }
    int flips = static_cast<int>(rng.below(3));
    for (int i = 0; i < flips; ++i) {
      stream[rng.below(static_cast<uint32_t>(stream.size()))] ^=
          static_cast<uint8_t>(1 + rng.below(255));
    }
    c->send(stream);
    ::shutdown(c->fd(), SHUT_WR);
    uint8_t buf[65536];
    while (::recv(c->fd(), buf, sizeof(buf), 0) > 0) {
    }
  }
  EXPECT_GT(sessions, 5);
  auto c = connected();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->read(0, 4096)->error, 0u);
}

}  // namespace
}  // namespace accz::nbd
