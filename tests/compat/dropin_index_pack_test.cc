// git index-pack's way of inflating (index_pack_replay.h), on the drop-in and on stock zlib.
//
// The git clone failure of src/zlib/README.md ("The git clone failure"): index-pack died with
// "pack has bad object at offset N: inflate returned -5" when a pipe read ended inside the last
// byte of an object's final end-of-block code. The drop-in's inflate filled the object's
// exact-size buffer, handed the byte it had read ahead back to next_in, and on the next call
// -- the same byte, nothing more, because index-pack only reads when its buffer is empty --
// read it, could not finish the code, handed it back again, and returned Z_BUF_ERROR with no
// progress. Stock zlib consumes such a byte and returns Z_OK.
//
// Here: that case directly; every pipe cut in the last bytes of every stream; seeded random
// pipes over a pack of streams of every kind (empty, tiny, stored, fixed and dynamic Huffman,
// flush markers and empty blocks, from zlib at levels 0-9 and each strategy, libdeflate, and
// the drop-in's own deflate) with
// exact-size and 8 KiB output buffers; real packs git writes (on the drop-in when it runs
// without sanitizers); and four threads at once. Every call and every object is checked
// against zlib.h's contract, on stock zlib too (a check stock zlib fails would be a wrong
// check), and the two libraries must end every object at the same byte.
#include <libdeflate.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "dropin_stream_api.h"
#include "index_pack_replay.h"

namespace {

using dropin_stream::Api;
using dropin_stream::Bytes;
using dropin_stream::generate;
using dropin_stream::oneshot_deflate;
using index_pack::Entry;
using index_pack::Unpacked;

bool sanitized() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#else
  return false;
#endif
}

int scaled(int n) { return sanitized() ? std::max(1, n / 6) : n; }

Bytes libdeflate_zlib(const Bytes& in, int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  Bytes out(libdeflate_zlib_compress_bound(c, in.size()));
  out.resize(libdeflate_zlib_compress(c, in.data(), in.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

// A stream cut into blocks by `flush` every `every` bytes of input, then finished: empty stored
// blocks (sync/full flush markers) and an empty final block follow the last data.
Bytes flushed_deflate(const Bytes& in, int level, int flush, size_t every) {
  const Api& z = Api::stock();
  z_stream s{};
  if (z.deflate_init(&s, level) != Z_OK) std::abort();
  Bytes out(z.deflateBound(&s, in.size()) + 64 + 16 * (in.size() / every + 2));
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  size_t pos = 0;
  do {
    const size_t n = std::min(every, in.size() - pos);
    s.next_in = const_cast<Bytef*>(in.data()) + pos;
    s.avail_in = static_cast<uInt>(n);
    pos += n;
    if (z.deflate(&s, flush) != Z_OK) std::abort();
  } while (pos < in.size());
  if (z.deflate(&s, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(s.total_out);
  z.deflateEnd(&s);
  return out;
}

// Text shaped like git's commits and trees: the objects a clone carries most of.
Bytes git_like(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) {
    if (rng() % 2 == 0) {
      s += "100644 file" + std::to_string(rng() % 50) + ".txt";
      s.push_back('\0');
      for (int i = 0; i < 20; ++i) s.push_back(static_cast<char>(rng()));
    } else {
      s += "tree " + std::to_string(rng()) + "\nauthor accz <accz@example.invalid> " +
           std::to_string(1700000000 + rng() % 1000) + " +0000\n\ncommit " +
           std::to_string(rng() % 300) + "\n";
    }
  }
  s.resize(n);
  return Bytes(s.begin(), s.end());
}

// Every kind of stream, each with the bytes it inflates to. Built once.
const std::vector<Entry>& objects() {
  static const std::vector<Entry> all = [] {
    std::vector<Entry> v;
    const size_t sizes[] = {0, 1, 2, 5, 31, 200, 1000, 4096, 9000, 33000, 70000};
    uint32_t seed = 1;
    for (size_t size : sizes) {
      for (int kind = 0; kind <= 6; ++kind) {
        const Bytes data = kind == 6 ? git_like(size, seed) : generate(size, kind, seed);
        ++seed;
        auto add = [&](Bytes stream, std::string origin) {
          v.push_back(
              Entry{1 + static_cast<int>(v.size() % 3), data, std::move(stream),
                    origin + " kind " + std::to_string(kind) + " size " + std::to_string(size)});
        };
        const Api& stock = Api::stock();
        for (int level = 0; level <= 9; ++level)
          add(oneshot_deflate(stock, data, level), "zlib level " + std::to_string(level));
        add(oneshot_deflate(stock, data, 6, 15, 8, Z_FILTERED), "zlib filtered");
        add(oneshot_deflate(stock, data, 6, 15, 8, Z_HUFFMAN_ONLY), "zlib huffman-only");
        add(oneshot_deflate(stock, data, 6, 15, 8, Z_RLE), "zlib rle");
        add(oneshot_deflate(stock, data, 6, 15, 8, Z_FIXED), "zlib fixed");
        add(oneshot_deflate(stock, data, 1, 15, 1, Z_FIXED), "zlib level 1 memLevel 1 fixed");
        add(flushed_deflate(data, 6, Z_SYNC_FLUSH, 1000), "zlib sync flush every 1000");
        add(flushed_deflate(data, 1, Z_FULL_FLUSH, 4096), "zlib full flush every 4096");
        add(flushed_deflate(data, 3, Z_PARTIAL_FLUSH, 700), "zlib partial flush every 700");
        for (int level : {1, 6, 12})
          add(libdeflate_zlib(data, level), "libdeflate level " + std::to_string(level));
        for (int level = 1; level <= 6; ++level)
          add(oneshot_deflate(Api::dropin(), data, level),
              "drop-in level " + std::to_string(level));
      }
    }
    return v;
  }();
  return all;
}

struct Pack {
  Bytes bytes;
  std::vector<const Bytes*> expect;
  std::vector<bool> big;
};

// The pack points into `entries`, which must outlive it.
Pack make_pack(const std::vector<Entry>& entries, uint32_t big_seed) {
  Pack p;
  p.bytes = index_pack::build_pack(entries);
  std::mt19937 rng(big_seed);
  for (const Entry& e : entries) {
    p.expect.push_back(&e.data);
    p.big.push_back(e.data.size() > 8192 && rng() % 2 == 0);
  }
  return p;
}

// Replays `pack` on both libraries with one pipe seed; fails on any check, and unless both end
// every object at the same byte of the pack.
void replay_both(const Pack& pack, uint32_t seed, size_t cut, const std::string& what) {
  const auto dropin =
      index_pack::replay(Api::dropin(), pack.bytes, pack.expect, pack.big, seed, cut);
  const auto stock = index_pack::replay(Api::stock(), pack.bytes, pack.expect, pack.big, seed, cut);
  for (const auto* run : {&stock, &dropin}) {
    const char* who = run == &stock ? "stock zlib" : "drop-in";
    const Unpacked& last = run->back();
    ASSERT_TRUE(last.error.empty())
        << who << ", " << what << ", pipe seed " << seed << " cut " << cut << ": object "
        << run->size() - 1 << " at offset " << last.offset << ": " << last.error << "\n"
        << index_pack::describe(last.calls);
    ASSERT_EQ(run->size(), pack.expect.size()) << who << ", " << what << ", seed " << seed;
  }
  for (size_t i = 0; i < dropin.size(); ++i) {
    ASSERT_EQ(dropin[i].offset, stock[i].offset) << what << ", seed " << seed << ", object " << i;
    ASSERT_EQ(dropin[i].total_in, stock[i].total_in)
        << what << ", seed " << seed << ", object " << i;
  }
}

// The failure itself: output exactly full, the input ending one byte into the trailer's
// deflate tail. A second call with the same bytes must consume them (Z_OK), as zlib's does.
TEST(IndexPackReplay, AFinalCodeCutShortByTheInputIsProgress) {
  int given_back = 0;
  for (const Entry& e : objects()) {
    if (e.stream.size() < 8 || e.data.empty()) continue;
    for (const Api* api : {&Api::stock(), &Api::dropin()}) {
      z_stream s{};
      ASSERT_EQ(api->inflate_init(&s), Z_OK);
      Bytes out(e.data.size());
      const size_t cut = e.stream.size() - 5;  // the last byte of the body and the Adler-32
      s.next_in = const_cast<Bytef*>(e.stream.data());
      s.avail_in = static_cast<uInt>(cut);
      s.next_out = out.data();
      s.avail_out = static_cast<uInt>(out.size());
      const int first = api->inflate(&s, Z_NO_FLUSH);
      ASSERT_EQ(first, Z_OK) << api->label << ", " << e.origin;
      if (s.avail_in != 0) {
        // Read ahead and handed back: the same bytes again, as index-pack's fill(1) gives them.
        if (api == &Api::dropin() && s.avail_out == 0) ++given_back;
        const uInt left = s.avail_in;
        const int again = api->inflate(&s, Z_NO_FLUSH);
        ASSERT_EQ(again, Z_OK) << api->label << ", " << e.origin << ": " << left
                               << " byte(s) left, output "
                               << (s.avail_out == 0 ? "full" : "not full");
        ASSERT_LT(s.avail_in, left) << api->label << ", " << e.origin << ": no progress";
      }
      const size_t at = s.total_in;
      s.next_in = const_cast<Bytef*>(e.stream.data()) + at;
      s.avail_in = static_cast<uInt>(e.stream.size() - at);
      ASSERT_EQ(api->inflate(&s, Z_NO_FLUSH), Z_STREAM_END) << api->label << ", " << e.origin;
      ASSERT_EQ(s.avail_in, 0u) << api->label << ", " << e.origin;
      ASSERT_TRUE(out == e.data) << api->label << ", " << e.origin;
      api->inflateEnd(&s);
    }
  }
  // The byte-back path must have been taken, or this test proves nothing.
  EXPECT_GT(given_back, 0);
}

// Every pipe cut in the last 12 bytes of every stream (the end-of-block code, the last
// bytes of a stored block, the Adler-32), as a pack of one entry.
TEST(IndexPackReplay, EveryCutNearTheEndOfEveryStream) {
  int runs = 0;
  for (const Entry& e : objects()) {
    if (e.data.size() > 40000 && sanitized()) continue;
    const std::vector<Entry> one = {e};
    const Pack pack = make_pack(one, 0);
    const size_t stream_end = pack.bytes.size() - 20;
    for (size_t back = 1; back <= 12 && back < e.stream.size(); ++back) {
      // Pipe seed 0 with a cut: the cut is the only short read that matters here.
      replay_both(pack, static_cast<uint32_t>(back), stream_end - back, e.origin);
      if (HasFatalFailure()) return;
      ++runs;
    }
  }
  EXPECT_GT(runs, 10000);
}

// The whole pack of streams through random pipes: thousands of objects per seed, each with
// its header parsed through the same buffer, so every kind of boundary meets every kind of
// stream somewhere.
TEST(IndexPackReplay, RandomPipesOverAPackOfEveryKindOfStream) {
  const Pack pack = make_pack(objects(), 7);
  const int seeds = scaled(20);
  for (int seed = 1; seed <= seeds; ++seed) {
    replay_both(pack, static_cast<uint32_t>(seed), 0, "synthetic pack");
    if (HasFatalFailure()) return;
  }
}

// index-pack's second pass resolves deltas on several threads, each inflating on its own
// streams; the drop-in must keep nothing shared between streams.
TEST(IndexPackReplay, FourThreadsAtOnce) {
  const Pack pack = make_pack(objects(), 11);
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < scaled(6); ++i) {
        const uint32_t seed = static_cast<uint32_t>(1000 + t * 100 + i);
        const auto run = index_pack::replay(Api::dropin(), pack.bytes, pack.expect, pack.big, seed);
        if (run.size() != pack.expect.size() || !run.back().error.empty()) {
          errors[t] = "seed " + std::to_string(seed) + ": " + run.back().error;
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const std::string& e : errors) EXPECT_TRUE(e.empty()) << e;
}

// ---- Real packs from git ----

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

bool run_shell(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

Bytes read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Splits a pack into entries, inflating each with stock zlib to find where its stream ends.
bool parse_pack(const Bytes& pack, std::vector<Entry>& entries) {
  if (pack.size() < 32 || std::memcmp(pack.data(), "PACK", 4) != 0) return false;
  const uint32_t n = (uint32_t{pack[8]} << 24) | (uint32_t{pack[9]} << 16) |
                     (uint32_t{pack[10]} << 8) | uint32_t{pack[11]};
  size_t pos = 12;
  const Api& z = Api::stock();
  for (uint32_t i = 0; i < n; ++i) {
    Entry e;
    unsigned c = pack.at(pos++);
    e.type = static_cast<int>((c >> 4) & 7);
    size_t size = c & 15;
    for (unsigned shift = 4; (c & 0x80) != 0; shift += 7) {
      c = pack.at(pos++);
      size += static_cast<size_t>(c & 0x7f) << shift;
    }
    if (e.type == 7) pos += 20;
    if (e.type == 6) {
      while ((pack.at(pos++) & 0x80) != 0) {
      }
    }
    e.data.resize(size);
    z_stream s{};
    z.inflate_init(&s);
    s.next_in = const_cast<Bytef*>(pack.data()) + pos;
    s.avail_in = static_cast<uInt>(pack.size() - pos);
    Bytef dummy = 0;
    s.next_out = size != 0 ? e.data.data() : &dummy;
    s.avail_out = static_cast<uInt>(size);
    const int rc = z.inflate(&s, Z_FINISH);
    const size_t len = s.total_in;
    z.inflateEnd(&s);
    if (rc != Z_STREAM_END) return false;
    e.stream.assign(pack.begin() + static_cast<long>(pos),
                    pack.begin() + static_cast<long>(pos + len));
    pos += len;
    entries.push_back(std::move(e));
  }
  return true;
}

// A repository of generated files with edits (so packs carry deltas), written by git on the
// drop-in (loose objects at git's level 1 go through libdeflate), packed at git's default level
// (zlib), at level 1 (the drop-in's libdeflate again) and at 9; each pack replayed through
// random pipes on both libraries.
TEST(IndexPackReplay, RealGitPacks) {
  if (!run_shell("git --version >/dev/null 2>&1")) GTEST_SKIP() << "git is not installed";
  char tmpl[] = "/tmp/accz-index-pack-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir(tmpl);
  const std::filesystem::path repo = dir / "repo";
  // Under a sanitizer the drop-in needs its runtime preloaded into git; plain git writes the
  // packs then (the replay itself still runs on the drop-in, in this process).
  const std::string env =
      std::string(
          "GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=/nonexistent "
          "GIT_AUTHOR_NAME=accz GIT_AUTHOR_EMAIL=accz@example.invalid "
          "GIT_COMMITTER_NAME=accz GIT_COMMITTER_EMAIL=accz@example.invalid ") +
      (sanitized() ? "" : "LD_LIBRARY_PATH=" + shell_quote(ACCZ_ZLIB_DROPIN_DIR) + " ");
  const std::string git = env + "git -C " + shell_quote(repo.string()) + " ";
  ASSERT_TRUE(run_shell(env + "git init -q -b main " + shell_quote(repo.string())));
  std::mt19937 rng(5);
  std::vector<Bytes> files(12);
  for (size_t f = 0; f < files.size(); ++f)
    files[f] = generate(500 + rng() % 30000, static_cast<int>(f % 5), static_cast<uint32_t>(f));
  const int commits = sanitized() ? 8 : 24;
  for (int c = 0; c < commits; ++c) {
    for (int k = 0; k < 3; ++k) {
      Bytes& b = files[rng() % files.size()];
      const Bytes patch = generate(1 + rng() % 400, static_cast<int>(rng() % 5), rng());
      b.insert(b.begin() + static_cast<long>(rng() % (b.size() + 1)), patch.begin(), patch.end());
    }
    for (size_t f = 0; f < files.size(); ++f) {
      std::ofstream out(repo / ("f" + std::to_string(f)), std::ios::binary);
      out.write(reinterpret_cast<const char*>(files[f].data()),
                static_cast<std::streamsize>(files[f].size()));
    }
    ASSERT_TRUE(run_shell(git + "add -A && " + git + "commit -q -m c" + std::to_string(c)));
  }
  int replays = 0;
  for (const char* level : {"-1", "1", "9"}) {
    const std::filesystem::path out = dir / (std::string("pack") + level);
    ASSERT_TRUE(run_shell(git + "-c pack.compression=" + level +
                          " pack-objects -q --all --no-reuse-object --stdout </dev/null >" +
                          shell_quote(out.string())));
    std::vector<Entry> entries;
    const Bytes bytes = read_file(out);
    ASSERT_TRUE(parse_pack(bytes, entries)) << "pack at level " << level;
    ASSERT_GT(entries.size(), 30u);
    Pack pack;
    pack.bytes = bytes;
    for (const Entry& e : entries) {
      pack.expect.push_back(&e.data);
      pack.big.push_back(false);
    }
    for (int seed = 1; seed <= scaled(60); ++seed) {
      replay_both(pack, static_cast<uint32_t>(seed), 0, std::string("git pack, level ") + level);
      if (HasFatalFailure()) break;
      ++replays;
    }
    if (HasFatalFailure()) break;
  }
  std::filesystem::remove_all(dir);
  EXPECT_GT(replays, 0);
}

}  // namespace
