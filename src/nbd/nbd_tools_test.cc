// The server against real NBD clients from libnbd-bin: nbdinfo sees the size, flags, block
// sizes and base:allocation; nbdcopy copies a file in and back out unchanged; nbdinfo --map
// shows what was written as data and the rest as holes. Skipped when the tools are missing.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nbd/memory_export.h"
#include "nbd/server.h"
#include "util/datagen.h"

namespace accz::nbd {
namespace {

bool have(const char* tool) {
  std::string cmd = std::string("command -v ") + tool + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Runs a shell command; its stdout, and whether it exited 0.
std::pair<bool, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return {false, out};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) && WEXITSTATUS(status) == 0, out};
}

class NbdToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have("nbdinfo") || !have("nbdcopy")) {
      GTEST_SKIP() << "nbdinfo/nbdcopy not installed (Debian package libnbd-bin)";
    }
    char tmpl[] = "/tmp/accz-nbd-tools-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    uri_ = "nbd+unix:///?socket=" + dir_ + "/nbd.sock";
    export_ = std::make_shared<MemoryExport>(kSize);
    ASSERT_TRUE(server_.add_export("", export_, "accz test export").ok());
    ASSERT_TRUE(server_.listen_unix(dir_ + "/nbd.sock").ok());
    ASSERT_TRUE(server_.start().ok());
  }
  void TearDown() override {
    if (!dir_.empty()) {
      EXPECT_TRUE(server_.stop().ok());
      std::filesystem::remove_all(dir_);
    }
  }

  static constexpr uint64_t kSize = 16 << 20;
  std::string dir_, uri_;
  std::shared_ptr<MemoryExport> export_;
  Server server_;
};

TEST_F(NbdToolsTest, NbdinfoSeesSizeFlagsAndContexts) {
  auto [ok, out] = run("nbdinfo --json '" + uri_ + "'");
  ASSERT_TRUE(ok) << out;
  for (const char* want :
       {"\"export-size\": 16777216", "\"can_flush\": true", "\"can_fua\": true",
        "\"can_trim\": true", "\"can_zero\": true", "\"can_multi_conn\": true", "\"can_df\": true",
        "\"is_read_only\": false", "\"base:allocation\"", "\"block_size_preferred\": 4096",
        "\"description\": \"accz test export\"", "\"structured\": true"}) {
    EXPECT_NE(out.find(want), std::string::npos) << want << " in\n" << out;
  }
  auto [list_ok, list] = run("nbdinfo --list '" + uri_ + "'");
  EXPECT_TRUE(list_ok) << list;
}

TEST_F(NbdToolsTest, NbdcopyRoundTripAndMap) {
  const std::string in = dir_ + "/in", back = dir_ + "/back";
  // Not a multiple of 4096, so the last block is partly written.
  std::vector<uint8_t> data = datagen::mix(3 * 1000 * 1000 + 17, 0.5, 9);
  {
    std::ofstream f(in, std::ios::binary);
    f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  }
  auto [w_ok, w_out] = run("nbdcopy '" + in + "' '" + uri_ + "'");
  ASSERT_TRUE(w_ok) << w_out;
  auto [r_ok, r_out] = run("nbdcopy '" + uri_ + "' '" + back + "'");
  ASSERT_TRUE(r_ok) << r_out;
  ASSERT_EQ(std::filesystem::file_size(back), kSize);
  std::vector<uint8_t> got(kSize);
  std::ifstream(back, std::ios::binary).read(reinterpret_cast<char*>(got.data()), kSize);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), got.begin()));
  EXPECT_TRUE(std::all_of(got.begin() + static_cast<ptrdiff_t>(data.size()), got.end(),
                          [](uint8_t b) { return b == 0; }));
  auto mem = export_->contents();
  EXPECT_TRUE(std::equal(data.begin(), data.end(), mem.begin()));

  auto [m_ok, map] = run("nbdinfo --map '" + uri_ + "'");
  ASSERT_TRUE(m_ok) << map;
  // Whole 4 KiB blocks: the data rounds up to the block holding its last byte.
  const uint64_t data_end = (data.size() + 4095) / 4096 * 4096;
  EXPECT_NE(map.find("0  data"), std::string::npos) << map;
  EXPECT_NE(map.find(std::to_string(data_end)), std::string::npos) << map;
  EXPECT_NE(map.find("3  hole,zero"), std::string::npos) << map;
}

}  // namespace
}  // namespace accz::nbd
