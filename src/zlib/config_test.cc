// The drop-in's configuration: the file alone sets every setting; the environment overrides it
// per setting; comments, blanks and whitespace; unknown names and malformed, over-long, NUL and
// cut-off lines are reported with FILE:LINE and skipped while later lines apply; a named file
// that is missing, a directory or a FIFO is reported and read nothing (without hanging); a
// missing default file is silent; ACCZ_ZLIB_CONFIG= turns the default off; a bad value in the
// file falls back exactly as the same value in the environment does; secure mode reads only
// root's own file. End to end, a program linked to the built drop-in honours the file.
#include "zlib/config.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace accz::zlib {
namespace {

// A scratch directory of its own per test, removed with it.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "accz_zlib_config_XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string write(const std::string& name, const std::string& text, mode_t mode = 0644) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    chmod(path.c_str(), mode);
    return path;
  }

  // load_config with these variables (nothing else set) and `default_file` standing in for
  // /etc/accz/zlib.conf; the messages it reported go to messages_.
  Config load(const std::map<std::string, std::string>& vars, bool secure = false,
              const std::string& default_file = "") {
    messages_.clear();
    const std::string fallback = default_file.empty() ? dir_ + "/no-default.conf" : default_file;
    return load_config(
        [&vars](const char* name) -> const char* {
          const auto it = vars.find(name);
          return it == vars.end() ? nullptr : it->second.c_str();
        },
        [this](const char* message) { messages_.emplace_back(message); }, secure, fallback.c_str());
  }

  Config load_file(const std::string& text, std::map<std::string, std::string> vars = {}) {
    vars["ACCZ_ZLIB_CONFIG"] = write("zlib.conf", text);
    return load(vars);
  }

  std::string all_messages() const {
    std::string all;
    for (const auto& m : messages_) all += m + "\n";
    return all;
  }

  bool reported(const std::string& part) const {
    return all_messages().find(part) != std::string::npos;
  }

  std::string dir_;
  std::vector<std::string> messages_;
};

void expect_same(const Config& a, const Config& b) {
  EXPECT_EQ(a.isal, b.isal);
  EXPECT_EQ(a.libdeflate, b.libdeflate);
  EXPECT_EQ(a.deflate_stream, b.deflate_stream);
  EXPECT_EQ(a.inflate_stream, b.inflate_stream);
  EXPECT_EQ(a.stream_cap, b.stream_cap);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.parallel_min, b.parallel_min);
  EXPECT_EQ(a.size_check_always, b.size_check_always);
  EXPECT_EQ(a.stats, b.stats);
  EXPECT_EQ(a.stats_path, b.stats_path);
  EXPECT_EQ(a.log_level, b.log_level);
}

// Config{} with threads resolved as load_config resolves the default.
Config defaults(unsigned threads) {
  Config c;
  c.threads = threads;
  return c;
}

TEST_F(ConfigTest, PathResolution) {
  const auto get = [](const char* value) {
    return [value](const char* name) -> const char* {
      return std::string(name) == "ACCZ_ZLIB_CONFIG" ? value : nullptr;
    };
  };
  EXPECT_STREQ(config_file_path(get(nullptr)), "/etc/accz/zlib.conf");
  EXPECT_STREQ(config_file_path(get(nullptr), "/x.conf"), "/x.conf");
  EXPECT_EQ(config_file_path(get("")), nullptr);
  EXPECT_STREQ(config_file_path(get("/a/b.conf")), "/a/b.conf");
}

TEST_F(ConfigTest, NothingSetGivesTheDefaultsSilently) {
  const Config c = load({});
  expect_same(c, defaults(c.threads));
  EXPECT_GE(c.threads, 1u);
  EXPECT_LE(c.threads, 8u);
  EXPECT_TRUE(messages_.empty()) << all_messages();  // the default file is absent: silent
}

TEST_F(ConfigTest, FileAloneSetsEachSetting) {
  const Config c = load_file(
      "ACCZ_ZLIB_ENGINES=isal,inflate\n"
      "ACCZ_ZLIB_STREAM_CAP=5M\n"
      "ACCZ_ZLIB_THREADS=3\n"
      "ACCZ_ZLIB_PARALLEL_MIN=256K\n"
      "ACCZ_ZLIB_SIZE_CHECK=always\n"
      "ACCZ_ZLIB_STATS=/tmp/accz-stats.txt\n"
      "ACCZ_ZLIB_LOG=0\n");
  EXPECT_TRUE(c.isal);
  EXPECT_FALSE(c.libdeflate);
  EXPECT_FALSE(c.deflate_stream);
  EXPECT_TRUE(c.inflate_stream);
  EXPECT_EQ(c.stream_cap, size_t{5} << 20);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.parallel_min, size_t{256} << 10);
  EXPECT_TRUE(c.size_check_always);
  EXPECT_TRUE(c.stats);
  EXPECT_EQ(c.stats_path, "/tmp/accz-stats.txt");
  EXPECT_EQ(c.log_level, 0);
  EXPECT_TRUE(messages_.empty()) << all_messages();

  EXPECT_TRUE(load_file("ACCZ_ZLIB_STATS=stderr\n").stats);
  EXPECT_TRUE(load_file("ACCZ_ZLIB_STATS=stderr\n").stats_path.empty());
  const Config none = load_file("ACCZ_ZLIB_ENGINES=none\nACCZ_ZLIB_LOG=2\n");
  EXPECT_FALSE(none.isal || none.libdeflate || none.deflate_stream || none.inflate_stream);
  EXPECT_EQ(none.log_level, 2);
  EXPECT_TRUE(reported("configuration file: " + dir_ + "/zlib.conf")) << all_messages();
  EXPECT_TRUE(reported("engines: isal off, libdeflate off, deflate off, inflate off"))
      << all_messages();
}

TEST_F(ConfigTest, EnvironmentOverridesTheFilePerSetting) {
  const std::string file =
      "ACCZ_ZLIB_ENGINES=none\n"
      "ACCZ_ZLIB_STREAM_CAP=5M\n"
      "ACCZ_ZLIB_THREADS=3\n"
      "ACCZ_ZLIB_PARALLEL_MIN=256K\n"
      "ACCZ_ZLIB_SIZE_CHECK=always\n"
      "ACCZ_ZLIB_STATS=/tmp/accz-stats.txt\n";
  const Config c = load_file(
      file,
      {{"ACCZ_ZLIB_ENGINES", "libdeflate"}, {"ACCZ_ZLIB_THREADS", "2"}, {"ACCZ_ZLIB_STATS", "1"}});
  EXPECT_FALSE(c.isal);
  EXPECT_TRUE(c.libdeflate);
  EXPECT_EQ(c.threads, 2u);
  EXPECT_TRUE(c.stats);
  EXPECT_TRUE(c.stats_path.empty());
  // The rest is the file's.
  EXPECT_EQ(c.stream_cap, size_t{5} << 20);
  EXPECT_EQ(c.parallel_min, size_t{256} << 10);
  EXPECT_TRUE(c.size_check_always);

  // A variable set to "" is present: it gives the default, whatever the file says.
  const Config empty = load_file(
      file, {{"ACCZ_ZLIB_ENGINES", ""}, {"ACCZ_ZLIB_STATS", ""}, {"ACCZ_ZLIB_SIZE_CHECK", ""}});
  EXPECT_TRUE(empty.isal && empty.libdeflate && empty.deflate_stream && empty.inflate_stream);
  EXPECT_FALSE(empty.stats);
  EXPECT_FALSE(empty.size_check_always);
  EXPECT_EQ(empty.threads, 3u);

  // The log level too, and it governs the file's own diagnostics.
  load_file("ACCZ_ZLIB_LOG=0\nBOGUS=1\n");
  EXPECT_TRUE(messages_.empty()) << all_messages();
  const Config loud = load_file("ACCZ_ZLIB_LOG=0\nBOGUS=1\n", {{"ACCZ_ZLIB_LOG", "1"}});
  EXPECT_EQ(loud.log_level, 1);
  EXPECT_TRUE(reported("unknown name 'BOGUS'")) << all_messages();
}

TEST_F(ConfigTest, CommentsBlanksAndWhitespace) {
  const Config c = load_file(
      "# the drop-in's settings\n"
      "\n"
      "   \t\n"
      "   # ACCZ_ZLIB_THREADS=7\n"
      "#ACCZ_ZLIB_LOG=0\n"
      "  ACCZ_ZLIB_THREADS \t=  5  \r\n"
      "\tACCZ_ZLIB_STATS = /tmp/a file with spaces.txt\t\n"
      "ACCZ_ZLIB_STREAM_CAP=1M\r\n"
      "ACCZ_ZLIB_PARALLEL_MIN=2M");  // no newline at the end
  EXPECT_EQ(c.threads, 5u);
  EXPECT_EQ(c.stats_path, "/tmp/a file with spaces.txt");
  EXPECT_EQ(c.stream_cap, size_t{1} << 20);
  EXPECT_EQ(c.parallel_min, size_t{2} << 20);
  EXPECT_EQ(c.log_level, 1);
  EXPECT_TRUE(messages_.empty()) << all_messages();

  // No quoting and no trailing comment: the value is the rest of the line, checked as such.
  const Config q = load_file("ACCZ_ZLIB_THREADS=\"4\"\nACCZ_ZLIB_STREAM_CAP=1M # one MiB\n");
  EXPECT_NE(q.threads, 4u);
  EXPECT_EQ(q.stream_cap, size_t{32} << 20);
  EXPECT_TRUE(reported("zlib.conf:1: ACCZ_ZLIB_THREADS=\"4\" is not 1..256")) << all_messages();
  EXPECT_TRUE(reported("zlib.conf:2: ACCZ_ZLIB_STREAM_CAP=1M # one MiB is not a size"))
      << all_messages();

  // A later line replaces an earlier one.
  EXPECT_EQ(load_file("ACCZ_ZLIB_THREADS=2\nACCZ_ZLIB_THREADS=6\n").threads, 6u);
}

TEST_F(ConfigTest, BadLinesAreReportedAndLaterLinesStillApply) {
  const std::string path = dir_ + "/zlib.conf";
  const Config c = load_file(
      "ACCZ_ZLIB_STATS=1\n"
      "ACCZ_ZLIB_TREADS=4\n"
      "ACCZ_ZLIB_THREADS 4\n"
      " = 4\n"
      "ACCZ_ZLIB_CONFIG=/elsewhere.conf\n"
      "export ACCZ_ZLIB_LOG=0\n" +
      std::string("ACCZ_ZLIB_ENGINES=isal\0x\n", 25) + "ACCZ_ZLIB_THREADS=4\n");
  EXPECT_TRUE(reported(path + ":2: unknown name 'ACCZ_ZLIB_TREADS' ignored")) << all_messages();
  EXPECT_TRUE(reported(path + ":3: no '=' in the line; ignored")) << all_messages();
  EXPECT_TRUE(reported(path + ":4: no name before '='; ignored")) << all_messages();
  EXPECT_TRUE(reported(path + ":5: ACCZ_ZLIB_CONFIG is read only from the environment"))
      << all_messages();
  EXPECT_TRUE(reported(path + ":6: unknown name 'export ACCZ_ZLIB_LOG' ignored")) << all_messages();
  EXPECT_TRUE(reported(path + ":7: NUL byte in the line; ignored")) << all_messages();
  EXPECT_EQ(messages_.size(), 6u) << all_messages();
  // Lines before and after the bad ones apply; the bad ones changed nothing.
  EXPECT_TRUE(c.stats);
  EXPECT_EQ(c.threads, 4u);
  EXPECT_EQ(c.log_level, 1);
  EXPECT_TRUE(c.libdeflate);
}

TEST_F(ConfigTest, OverLongLinesAreErrors) {
  const std::string path = dir_ + "/zlib.conf";
  const std::string at_limit = "ACCZ_ZLIB_STATS=/tmp/" + std::string(4096 - 21, 'a');
  ASSERT_EQ(at_limit.size(), 4096u);
  Config c = load_file(at_limit + "\nACCZ_ZLIB_THREADS=2\n");
  EXPECT_EQ(c.stats_path.size(), 4096u - 16);
  EXPECT_TRUE(messages_.empty()) << all_messages();

  c = load_file("# comment\n" + at_limit + "b\nACCZ_ZLIB_THREADS=2\n");
  EXPECT_FALSE(c.stats);
  EXPECT_EQ(c.threads, 2u);
  ASSERT_EQ(messages_.size(), 1u) << all_messages();
  EXPECT_EQ(messages_[0], path + ":2: line longer than 4096 bytes; ignored");
  // A long comment is still a line too long.
  load_file("#" + std::string(5000, ' ') + "\n");
  EXPECT_TRUE(reported(":1: line longer than 4096 bytes")) << all_messages();
}

TEST_F(ConfigTest, OnlyTheFirst64KiBAreRead) {
  const std::string path = dir_ + "/zlib.conf";
  std::string text = "ACCZ_ZLIB_THREADS=2\n";
  while (text.size() < 65536 - 100) text += "# filler filler filler filler filler filler\n";
  text += std::string(65536 - text.size() - 1, '#') + "\n";  // ends exactly at 64 KiB
  ASSERT_EQ(text.size(), 65536u);
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  Config c = load_file(text);
  EXPECT_EQ(c.threads, 2u);
  EXPECT_TRUE(messages_.empty()) << "exactly 64 KiB is whole: " << all_messages();

  c = load_file(text + "ACCZ_ZLIB_STATS=1\n");
  EXPECT_EQ(c.threads, 2u);
  EXPECT_FALSE(c.stats);
  ASSERT_EQ(messages_.size(), 1u) << all_messages();
  EXPECT_EQ(messages_[0], path + ":" + std::to_string(lines + 1) +
                              ": file longer than 65536 bytes; this line and the rest ignored");

  // Cut inside a line: that line is not taken either (its value would be truncated).
  std::string base = "ACCZ_ZLIB_THREADS=2\n";
  while (base.size() < 65536 - 200) base += "# filler filler filler filler filler filler\n";
  const size_t base_lines = static_cast<size_t>(std::count(base.begin(), base.end(), '\n'));
  base += std::string(65536 - 20 - base.size() - 1, '#') + "\n";
  base += "ACCZ_ZLIB_STREAM_CAP=12345678901\n";  // bytes 20 on are past the bound
  c = load_file(base);
  EXPECT_EQ(c.threads, 2u);
  EXPECT_EQ(c.stream_cap, size_t{32} << 20);
  ASSERT_EQ(messages_.size(), 1u) << all_messages();
  EXPECT_EQ(messages_[0], path + ":" + std::to_string(base_lines + 2) +
                              ": file longer than 65536 bytes; this line and the rest ignored");
}

TEST_F(ConfigTest, MissingNamedFileIsReportedMissingDefaultIsNot) {
  const std::string missing = dir_ + "/absent.conf";
  Config c = load({{"ACCZ_ZLIB_CONFIG", missing}});
  expect_same(c, defaults(c.threads));
  ASSERT_EQ(messages_.size(), 1u) << all_messages();
  EXPECT_EQ(messages_[0], missing +
                              ": cannot read (named by ACCZ_ZLIB_CONFIG): No such file or "
                              "directory; no settings taken from it");
  // The log level silences it like any other configuration error.
  load({{"ACCZ_ZLIB_CONFIG", missing}, {"ACCZ_ZLIB_LOG", "0"}});
  EXPECT_TRUE(messages_.empty()) << all_messages();

  load({}, false, missing);
  EXPECT_TRUE(messages_.empty()) << all_messages();
  load({{"ACCZ_ZLIB_LOG", "2"}}, false, missing);
  EXPECT_TRUE(reported("configuration file: none (the default is absent)")) << all_messages();
}

TEST_F(ConfigTest, EmptyConfigVariableTurnsTheDefaultFileOff) {
  const std::string fallback = write("default.conf", "ACCZ_ZLIB_THREADS=7\nACCZ_ZLIB_STATS=1\n");
  Config c = load({}, false, fallback);
  EXPECT_EQ(c.threads, 7u);
  EXPECT_TRUE(c.stats);
  c = load({{"ACCZ_ZLIB_CONFIG", ""}}, false, fallback);
  EXPECT_FALSE(c.stats);
  EXPECT_NE(c.threads, 7u);
  EXPECT_TRUE(messages_.empty()) << all_messages();
  // A named file replaces the default rather than adding to it.
  const std::string named = write("named.conf", "ACCZ_ZLIB_STATS=0\n");
  c = load({{"ACCZ_ZLIB_CONFIG", named}}, false, fallback);
  EXPECT_FALSE(c.stats);
  EXPECT_NE(c.threads, 7u);
}

TEST_F(ConfigTest, InvalidValuesFallBackAsTheEnvironmentsDo) {
  const std::string path = dir_ + "/zlib.conf";
  const std::pair<const char*, const char*> cases[] = {
      {"ACCZ_ZLIB_ENGINES", "isal,bogus"},
      {"ACCZ_ZLIB_ENGINES", "isal,,nope"},
      {"ACCZ_ZLIB_STREAM_CAP", "12Q"},
      {"ACCZ_ZLIB_STREAM_CAP", "0"},
      {"ACCZ_ZLIB_STREAM_CAP", "99999999999999G"},
      {"ACCZ_ZLIB_THREADS", "0"},
      {"ACCZ_ZLIB_THREADS", "257"},
      {"ACCZ_ZLIB_THREADS", "-1"},
      {"ACCZ_ZLIB_PARALLEL_MIN", "x"},
      {"ACCZ_ZLIB_SIZE_CHECK", "sometimes"},
      {"ACCZ_ZLIB_LOG", "7"},
      {"ACCZ_ZLIB_LOG", "verbose"},
  };
  for (const auto& [name, value] : cases) {
    SCOPED_TRACE(std::string(name) + "=" + value);
    const Config from_env = load({{"ACCZ_ZLIB_CONFIG", ""}, {name, value}});
    const std::vector<std::string> env_messages = messages_;
    const Config from_file = load_file(std::string(name) + "=" + value + "\n");
    expect_same(from_file, from_env);
    ASSERT_EQ(messages_.size(), env_messages.size()) << all_messages();
    ASSERT_FALSE(env_messages.empty());
    for (size_t i = 0; i < messages_.size(); ++i)
      EXPECT_EQ(messages_[i], path + ":1: " + env_messages[i]);
  }
  // The messages of the environment are the ones it always gave.
  load({{"ACCZ_ZLIB_THREADS", "0"}});
  ASSERT_EQ(messages_.size(), 1u);
  EXPECT_EQ(messages_[0].rfind("ACCZ_ZLIB_THREADS=0 is not 1..256; using ", 0), 0u);
}

TEST_F(ConfigTest, OnlyRegularFilesAreRead) {
  Config c = load({{"ACCZ_ZLIB_CONFIG", dir_}});
  EXPECT_TRUE(reported(dir_ + ": not a regular file")) << all_messages();
  // A FIFO without a writer: opened without waiting and refused.
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  c = load({{"ACCZ_ZLIB_CONFIG", fifo}});
  expect_same(c, defaults(c.threads));
  EXPECT_TRUE(reported(fifo + ": not a regular file")) << all_messages();
  c = load({{"ACCZ_ZLIB_CONFIG", "/dev/zero"}});
  EXPECT_TRUE(reported("/dev/zero: not a regular file")) << all_messages();
}

TEST_F(ConfigTest, SecureModeReadsOnlyRootsOwnFile) {
  const std::string open_to_all = write("open.conf", "ACCZ_ZLIB_THREADS=3\n", 0666);
  Config c = load({}, true, open_to_all);
  EXPECT_NE(c.threads, 3u);
  EXPECT_TRUE(reported("ignored in a setuid/setgid program")) << all_messages();

  const std::string closed = write("closed.conf", "ACCZ_ZLIB_THREADS=3\n", 0644);
  c = load({}, true, closed);
  if (geteuid() == 0) {
    EXPECT_EQ(c.threads, 3u) << all_messages();
    EXPECT_TRUE(messages_.empty()) << all_messages();
  } else {
    EXPECT_NE(c.threads, 3u);
    EXPECT_TRUE(reported("not owned by root")) << all_messages();
  }
  // Outside secure mode ownership does not matter.
  EXPECT_EQ(load({}, false, open_to_all).threads, 3u);
}

#ifdef ACCZ_CONFIG_PROBE
// Runs the probe (linked to the built drop-in) with `vars` as its only ACCZ_ZLIB_* variables;
// returns its exit status, its stderr in `err`.
int run_probe(const std::map<std::string, std::string>& vars, const std::string& err_path,
              std::string& err) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::string_view(*e).rfind("ACCZ_ZLIB_", 0) != 0) env.emplace_back(*e);
  for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  char probe[] = ACCZ_CONFIG_PROBE;
  char* argv[] = {probe, nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, probe, &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  std::stringstream text;
  text << std::ifstream(err_path).rdbuf();
  err = text.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_text(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

TEST_F(ConfigTest, TheDropInHonoursTheFile) {
  const std::string stats = dir_ + "/stats.txt";
  const std::string err_path = dir_ + "/stderr.txt";
  const std::string conf = write("zlib.conf",
                                 "# written by zlib_config_test\n"
                                 "ACCZ_ZLIB_ENGINES = none\n"
                                 "ACCZ_ZLIB_STATS = " +
                                     stats +
                                     "\n"
                                     "ACCZ_ZLIB_LOG=2\n");
  std::string err;
  ASSERT_EQ(run_probe({{"ACCZ_ZLIB_CONFIG", conf}}, err_path, err), 0) << err;
  EXPECT_NE(err.find("accz libz.so.1: configuration file: " + conf), std::string::npos) << err;
  EXPECT_NE(err.find("accz libz.so.1: engines: isal off, libdeflate off, deflate off, inflate off"),
            std::string::npos)
      << err;
  const std::string report = read_text(stats);
  ASSERT_NE(report.find("accz libz.so.1 stats"), std::string::npos) << report;
  // Every call zlib's, each family fallen back for the one reason.
  EXPECT_NE(report.find("  compress    zlib "), std::string::npos) << report;
  EXPECT_NE(report.find("  crc32       zlib "), std::string::npos) << report;
  EXPECT_EQ(report.find("libdeflate"), std::string::npos) << report;
  EXPECT_EQ(report.find(" isal "), std::string::npos) << report;
  EXPECT_NE(report.find("engine disabled by ACCZ_ZLIB_ENGINES"), std::string::npos) << report;

  // The environment overrides the file for the one setting it names.
  std::remove(stats.c_str());
  ASSERT_EQ(run_probe({{"ACCZ_ZLIB_CONFIG", conf}, {"ACCZ_ZLIB_ENGINES", "all"}}, err_path, err), 0)
      << err;
  EXPECT_NE(err.find("engines: isal on, libdeflate on"), std::string::npos) << err;
  const std::string engines_report = read_text(stats);
  EXPECT_NE(engines_report.find("libdeflate"), std::string::npos) << engines_report;
  EXPECT_EQ(engines_report.find("engine disabled by ACCZ_ZLIB_ENGINES"), std::string::npos)
      << engines_report;

  // A named file that is missing: reported on stderr, and the program runs on the defaults.
  std::remove(stats.c_str());
  ASSERT_EQ(run_probe({{"ACCZ_ZLIB_CONFIG", dir_ + "/absent.conf"}}, err_path, err), 0) << err;
  EXPECT_NE(err.find("accz libz.so.1: " + dir_ + "/absent.conf: cannot read"), std::string::npos)
      << err;
  EXPECT_NE(access(stats.c_str(), F_OK), 0) << "no statistics without the file";
}
#endif

}  // namespace
}  // namespace accz::zlib
