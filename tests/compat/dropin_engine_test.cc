// The drop-in's engine-served functions against stock zlib, call by call: crc32/adler32 (ISA-L),
// compress* (libdeflate), uncompress* (ISA-L). This binary links the drop-in, so the plain zlib
// names are the drop-in's; stock zlib is loaded privately here with dlmopen (the same way the
// drop-in loads it, but a separate copy) and called through its own table.
//
// What "exactly zlib's contract" means per function, as asserted below:
// - checksums: the same value for every seed, length and alignment, NULL buffers included;
// - compress2: the same return code as zlib whenever zlib succeeds or the arguments are
//   invalid; output that stock zlib inflates back to the input, no larger than zlib's, with
//   zlib's header bytes; Z_BUF_ERROR only when zlib also reports it;
// - uncompress2: the same return code, *destLen, *sourceLen and output bytes as zlib for valid,
//   too-small, corrupt and truncated input.
#include <dirent.h>
#include <dlfcn.h>
#include <libdeflate.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using Bytes = std::vector<Bytef>;

// Stock zlib, privately loaded.
struct Stock {
  decltype(&::crc32_z) crc32_z;
  decltype(&::adler32_z) adler32_z;
  decltype(&::compress2) compress2;
  decltype(&::uncompress2) uncompress2;

  static const Stock& get() {
    static const Stock s = load();
    return s;
  }

 private:
  template <typename Fn>
  static void resolve(void* h, const char* name, Fn& fn) {
    void* sym = dlsym(h, name);
    if (sym == nullptr) std::abort();
    std::memcpy(&fn, &sym, sizeof fn);
  }
  static Stock load() {
    void* h = dlmopen(LM_ID_NEWLM, ACCZ_REAL_ZLIB_PATH, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) std::abort();
    Stock s{};
    resolve(h, "crc32_z", s.crc32_z);
    resolve(h, "adler32_z", s.adler32_z);
    resolve(h, "compress2", s.compress2);
    resolve(h, "uncompress2", s.uncompress2);
    return s;
  }
};

// Data kinds where engines and zlib differ most: text-like, random, runs, and mixtures.
Bytes generate(size_t n, int kind, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  static const char kWords[] = "the quick brown fox jumps over a lazy dog, 0123456789\n";
  for (size_t i = 0; i < n; ++i) {
    switch (kind) {
      case 0:
        out[i] = static_cast<Bytef>(kWords[rng() % (sizeof kWords - 1)]);
        break;
      case 1:
        out[i] = static_cast<Bytef>(rng());
        break;
      case 2:
        out[i] = static_cast<Bytef>((i / (1 + rng() % 64)) & 3);
        break;
      default:
        out[i] = (i / 4096) % 2 == 0 ? static_cast<Bytef>(rng())
                                     : static_cast<Bytef>(kWords[(i * 7) % (sizeof kWords - 1)]);
        break;
    }
  }
  return out;
}

TEST(DropinEngines, ChecksumsMatchStockForEverySeedLengthAndAlignment) {
  const Stock& z = Stock::get();
  const Bytes data = generate(70000, 1, 11);
  const uLong seeds[] = {0,
                         1,
                         0xffffffffUL,
                         0x12345678UL,
                         0xfff0fff0UL,
                         0xfff1fff0UL,
                         0xfff0fff1UL,
                         0xffffffff0UL,
                         0x100000001UL,
                         65520,
                         65521};
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  for (size_t n : {1023u, 4096u, 5552u, 5553u, 65535u, 65536u, 69999u}) lengths.push_back(n);
  for (uLong seed : seeds) {
    for (size_t len : lengths) {
      for (size_t off : {0u, 1u, 3u, 7u}) {
        if (off + len > data.size()) continue;
        const Bytef* p = data.data() + off;
        ASSERT_EQ(crc32_z(seed, p, len), z.crc32_z(seed, p, len)) << seed << " " << len;
        ASSERT_EQ(adler32_z(seed, p, len), z.adler32_z(seed, p, len)) << seed << " " << len;
        if (len <= 0xffffffffu) {
          ASSERT_EQ(crc32(seed, p, static_cast<uInt>(len)), z.crc32_z(seed, p, len));
          ASSERT_EQ(adler32(seed, p, static_cast<uInt>(len)), z.adler32_z(seed, p, len));
        }
      }
    }
    // NULL buffer: zlib returns the initial value, whatever the seed and length.
    EXPECT_EQ(crc32_z(seed, Z_NULL, 0), z.crc32_z(seed, Z_NULL, 0));
    EXPECT_EQ(crc32_z(seed, Z_NULL, 100), z.crc32_z(seed, Z_NULL, 100));
    EXPECT_EQ(adler32_z(seed, Z_NULL, 0), z.adler32_z(seed, Z_NULL, 0));
    EXPECT_EQ(adler32_z(seed, Z_NULL, 100), z.adler32_z(seed, Z_NULL, 100));
  }
  EXPECT_EQ(crc32(0, Z_NULL, 0), 0u);
  EXPECT_EQ(adler32(0, Z_NULL, 0), 1u);
}

TEST(DropinEngines, ChecksumsChainAcrossCalls) {
  const Bytes data = generate(1 << 20, 0, 5);
  uLong crc = crc32(0, Z_NULL, 0), adler = adler32(0, Z_NULL, 0);
  for (size_t at = 0, step = 1; at < data.size(); at += step, step = step * 3 % 70001 + 1) {
    const size_t n = std::min(step, data.size() - at);
    crc = crc32_z(crc, data.data() + at, n);
    adler = adler32_z(adler, data.data() + at, n);
  }
  EXPECT_EQ(crc, Stock::get().crc32_z(0, data.data(), data.size()));
  EXPECT_EQ(adler, Stock::get().adler32_z(1, data.data(), data.size()));
}

// compress2 through the drop-in and through stock zlib with the same buffer size.
struct Compressed {
  int rc;
  Bytes out;
};

Compressed ours(const Bytes& in, size_t cap, int level) {
  Bytes out(cap + 1, 0xEE);
  uLongf len = cap;
  const int rc = compress2(out.data(), &len, in.data(), in.size(), level);
  EXPECT_EQ(out[cap], 0xEE) << "wrote past *destLen";
  out.resize(rc == Z_OK ? len : 0);
  return {rc, out};
}

Compressed stock(const Bytes& in, size_t cap, int level) {
  Bytes out(cap);
  uLongf len = cap;
  const int rc = Stock::get().compress2(out.data(), &len, in.data(), in.size(), level);
  out.resize(rc == Z_OK ? len : 0);
  return {rc, out};
}

Bytes stock_inflate(const Bytes& packed, size_t size) {
  Bytes out(size + 1);
  uLongf len = out.size();
  uLong src = packed.size();
  EXPECT_EQ(Stock::get().uncompress2(out.data(), &len, packed.data(), &src), Z_OK);
  EXPECT_EQ(src, packed.size());
  out.resize(len);
  return out;
}

void expect_compress_contract(const Bytes& in, int level, const char* what) {
  SCOPED_TRACE(std::string(what) + " level " + std::to_string(level) + " size " +
               std::to_string(in.size()));
  const size_t bound = compressBound(in.size());
  const Compressed z = stock(in, bound, level);
  const Compressed a = ours(in, bound, level);
  ASSERT_EQ(a.rc, z.rc);
  if (z.rc != Z_OK) return;
  EXPECT_LE(a.out.size(), z.out.size()) << "larger than zlib's output";
  ASSERT_GE(a.out.size(), 6u);
  EXPECT_EQ(a.out[0], z.out[0]);  // CMF and FLG (FLEVEL) as zlib writes them
  EXPECT_EQ(a.out[1], z.out[1]);
  EXPECT_EQ(stock_inflate(a.out, in.size()), in);

  // The exact size zlib needs always fits; one byte less is Z_BUF_ERROR from zlib and at most
  // a smaller (never invalid) success from us.
  const Compressed exact = ours(in, z.out.size(), level);
  EXPECT_EQ(exact.rc, Z_OK);
  if (exact.rc == Z_OK) {
    EXPECT_EQ(stock_inflate(exact.out, in.size()), in);
  }
  const Compressed short1 = ours(in, z.out.size() - 1, level);
  EXPECT_EQ(stock(in, z.out.size() - 1, level).rc, Z_BUF_ERROR);
  if (short1.rc == Z_OK) {
    EXPECT_EQ(stock_inflate(short1.out, in.size()), in);
  } else {
    EXPECT_EQ(short1.rc, Z_BUF_ERROR);
  }
}

TEST(DropinEngines, Compress2KeepsZlibsContractAtEveryLevel) {
  std::mt19937 rng(42);
  for (int kind = 0; kind < 4; ++kind) {
    for (size_t size : {0u, 1u, 100u, 4095u, 4096u, 30000u, 300000u}) {
      const Bytes in = generate(size, kind, rng());
      for (int level = -1; level <= 9; ++level) expect_compress_contract(in, level, "generated");
    }
  }
  const Bytes in = generate(10000, 0, 1);
  for (int bad : {-2, 10, 100}) EXPECT_EQ(ours(in, 20000, bad).rc, stock(in, 20000, bad).rc);
  // compress() is compress2 at the default level.
  Bytes out(compressBound(in.size()));
  uLongf len = out.size();
  ASSERT_EQ(compress(out.data(), &len, in.data(), in.size()), Z_OK);
  out.resize(len);
  EXPECT_EQ(stock_inflate(out, in.size()), in);
}

TEST(DropinEngines, Compress2NeverLargerThanZlibOnTheCorpus) {
  const char* env = std::getenv("ACCZ_CORPUS_DIR");
  const char* dir = env != nullptr && env[0] != '\0' ? env : ACCZ_CORPUS_DIR;
  std::vector<std::string> files;
  for (const char* sub :
       {"artificial", "calgary", "canterbury", "large", "miscellaneous", "snappy"}) {
    const std::string d = std::string(dir) + "/" + sub;
    if (DIR* h = opendir(d.c_str())) {
      while (dirent* e = readdir(h))
        if (e->d_name[0] != '.') files.push_back(d + "/" + e->d_name);
      closedir(h);
    }
  }
  if (files.empty()) GTEST_SKIP() << "no corpus at " << dir << " (set ACCZ_CORPUS_DIR)";
  for (const std::string& f : files) {
    std::ifstream s(f, std::ios::binary);
    const Bytes in((std::istreambuf_iterator<char>(s)), std::istreambuf_iterator<char>());
    // Levels 7..9 are zlib's on both sides (oneshot.h), so they prove nothing here.
    for (int level = 1; level <= 6; ++level) {
      const size_t bound = compressBound(in.size());
      const Compressed z = stock(in, bound, level), a = ours(in, bound, level);
      ASSERT_EQ(a.rc, Z_OK) << f;
      EXPECT_LE(a.out.size(), z.out.size()) << f << " level " << level;
    }
  }
}

// uncompress2 through both, same buffers; every observable must match.
void expect_same_uncompress(const Bytes& packed, size_t cap, const char* what) {
  SCOPED_TRACE(std::string(what) + " cap " + std::to_string(cap) + " in " +
               std::to_string(packed.size()));
  Bytes a(cap + 1, 0xEE), z(cap + 1, 0xEE);
  uLongf alen = cap, zlen = cap;
  uLong asrc = packed.size(), zsrc = packed.size();
  const int arc = uncompress2(a.data(), &alen, packed.data(), &asrc);
  const int zrc = Stock::get().uncompress2(z.data(), &zlen, packed.data(), &zsrc);
  ASSERT_EQ(arc, zrc);
  EXPECT_EQ(alen, zlen);
  EXPECT_EQ(asrc, zsrc);
  EXPECT_EQ(a[cap], 0xEE) << "wrote past *destLen";
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + alen, z.begin()));
  // uncompress (no *sourceLen) agrees too.
  uLongf blen = cap;
  Bytes b(cap + 1);
  EXPECT_EQ(uncompress(b.data(), &blen, packed.data(), packed.size()), zrc);
  EXPECT_EQ(blen, zlen);
}

// Input that looks incompressible goes to zlib before any engine runs: zlib's own bytes.
TEST(DropinEngines, Compress2OfRandomDataIsZlibsOwnBytes) {
  const Bytes in = generate(200000, 1, 17);
  for (int level = 1; level <= 5; ++level) {
    const Compressed a = ours(in, compressBound(in.size()), level);
    const Compressed z = stock(in, compressBound(in.size()), level);
    ASSERT_EQ(a.rc, Z_OK);
    ASSERT_EQ(z.rc, Z_OK);
    EXPECT_EQ(a.out, z.out) << "level " << level;
  }
}

TEST(DropinEngines, Uncompress2MatchesZlibOnValidShortCorruptAndTruncatedInput) {
  std::mt19937 rng(7);
  for (int kind = 0; kind < 4; ++kind) {
    for (size_t size : {0u, 1u, 1000u, 70000u, 300000u}) {
      const Bytes in = generate(size, kind, rng());
      const Compressed c = stock(in, compressBound(size), 6);
      ASSERT_EQ(c.rc, Z_OK);
      const Bytes& p = c.out;
      expect_same_uncompress(p, size, "exact");
      expect_same_uncompress(p, size + 100, "roomy");
      if (size > 0) expect_same_uncompress(p, size - 1, "short by one");
      expect_same_uncompress(p, 0, "destLen 0");
      expect_same_uncompress(p, size / 2, "half");
      Bytes tail = p;
      tail.insert(tail.end(), {1, 2, 3, 4, 5});
      expect_same_uncompress(tail, size, "trailing bytes");
      for (size_t cut :
           {size_t{0}, size_t{1}, size_t{2}, p.size() / 2, p.size() - 4, p.size() - 1}) {
        expect_same_uncompress(Bytes(p.begin(), p.begin() + cut), size, "truncated");
      }
      for (int i = 0; i < 20; ++i) {
        Bytes bad = p;
        bad[rng() % bad.size()] ^= static_cast<Bytef>(1u << (rng() % 8));
        expect_same_uncompress(bad, size + 10, "corrupt");
      }
      Bytes dict = p;  // FDICT set: zlib says Z_NEED_DICT, uncompress Z_DATA_ERROR
      dict[1] = static_cast<Bytef>((dict[1] | 0x20) & ~0x1f);
      dict[1] = static_cast<Bytef>(dict[1] + (31 - ((dict[0] << 8) + dict[1]) % 31) % 31);
      expect_same_uncompress(dict, size, "preset dictionary");
    }
  }
}

TEST(DropinEngines, RandomizedCompressUncompressDifferential) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 60; ++round) {
    const size_t size = rng() % 3 == 0 ? rng() % 64 : rng() % 150000;
    const Bytes in = generate(size, static_cast<int>(rng() % 4), rng());
    const int level = static_cast<int>(rng() % 11) - 1;
    expect_compress_contract(in, level, "random");
    const Compressed c = ours(in, compressBound(size), level);
    ASSERT_EQ(c.rc, Z_OK);
    expect_same_uncompress(c.out, rng() % (size + 2), "random cap");
  }
}

// Many small corrupted streams (1-3 flipped bits anywhere after the header): every result must
// be zlib's. Corruption that leaves the Adler-32 inconsistent is what real damage looks like;
// see src/zlib/README.md for the malformed-but-Adler-consistent streams where this cannot hold.
TEST(DropinEngines, Uncompress2AgreesWithZlibOnManyCorruptions) {
  std::mt19937 rng(99);
  for (int round = 0; round < 20000; ++round) {
    const Bytes in = generate(rng() % 3000, static_cast<int>(rng() % 4), rng());
    Compressed c = stock(in, compressBound(in.size()), static_cast<int>(rng() % 10));
    ASSERT_EQ(c.rc, Z_OK);
    for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips)
      c.out[2 + rng() % (c.out.size() - 2)] ^= static_cast<Bytef>(1u << (rng() % 8));
    Bytes a(in.size() + 11), z(in.size() + 11);
    uLongf alen = in.size() + 10, zlen = in.size() + 10;
    uLong asrc = c.out.size(), zsrc = c.out.size();
    const int arc = uncompress2(a.data(), &alen, c.out.data(), &asrc);
    const int zrc = Stock::get().uncompress2(z.data(), &zlen, c.out.data(), &zsrc);
    ASSERT_EQ(arc, zrc) << "round " << round;
    ASSERT_EQ(alen, zlen) << "round " << round;
    ASSERT_EQ(asrc, zsrc) << "round " << round;
    ASSERT_TRUE(std::equal(a.begin(), a.begin() + alen, z.begin())) << "round " << round;
  }
}

// libdeflate decodes a few deflate bodies that zlib rejects ("invalid bit length repeat",
// "invalid distance code", "invalid literal/length code"). uncompress once ran on libdeflate, so
// such a stream carrying the Adler-32 of what libdeflate decodes was Z_OK here and Z_DATA_ERROR
// in zlib. The search that found them, kept: corrupt stock zlib streams, keep the bodies that
// libdeflate decodes and zlib does not, give each the check value libdeflate's output has, and
// require zlib's answer from the drop-in.
TEST(DropinEngines, Uncompress2RejectsBodiesZlibRejectsEvenWithAMatchingCheck) {
  libdeflate_decompressor* lenient = libdeflate_alloc_decompressor();
  ASSERT_NE(lenient, nullptr);
  std::mt19937 rng(2778767);
  int found = 0;
  for (int round = 0; round < 60000; ++round) {
    const Bytes in = generate(1 + rng() % 3000, static_cast<int>(rng() % 4), rng());
    Compressed c = stock(in, compressBound(in.size()), static_cast<int>(rng() % 10));
    ASSERT_EQ(c.rc, Z_OK);
    for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips)
      c.out[2 + rng() % (c.out.size() - 6)] ^= static_cast<Bytef>(1u << (rng() % 8));
    Bytes decoded(in.size() + 64);
    size_t body = 0, made = 0;
    if (libdeflate_deflate_decompress_ex(lenient, c.out.data() + 2, c.out.size() - 6,
                                         decoded.data(), decoded.size(), &body,
                                         &made) != LIBDEFLATE_SUCCESS)
      continue;
    c.out.resize(2 + body + 4);
    const uLong check = Stock::get().adler32_z(1, decoded.data(), made);
    for (int i = 0; i < 4; ++i) c.out[2 + body + i] = static_cast<Bytef>(check >> (24 - 8 * i));
    Bytes a(made + 16), z(made + 16);
    uLongf alen = a.size(), zlen = z.size();
    uLong asrc = c.out.size(), zsrc = c.out.size();
    const int zrc = Stock::get().uncompress2(z.data(), &zlen, c.out.data(), &zsrc);
    if (zrc == Z_OK) continue;
    ++found;
    const int arc = uncompress2(a.data(), &alen, c.out.data(), &asrc);
    ASSERT_EQ(arc, zrc) << "round " << round;
    ASSERT_EQ(alen, zlen) << "round " << round;
    ASSERT_EQ(asrc, zsrc) << "round " << round;
    ASSERT_TRUE(std::equal(a.begin(), a.begin() + alen, z.begin())) << "round " << round;
  }
  libdeflate_free_decompressor(lenient);
  EXPECT_GE(found, 5) << "the search no longer finds the streams it is for";
}

// Each thread keeps its own libdeflate states; the configuration and the statistics are
// shared. Threads compressing and checking at once must each get their own right answers.
TEST(DropinEngines, ThreadsUseTheEnginesConcurrently) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int round = 0; round < 8; ++round) {
        const Bytes in = generate(20000 + 1000 * round, round % 4, 100 * t + round);
        Bytes packed(compressBound(in.size()));
        uLongf len = packed.size();
        const int level = 1 + (t + round) % 5;
        if (compress2(packed.data(), &len, in.data(), in.size(), level) != Z_OK) ++failures[t];
        Bytes back(in.size());
        uLongf back_len = back.size();
        if (uncompress(back.data(), &back_len, packed.data(), len) != Z_OK || back != in)
          ++failures[t];
        if (crc32_z(0, in.data(), in.size()) != Stock::get().crc32_z(0, in.data(), in.size()) ||
            adler32_z(1, in.data(), in.size()) != Stock::get().adler32_z(1, in.data(), in.size()))
          ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
