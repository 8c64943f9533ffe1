// accz against the tools people already have: what accz writes, gzip, pigz, python3's gzip
// module and zlib read; what gzip, pigz and igzip write, accz reads. A tool that is not
// installed skips its case with a message (scripts/install-deps.sh installs them all).
#include <zlib.h>

#include <gtest/gtest.h>

#include "cli/cli_harness.h"
#include "util/datagen.h"

namespace accz::testing {
namespace {

std::vector<uint8_t> sample(size_t n, uint64_t seed) { return datagen::mix(n, 0.2, seed); }

// zlib's gz* reader, which goes on through concatenated members as gzip does.
std::vector<uint8_t> zlib_gzread(const std::string& path) {
  std::vector<uint8_t> out;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  std::vector<uint8_t> buf(1 << 16);
  int n;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0)
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  int err = 0;
  gzerror(f, &err);
  gzclose(f);
  if (n < 0 || err != Z_OK) out.assign({'E', 'R', 'R'});
  return out;
}

// zlib's inflate with the gzip wrapper, member after member (inflateReset at each end).
std::vector<uint8_t> zlib_inflate_members(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return out;
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  std::vector<uint8_t> buf(1 << 16);
  while (true) {
    z.next_out = buf.data();
    z.avail_out = static_cast<uInt>(buf.size());
    int ret = inflate(&z, Z_NO_FLUSH);
    out.insert(out.end(), buf.begin(), buf.end() - z.avail_out);
    if (ret == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      inflateReset(&z);
    } else if (ret != Z_OK) {
      out.assign({'E', 'R', 'R'});
      break;
    }
  }
  inflateEnd(&z);
  return out;
}

struct Writer {
  const char* label;
  const char* args;
};
constexpr Writer kAcczWriters[] = {
    {"accz -1", "-1"},
    {"accz -6", "-6"},
    {"accz -9", "-9"},
    {"accz -6 stream", "-6 --strategy stream"},
    {"accz -3 members", "-3 --strategy members"},
};

TEST(Interop, OthersReadWhatAcczWrites) {
  Scratch s;
  auto data = sample(3'000'000, 11);
  s.write("in", data);
  for (const auto& w : kAcczWriters) {
    SCOPED_TRACE(w.label);
    // Small chunks so that even this input spans many chunks (members or sync-flushed pieces).
    auto r =
        s.run(std::string("$ACCZ compress -c -T 2 --chunk-size 262144 ") + w.args + " in > in.gz");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(zlib_gzread(s.path("in.gz")), data) << "zlib gzread";
    EXPECT_EQ(zlib_inflate_members(s.read("in.gz")), data) << "zlib inflate";
    for (const char* tool : {"gzip", "pigz"}) {
      if (!have_tool(tool)) {
        std::printf("[  SKIP    ] %s not installed\n", tool);
        continue;
      }
      r = s.run(std::string(tool) + " -dc in.gz > out");
      ASSERT_EQ(r.status, 0) << tool << ": " << r.err;
      EXPECT_EQ(s.read("out"), data) << tool;
    }
    if (have_tool("python3")) {
      r = s.run(
          "python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.open(\"in.gz\").read())' > "
          "out");
      ASSERT_EQ(r.status, 0) << r.err;
      EXPECT_EQ(s.read("out"), data) << "python3 gzip";
    } else {
      std::printf("[  SKIP    ] python3 not installed\n");
    }
  }
}

TEST(Interop, OtherFormatsReadByTheirTools) {
  Scratch s;
  auto data = sample(1'500'000, 12);
  s.write("in", data);
  ASSERT_EQ(s.run("$ACCZ compress -k --chunk-size 262144 --format zlib in && "
                  "$ACCZ compress -k --chunk-size 262144 --format raw in && "
                  "$ACCZ compress -k --chunk-size 262144 --format lz4 in && "
                  "$ACCZ compress -k --chunk-size 262144 --format zstd in")
                .status,
            0);
  if (have_tool("python3")) {
    auto r = s.run(
        "python3 -c 'import zlib,sys; "
        "sys.stdout.buffer.write(zlib.decompress(open(\"in.zz\",\"rb\").read()))' > a && "
        "python3 -c 'import zlib,sys; "
        "sys.stdout.buffer.write(zlib.decompress(open(\"in.deflate\",\"rb\").read(), -15))' > b");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(s.read("a"), data) << "zlib format";
    EXPECT_EQ(s.read("b"), data) << "raw deflate";
  }
  for (auto [tool, file] : {std::pair{"lz4", "in.lz4"}, std::pair{"zstd", "in.zst"}}) {
    if (!have_tool(tool)) {
      std::printf("[  SKIP    ] %s not installed\n", tool);
      continue;
    }
    auto r = s.run(std::string(tool) + " -dc " + file + " > out");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(s.read("out"), data) << tool;
  }
}

TEST(Interop, AcczReadsWhatOthersWrite) {
  Scratch s;
  auto data = sample(2'000'000, 13);
  s.write("in", data);
  std::vector<std::string> writers;
  if (have_tool("gzip"))
    for (int l = 1; l <= 9; ++l) writers.push_back("gzip -" + std::to_string(l) + " -c in");
  else
    std::printf("[  SKIP    ] gzip not installed\n");
  if (have_tool("pigz")) {
    writers.push_back("pigz -6 -p 2 -b 128 -c in");
    writers.push_back("pigz -9 -i -p 2 -b 128 -c in");  // independent blocks
    writers.push_back("pigz -11 -c in");                // zopfli
  } else {
    std::printf("[  SKIP    ] pigz not installed\n");
  }
  if (have_tool("igzip"))
    for (int l = 0; l <= 3; ++l) writers.push_back("igzip -" + std::to_string(l) + " -c in");
  else
    std::printf("[  SKIP    ] igzip not installed\n");
  if (have_tool("python3"))
    writers.push_back(
        "python3 -c 'import gzip,sys; "
        "sys.stdout.buffer.write(gzip.compress(open(\"in\",\"rb\").read(), 5))'");
  if (have_tool("lz4")) writers.push_back("lz4 -c in");
  if (have_tool("zstd")) writers.push_back("zstd -c in");
  for (const auto& w : writers) {
    SCOPED_TRACE(w);
    auto r = s.run(w + " > x && $ACCZ decompress -c x > out");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(s.read("out"), data);
  }
}

// A file much larger than a chunk, both ways, on two workers.
TEST(Interop, LargeFileBothWays) {
  if (!have_tool("gzip")) GTEST_SKIP() << "gzip not installed";
  Scratch s;
  auto data = datagen::text(12 << 20, 21);
  auto bin = datagen::binary(3 << 20, 22);
  data.insert(data.end(), bin.begin(), bin.end());
  s.write("big", data);
  auto r = s.run("$ACCZ compress -k -T 2 big && gzip -t big.gz && gzip -dc big.gz | cmp - big");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  r = s.run("gzip -6 -c big > other.gz && $ACCZ decompress -T 2 -c other.gz | cmp - big");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  r = s.run("$ACCZ compress -1 -T 2 -c big > one.gz && gzip -dc one.gz | cmp - big");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
}

// The shared corpus, when present: every file through accz -6 and back through gzip.
TEST(Interop, CorpusThroughGzip) {
  std::string corpus = ACCZ_CORPUS_DIR;
  if (!have_tool("gzip")) GTEST_SKIP() << "gzip not installed";
  Scratch s;
  if (s.run("test -d '" + corpus + "'").status != 0)
    GTEST_SKIP() << "corpus not found at " << corpus << " (optional)";
  auto r = s.run("find '" + corpus +
                 "' -type f ! -name README.md | sort | xargs cat > all && "
                 "$ACCZ compress -k -T 2 all && gzip -dc all.gz | cmp - all && "
                 "$ACCZ decompress -c all.gz | cmp - all");
  EXPECT_EQ(r.status, 0) << r.err << r.out;
}

}  // namespace
}  // namespace accz::testing
