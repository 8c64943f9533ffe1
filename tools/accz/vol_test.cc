// The `accz vol` pieces that need no server: sizes, the report's JSON round trip and table,
// and the control socket's protocol between a ControlServer and control_request().
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "vol_control.h"
#include "vol_report.h"
#include "vol_size.h"

namespace accz::cli {
namespace {

using nlohmann::json;

TEST(VolSize, ParsesBinarySuffixes) {
  std::string err;
  EXPECT_EQ(parse_size("4096", &err), 4096u);
  EXPECT_EQ(parse_size("4K", &err), 4096u);
  EXPECT_EQ(parse_size("64g", &err), uint64_t{64} << 30);
  EXPECT_EQ(parse_size("1TiB", &err), uint64_t{1} << 40);
  EXPECT_EQ(parse_size("2MB", &err), uint64_t{2} << 20);
  EXPECT_EQ(parse_size("3P", &err), uint64_t{3} << 50);
  EXPECT_EQ(parse_size("0", &err), 0u);
}

TEST(VolSize, RejectsWhatIsNotASize) {
  for (const char* bad :
       {"", "G", "-1", "1.5G", "12Q", "1KX", "1 G", "99999999999999999999", "20000000P"}) {
    std::string err;
    EXPECT_FALSE(parse_size(bad, &err).has_value()) << bad;
    EXPECT_NE(err.find("bad size"), std::string::npos) << bad;
  }
}

TEST(VolSize, FormatsLikeVdostats) {
  EXPECT_EQ(format_size(512), "512B");
  EXPECT_EQ(format_size(4096), "4.0K");
  EXPECT_EQ(format_size(uint64_t{3} << 29), "1.5G");
  EXPECT_EQ(format_size(uint64_t{1} << 40), "1.0T");
}

TEST(VolReport, JsonRoundTripKeepsEveryField) {
  store::VolumeStats s;
  s.logical_blocks = 1000;
  s.logical_blocks_used = 400;
  s.data_blocks_used = 100;
  s.physical_blocks = 900;
  s.overhead_blocks = 50;
  s.saving_percent = saving_percent(400, 100);
  s.dedupe_advice_valid = 7;
  s.journal_commits = 9;
  s.dedup_index_capacity = 11;
  s.read_only = true;
  json j = volume_stats_to_json(s);
  EXPECT_DOUBLE_EQ(j["saving_percent"].get<double>(), 75.0);
  store::VolumeStats back = volume_stats_from_json(j);
  EXPECT_EQ(back.logical_blocks_used, 400u);
  EXPECT_EQ(back.dedupe_advice_valid, 7u);
  EXPECT_EQ(back.journal_commits, 9u);
  EXPECT_EQ(back.dedup_index_capacity, 11u);
  EXPECT_TRUE(back.read_only);
  EXPECT_DOUBLE_EQ(back.saving_percent, 75.0);
  // A peer that sends fewer fields, or wrong types, leaves zeros.
  store::VolumeStats sparse = volume_stats_from_json(json{{"writes", "many"}, {"reads", 3}});
  EXPECT_EQ(sparse.writes, 0u);
  EXPECT_EQ(sparse.reads, 3u);
  EXPECT_EQ(saving_percent(0, 0), 0.0);
}

TEST(VolReport, TableHasTheVdostatsColumns) {
  store::VolumeStats s;
  s.physical_blocks = 256;  // 1 MiB of data blocks
  s.overhead_blocks = 0;
  s.data_blocks_used = 64;
  s.logical_blocks_used = 128;
  s.saving_percent = 50;
  json j = volume_stats_to_json(s);
  j["device"] = "vol.img";
  std::ostringstream out;
  print_volume_table(j, out);
  const std::string t = out.str();
  for (const char* col : {"Device", "Size", "Used", "Available", "Use%", "Space saving%", "vol.img",
                          "1.0M", "256.0K", "768.0K", "25%", "50.0%", "dedupe_advice_valid"})
    EXPECT_NE(t.find(col), std::string::npos) << col << " in\n" << t;
}

class ControlSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/accz-vol-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ctl";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

TEST_F(ControlSocket, AnswersStatsAndRefusesTheRest) {
  std::atomic<int> calls{0};
  std::string error;
  auto server = ControlServer::listen(
      path_,
      [&calls] {
        ++calls;
        return json{{"writes", 42}};
      },
      &error);
  ASSERT_TRUE(server) << error;
  auto reply = control_request(path_, {{"command", "stats"}}, &error);
  ASSERT_TRUE(reply) << error;
  EXPECT_TRUE((*reply)["ok"].get<bool>());
  EXPECT_EQ((*reply)["writes"], 42);
  reply = control_request(path_, {{"command", "format"}}, &error);
  ASSERT_TRUE(reply) << error;
  EXPECT_FALSE((*reply)["ok"].get<bool>());
  reply = control_request(path_, json::array({1, 2}), &error);
  ASSERT_TRUE(reply) << error;
  EXPECT_FALSE((*reply)["ok"].get<bool>());
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(ControlSocket, ManyClientsFromThreads) {
  std::string error;
  auto server = ControlServer::listen(
      path_,
      [] {
        return json{{"reads", 1}};
      },
      &error);
  ASSERT_TRUE(server) << error;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        std::string e;
        auto r = control_request(path_, {{"command", "stats"}}, &e);
        if (r && (*r)["reads"] == 1) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST_F(ControlSocket, SilentOrOversizedClientsDoNotStopIt) {
  std::string error;
  auto server = ControlServer::listen(
      path_, [] { return json::object(); }, &error);
  ASSERT_TRUE(server) << error;
  // A client that sends more than the limit without a newline is dropped.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string junk(8192, 'x');
  (void)::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  char c;
  EXPECT_LE(::recv(fd, &c, 1, 0), 0);
  ::close(fd);
  auto reply = control_request(path_, {{"command", "stats"}}, &error);
  EXPECT_TRUE(reply) << error;
}

TEST_F(ControlSocket, ReplacesAStaleSocketButNotAFile) {
  std::string error;
  {
    auto first = ControlServer::listen(
        path_, [] { return json::object(); }, &error);
  }
  EXPECT_FALSE(std::filesystem::exists(path_));  // removed on destruction
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);    // a stale socket file, as after kill -9
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  auto second = ControlServer::listen(
      path_, [] { return json::object(); }, &error);
  EXPECT_TRUE(second) << error;
  second.reset();
  { std::ofstream(path_) << "data"; }
  auto third = ControlServer::listen(
      path_, [] { return json::object(); }, &error);
  EXPECT_FALSE(third);
  EXPECT_NE(error.find("not a socket"), std::string::npos) << error;
  std::string e2;
  EXPECT_FALSE(control_request(dir_ + "/none", {{"command", "stats"}}, &e2));
  EXPECT_FALSE(e2.empty());
}

}  // namespace
}  // namespace accz::cli
