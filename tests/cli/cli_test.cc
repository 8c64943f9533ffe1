// The accz command line as a user meets it: gzip's file behaviour, every format, failures
// that leave nothing behind, and the machine-readable outputs of bench and devices.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_harness.h"
#include "util/datagen.h"

namespace accz::testing {
namespace {

struct FormatCase {
  const char* name;
  const char* suffix;
};
constexpr FormatCase kFormats[] = {
    {"gzip", ".gz"}, {"zlib", ".zz"}, {"raw", ".deflate"}, {"lz4", ".lz4"}, {"zstd", ".zst"}};

std::vector<uint8_t> sample(size_t n = 300'000, uint64_t seed = 1) {
  return datagen::text(n, seed);
}

// Files in the directory that look like a leftover temporary output.
bool has_temp_files(const Scratch& s) {
  for (const auto& n : s.list())
    if (n.rfind(".accz-", 0) == 0) return true;
  return false;
}

TEST(Cli, RoundTripEveryFormatReplacingTheInput) {
  for (const auto& f : kFormats) {
    SCOPED_TRACE(f.name);
    Scratch s;
    auto data = sample();
    s.write("in", data);
    auto r = s.run(std::string("$ACCZ compress --format ") + f.name + " in");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(s.exists("in"));
    ASSERT_TRUE(s.exists(std::string("in") + f.suffix));
    EXPECT_LT(s.read(std::string("in") + f.suffix).size(), data.size());
    r = s.run(std::string("$ACCZ decompress in") + f.suffix);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(s.exists(std::string("in") + f.suffix));
    EXPECT_EQ(s.read("in"), data);
  }
}

TEST(Cli, EmptyAndChunkBoundaryInputs) {
  // Sizes around the chunk size exercise the "input ends exactly on a chunk" path.
  for (const auto& f : kFormats) {
    for (const char* strategy : {"stream", "members"}) {
      if (std::string(strategy) == "members" && std::string(f.name) != "gzip") continue;
      for (size_t n : {size_t{0}, size_t{1}, size_t{65536}, size_t{131072}, size_t{131073}}) {
        SCOPED_TRACE(std::string(f.name) + " " + strategy + " " + std::to_string(n));
        Scratch s;
        auto data = sample(n, n + 3);
        s.write("in", data);
        auto r = s.run(std::string("$ACCZ compress -k --chunk-size 65536 --strategy ") + strategy +
                       " --format " + f.name + " in");
        ASSERT_EQ(r.status, 0) << r.err;
        r = s.run(std::string("$ACCZ decompress -c in") + f.suffix + " > out");
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(s.read("out"), data);
      }
    }
  }
}

TEST(Cli, StdinToStdoutAndDash) {
  Scratch s;
  auto data = sample();
  s.write("in", data);
  auto r = s.run("$ACCZ compress < in > a.gz && $ACCZ compress - < in > b.gz");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(s.read("a.gz"), s.read("b.gz"));
  r = s.run("$ACCZ decompress < a.gz > a && $ACCZ compress -d - < b.gz > b");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(s.read("a"), data);
  EXPECT_EQ(s.read("b"), data);
  EXPECT_TRUE(s.exists("in"));
}

TEST(Cli, KeepAndStdoutLeaveTheInput) {
  Scratch s;
  auto data = sample();
  s.write("in", data);
  auto r = s.run("$ACCZ compress -k in && $ACCZ compress -c in > c.gz");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(s.read("in"), data);
  EXPECT_EQ(s.read("in.gz"), s.read("c.gz"));
  r = s.run("$ACCZ decompress -kc in.gz > out");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(s.exists("in.gz"));
  EXPECT_EQ(s.read("out"), data);
}

TEST(Cli, RefusesToOverwriteUnlessForced) {
  Scratch s;
  s.write("in", sample());
  s.write("in.gz", std::string("precious"));
  auto r = s.run("$ACCZ compress in");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  EXPECT_TRUE(s.exists("in"));
  EXPECT_EQ(s.read("in.gz"), std::vector<uint8_t>({'p', 'r', 'e', 'c', 'i', 'o', 'u', 's'}));
  r = s.run("$ACCZ compress -f in");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(s.exists("in"));
  EXPECT_FALSE(has_temp_files(s));
}

TEST(Cli, KeepsModeAndMtimeAndStoresThemInTheHeader) {
  Scratch s;
  auto data = sample();
  s.write("doc.txt", data);
  ASSERT_EQ(s.run("chmod 640 doc.txt && touch -m -d '2001-02-03 04:05:06 UTC' doc.txt").status, 0);
  const auto before = s.stat("doc.txt");
  ASSERT_EQ(s.run("$ACCZ compress doc.txt").status, 0);
  auto gz = s.stat("doc.txt.gz");
  EXPECT_EQ(gz.st_mode & 07777, 0640u);
  EXPECT_EQ(gz.st_mtim.tv_sec, before.st_mtim.tv_sec);
  auto bytes = s.read("doc.txt.gz");
  ASSERT_GT(bytes.size(), 18u);
  EXPECT_TRUE(bytes[3] & 0x08) << "FNAME flag";
  uint32_t mtime = bytes[4] | bytes[5] << 8 | bytes[6] << 16 | uint32_t{bytes[7]} << 24;
  EXPECT_EQ(mtime, static_cast<uint32_t>(before.st_mtim.tv_sec));
  EXPECT_EQ(std::string(bytes.begin() + 10, bytes.begin() + 17), "doc.txt");
  ASSERT_EQ(s.run("$ACCZ decompress doc.txt.gz").status, 0);
  auto after = s.stat("doc.txt");
  EXPECT_EQ(after.st_mode & 07777, 0640u);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(s.read("doc.txt"), data);
  // -n leaves the name and time out.
  ASSERT_EQ(s.run("$ACCZ compress -n -c doc.txt > n.gz").status, 0);
  bytes = s.read("n.gz");
  EXPECT_FALSE(bytes[3] & 0x08);
  EXPECT_EQ(bytes[4] | bytes[5] | bytes[6] | bytes[7], 0);
}

void expect_clean_failure(const std::string& fmt, const std::string& file,
                          const std::vector<uint8_t>& broken, const char* message) {
  Scratch s;
  s.write(file, broken);
  auto r = s.run("$ACCZ decompress " + file);
  EXPECT_EQ(r.status, 1) << fmt;
  EXPECT_NE(r.err.find(file), std::string::npos) << fmt << ": " << r.err;
  if (message) {
    EXPECT_NE(r.err.find(message), std::string::npos) << fmt << ": " << r.err;
  }
  EXPECT_EQ(s.read(file), broken) << fmt << ": input must be kept";
  EXPECT_EQ(s.list(), std::vector<std::string>{file}) << fmt << ": no partial output";
  // --test reports the same and writes nothing.
  r = s.run("$ACCZ decompress -t " + file);
  EXPECT_EQ(r.status, 1) << fmt;
  EXPECT_EQ(s.list(), std::vector<std::string>{file});
}

TEST(Cli, CorruptInputFailsCleanly) {
  for (const auto& f : kFormats) {
    // Raw deflate carries no checksum: damage may decode to other bytes without notice.
    if (f.name == std::string("raw")) continue;
    Scratch s;
    s.write("in", sample(2'000'000, 5));
    ASSERT_EQ(s.run(std::string("$ACCZ compress --format ") + f.name + " in").status, 0);
    std::string file = std::string("in") + f.suffix;
    auto bytes = s.read(file);
    // Damage the middle of the body (past any header), a few bytes so every format notices.
    for (size_t i = 0; i < 8; ++i) bytes[bytes.size() / 2 + i * 97] ^= 0x55;
    expect_clean_failure(f.name, file, bytes, nullptr);
  }
}

TEST(Cli, TruncatedInputFailsCleanly) {
  for (const auto& f : kFormats) {
    Scratch s;
    s.write("in", sample(2'000'000, 6));
    ASSERT_EQ(s.run(std::string("$ACCZ compress --format ") + f.name + " in").status, 0);
    std::string file = std::string("in") + f.suffix;
    auto bytes = s.read(file);
    for (size_t keep : {bytes.size() - 1, bytes.size() / 2, size_t{5}}) {
      SCOPED_TRACE(std::string(f.name) + " keep " + std::to_string(keep));
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(keep));
      expect_clean_failure(f.name, file, cut,
                           f.name == std::string("raw") ? nullptr : "unexpected end of file");
    }
  }
}

TEST(Cli, MultiMemberAndConcatenatedFrames) {
  for (const char* fmt : {"gzip", "lz4", "zstd"}) {
    SCOPED_TRACE(fmt);
    Scratch s;
    auto a = sample(100'000, 1), b = datagen::binary(70'000, 2);
    s.write("a", a);
    s.write("b", b);
    auto r = s.run(std::string("$ACCZ compress -c --format ") + fmt +
                   " a > x && $ACCZ compress -c --format " + fmt +
                   " b >> x && $ACCZ decompress -c --format " + fmt + " x > y");
    ASSERT_EQ(r.status, 0) << r.err;
    auto y = s.read("y");
    std::vector<uint8_t> both = a;
    both.insert(both.end(), b.begin(), b.end());
    EXPECT_EQ(y, both);
  }
}

TEST(Cli, TrailingGarbageIsAWarning) {
  Scratch s;
  auto data = sample();
  s.write("in", data);
  ASSERT_EQ(s.run("$ACCZ compress in && printf 'garbage!' >> in.gz").status, 0);
  auto r = s.run("$ACCZ decompress in.gz");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("trailing garbage"), std::string::npos) << r.err;
  EXPECT_EQ(s.read("in"), data);
  // -q silences the message but not the status.
  ASSERT_EQ(s.run("$ACCZ compress in && printf 'x' >> in.gz").status, 0);
  r = s.run("$ACCZ decompress -q in.gz");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(Cli, SuffixHandling) {
  Scratch s;
  auto data = sample();
  s.write("plain.txt", data);
  auto r = s.run("$ACCZ decompress plain.txt");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown suffix"), std::string::npos) << r.err;
  EXPECT_EQ(s.read("plain.txt"), data);

  ASSERT_EQ(s.run("$ACCZ compress -c plain.txt > arch.tgz").status, 0);
  ASSERT_EQ(s.run("$ACCZ decompress arch.tgz").status, 0);
  EXPECT_EQ(s.read("arch.tar"), data);

  ASSERT_EQ(s.run("$ACCZ compress -k -S .pack plain.txt").status, 0);
  EXPECT_TRUE(s.exists("plain.txt.pack"));
  ASSERT_EQ(s.run("mv plain.txt keep && $ACCZ decompress -S .pack plain.txt.pack").status, 0);
  EXPECT_EQ(s.read("plain.txt"), data);

  ASSERT_EQ(s.run("$ACCZ compress -k plain.txt").status, 0);
  r = s.run("$ACCZ compress plain.txt.gz");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("already has .gz suffix"), std::string::npos) << r.err;
}

TEST(Cli, LevelFlagsLikeGzip) {
  Scratch s;
  auto data = datagen::text(2'000'000, 9);
  s.write("in", data);
  auto r = s.run(
      "$ACCZ compress -1 -c in > 1.gz && $ACCZ compress -kc9 in > 9.gz && "
      "$ACCZ compress --fast -c in > f.gz && $ACCZ compress -T1 -c6 in > 6.gz");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_LT(s.read("9.gz").size(), s.read("1.gz").size());
  EXPECT_EQ(s.read("1.gz"), s.read("f.gz"));
  for (const char* f : {"1.gz", "9.gz", "6.gz"}) {
    r = s.run(std::string("$ACCZ decompress -c ") + f + " > out");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(s.read("out"), data) << f;
  }
  EXPECT_EQ(s.run("$ACCZ compress --level 12 in").status, 1);
}

TEST(Cli, ParallelChunksAreIdenticalWhateverTheThreadCount) {
  Scratch s;
  auto data = datagen::mix(5'000'000, 0.3, 4);
  s.write("in", data);
  for (const char* strategy : {"members", "stream"}) {
    auto r = s.run(std::string("$ACCZ compress -c -T 1 --strategy ") + strategy + " in > a && " +
                   "$ACCZ compress -c -T 3 --strategy " + strategy + " in > b");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(s.read("a"), s.read("b")) << strategy;
    r = s.run("$ACCZ decompress -c a > out");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(s.read("out"), data) << strategy;
  }
}

// Chunks that a failing device garbles or refuses are redone in software: the file is still
// exact, whatever the layout, and --stats reports the fallbacks.
TEST(Cli, FaultyDeviceStillGivesExactOutput) {
  Scratch s;
  auto data = datagen::mix(1'500'000, 0.3, 8);
  s.write("in", data);
  const std::string fault = " --fault error=0.2,busy=0.2,truncate=0.2,corrupt=0.2,seed=5";
  for (const char* how : {"--strategy members", "--strategy stream", "--format zlib",
                          "--format lz4", "--format zstd"}) {
    SCOPED_TRACE(how);
    auto r = s.run(std::string("$ACCZ compress -c --chunk-size 65536 --stats ") + how + fault +
                   " in > out.z");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("fallbacks"), std::string::npos) << r.err;
    std::string format = std::string(how).find("--format") == 0 ? how : "";
    r = s.run("$ACCZ decompress -c " + format + " out.z > back");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(s.read("back"), data);
  }
}

TEST(Cli, DirectoriesAndMissingFiles) {
  Scratch s;
  ASSERT_EQ(s.run("mkdir d").status, 0);
  auto r = s.run("$ACCZ compress d");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("is a directory"), std::string::npos);
  r = s.run("$ACCZ compress nothing-here");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("nothing-here"), std::string::npos);
}

TEST(Cli, TestModeWritesNothing) {
  Scratch s;
  s.write("in", sample());
  ASSERT_EQ(s.run("$ACCZ compress in").status, 0);
  auto r = s.run("$ACCZ decompress -t -v in.gz");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("OK"), std::string::npos);
  EXPECT_EQ(s.list(), std::vector<std::string>{"in.gz"});
}

TEST(Cli, RefusesTerminals) {
  if (!have_tool("python3")) GTEST_SKIP() << "python3 not found; cannot make a pseudo-terminal";
  Scratch s;
  s.write("in", sample(1000));
  // Runs accz with stdout (then stdin) on a pty and reports its exit status.
  const std::string py =
      "import os, pty, sys\n"
      "pid, fd = pty.fork()\n"
      "if pid == 0:\n"
      "    args = sys.argv[1:]\n"
      "    if args[0] == 'in':\n"
      "        os.execvp('sh', ['sh', '-c', args[1] + ' > /dev/null'])\n"
      "    os.execvp('sh', ['sh', '-c', args[1] + ' < in'])\n"
      "out = b''\n"
      "while True:\n"
      "    try:\n"
      "        chunk = os.read(fd, 4096)\n"
      "    except OSError:\n"
      "        break\n"
      "    if not chunk: break\n"
      "    out += chunk\n"
      "_, st = os.waitpid(pid, 0)\n"
      "sys.stderr.write(out.decode(errors='replace'))\n"
      "sys.exit(os.waitstatus_to_exitcode(st))\n";
  s.write("on_tty.py", py);
  auto r = s.run("python3 on_tty.py out '$ACCZ compress'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not written to a terminal"), std::string::npos) << r.err;
  r = s.run("python3 on_tty.py in '$ACCZ decompress'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not read from a terminal"), std::string::npos) << r.err;
}

TEST(Cli, BenchJsonParses) {
  Scratch s;
  auto r = s.run("$ACCZ bench --json --seconds 0 --size 1 --level 1 --engine zlib,libdeflate,lz4");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("results"));
  EXPECT_NE(j["data"].get<std::string>().find("generated"), std::string::npos);
  ASSERT_EQ(j["results"].size(), 9u);  // 3 generated sets x 3 engines at level 1
  for (const auto& row : j["results"]) {
    EXPECT_TRUE(row["verified"].get<bool>()) << row.dump();
    EXPECT_GT(row["ratio"].get<double>(), 0.0);
  }
  s.write("f", sample(50'000));
  r = s.run("$ACCZ bench --csv --seconds 0 --level 6 --engine zstd f");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("set,engine,level"), std::string::npos);
  EXPECT_NE(r.out.find("f,zstd,6"), std::string::npos) << r.out;
}

TEST(Cli, DevicesJsonParses) {
  Scratch s;
  auto r = s.run("$ACCZ devices --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  bool cpu = false;
  for (const auto& d : j["devices"]) {
    if (d["provider"] == "cpu") {
      cpu = true;
      EXPECT_GE(d["instances"].get<int>(), 1);
      EXPECT_TRUE(d["stats"].contains("fallbacks"));
    }
  }
  EXPECT_TRUE(cpu) << r.out;
  r = s.run("$ACCZ devices --fault 'error=0.5,seed=3' --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GE(nlohmann::json::parse(r.out)["devices"].size(), 2u);
  EXPECT_EQ(s.run("$ACCZ devices --fault 'no-such-key=1'").status, 1);
}

}  // namespace
}  // namespace accz::testing
