// The drop-in as a library: zlibVersion, where each export and the real zlib live, the
// first-use race, and the allocator installed for streams that leave zalloc/zfree unset.
// This binary links the drop-in directly (not libaccz, which links the system zlib).
#include <dlfcn.h>
#include <zlib.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

std::string real_path(const char* path) {
  char buf[PATH_MAX];
  return realpath(path, buf) != nullptr ? std::string(buf) : std::string();
}

std::string library_of(const void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) return {};
  return real_path(info.dli_fname);
}

TEST(DropinLoad, ZlibVersionIsTheAbiItImplements) {
  EXPECT_STREQ(zlibVersion(), "1.2.13");
  EXPECT_STREQ(zlibVersion(), ZLIB_VERSION);
}

TEST(DropinLoad, ExportsBindToTheDropin) {
  const std::string dropin = real_path(ACCZ_DROPIN_LIBRARY);
  ASSERT_FALSE(dropin.empty());
  EXPECT_EQ(library_of(reinterpret_cast<void*>(&deflate)), dropin);
  EXPECT_EQ(library_of(reinterpret_cast<void*>(&compress2)), dropin);
  EXPECT_EQ(library_of(reinterpret_cast<void*>(&gzopen64)), dropin);
  EXPECT_EQ(library_of(reinterpret_cast<void*>(&crc32_combine_gen)), dropin);
}

bool mapped(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() >= path.size() &&
        line.compare(line.size() - path.size(), path.size(), path) == 0)
      return true;
  }
  return false;
}

TEST(DropinLoad, RealZlibIsLoadedOnlyInItsOwnNamespace) {
  ASSERT_EQ(compressBound(0), 13u);  // any forwarded call loads the real zlib
  const std::string real = real_path(ACCZ_REAL_ZLIB_PATH);
  ASSERT_FALSE(real.empty());
  // Loaded (dl_iterate_phdr would show only our own namespace, so ask the kernel)...
  EXPECT_TRUE(mapped(real)) << real << " is not mapped";
  // ...but not in the base namespace, where a no-load open finds nothing.
  EXPECT_EQ(dlopen(real.c_str(), RTLD_NOW | RTLD_NOLOAD), nullptr);
}

TEST(DropinLoad, ConcurrentFirstUseLoadsOnceAndWorks) {
  // Each test runs in a fresh process, so these threads race to the first forwarded call.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::atomic<bool> go{false};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) {
      }
      std::vector<Bytef> in(100000 + t * 977);
      for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<Bytef>((i * 31 + t) % 251 / 7);
      std::vector<Bytef> packed(compressBound(in.size()));
      uLongf packed_len = packed.size();
      std::vector<Bytef> back(in.size());
      uLongf back_len = back.size();
      if (compress2(packed.data(), &packed_len, in.data(), in.size(), t % 10) != Z_OK ||
          uncompress(back.data(), &back_len, packed.data(), packed_len) != Z_OK ||
          back_len != in.size() || back != in) {
        ++failures;
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

std::atomic<int> g_allocations{0};

voidpf counting_alloc(voidpf, uInt items, uInt size) {
  ++g_allocations;
  return std::calloc(items, size);
}
void counting_free(voidpf, voidpf p) { std::free(p); }

TEST(DropinLoad, CallerAllocatorIsUsedAndUnsetOnesAreFilledIn) {
  z_stream mine{};
  mine.zalloc = counting_alloc;
  mine.zfree = counting_free;
  ASSERT_EQ(deflateInit(&mine, 6), Z_OK);
  EXPECT_GT(g_allocations.load(), 0);
  EXPECT_EQ(mine.zalloc, counting_alloc);
  EXPECT_EQ(deflateEnd(&mine), Z_OK);

  z_stream unset{};
  ASSERT_EQ(inflateInit(&unset), Z_OK);
  EXPECT_NE(unset.zalloc, nullptr);  // as zlib promises: "updates them to use default"
  EXPECT_NE(unset.zfree, nullptr);
  EXPECT_EQ(inflateEnd(&unset), Z_OK);
}

TEST(DropinLoad, FailedInitLeavesTheCallersFieldsAlone) {
  z_stream s{};
  EXPECT_EQ(deflateInit(&s, 42), Z_STREAM_ERROR);
  EXPECT_EQ(s.zalloc, nullptr);
  EXPECT_EQ(s.zfree, nullptr);
  EXPECT_EQ(deflateInit_(&s, 6, "2.0.0", sizeof(z_stream)), Z_VERSION_ERROR);
  EXPECT_EQ(inflateInit_(&s, ZLIB_VERSION, sizeof(z_stream) - 8), Z_VERSION_ERROR);
  EXPECT_EQ(s.zalloc, nullptr);
  EXPECT_EQ(deflateInit(nullptr, 6), Z_STREAM_ERROR);
  EXPECT_EQ(inflateInit2(nullptr, 15), Z_STREAM_ERROR);
}

namespace death {

// Each case re-executes the test binary, so the child's first zlib call is the one that loads.
class DropinLoadDeathTest : public testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  void TearDown() override { unsetenv("ACCZ_REAL_ZLIB"); }
};

TEST_F(DropinLoadDeathTest, UnloadableRealZlibAbortsWithTheReason) {
  setenv("ACCZ_REAL_ZLIB", "/nonexistent/libz.so.1", 1);
  EXPECT_DEATH(compressBound(1), "dlmopen of the real zlib failed: /nonexistent/libz.so.1");
}

TEST_F(DropinLoadDeathTest, TheDropinIsNeverTakenForTheRealZlib) {
  setenv("ACCZ_REAL_ZLIB", ACCZ_DROPIN_LIBRARY, 1);
  EXPECT_DEATH(compressBound(1), "the real zlib path names this drop-in");
}

TEST_F(DropinLoadDeathTest, TheRealZlibIsNeverLookedUpBySoname) {
  setenv("ACCZ_REAL_ZLIB", "libz.so.1", 1);
  EXPECT_DEATH(compressBound(1), "must be named by an absolute path: libz.so.1");
}

}  // namespace death
}  // namespace
