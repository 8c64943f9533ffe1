// Engines and framing must not touch the heap per call once warmed up: the C libraries'
// malloc calls are counted by interposing malloc and friends in this executable.
//
// Not under sanitizers: they own malloc themselves.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "accz/engine.h"
#include "accz/framing.h"
#include "engines/testing/test_data.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ACCZ_COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ACCZ_COUNT_ALLOCS 0
#endif
#endif
#ifndef ACCZ_COUNT_ALLOCS
#define ACCZ_COUNT_ALLOCS 1
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocs{0};
[[maybe_unused]] void note() {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1);
}
}  // namespace

#if ACCZ_COUNT_ALLOCS
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);

void* malloc(size_t n) {
  note();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t m) {
  note();
  return __libc_calloc(n, m);
}
void* realloc(void* p, size_t n) {
  note();
  return __libc_realloc(p, n);
}
void* memalign(size_t a, size_t n) {
  note();
  return __libc_memalign(a, n);
}
void* aligned_alloc(size_t a, size_t n) {
  note();
  return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
  note();
  void* p = __libc_memalign(a, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* p) { __libc_free(p); }
}
#endif

namespace accz {
namespace {

using testing::Bytes;

// Runs `work` twice: the first call may size buffers, the second must not allocate.
template <typename F>
long allocations_on_second_run(F work) {
  work();
  g_allocs = 0;
  g_counting = true;
  work();
  g_counting = false;
  return g_allocs.load();
}

TEST(NoAllocation, EngineCallsAfterWarmUp) {
  if (!ACCZ_COUNT_ALLOCS) GTEST_SKIP() << "sanitizers own malloc";
  const Bytes in = testing::mixed_bytes(200'000, 201);
  for (const Engine* e : engines()) {
    const EngineCaps& caps = e->caps();
    for (Framing f : caps.framings) {
      for (int level : {caps.min_level, caps.default_level, caps.max_level}) {
        auto c = e->compressor(level, f);
        auto d = e->decompressor(f);
        Bytes comp(c->bound(in.size())), out(in.size() + 16), buf(4096);
        long n = allocations_on_second_run([&] {
          CodecResult r = c->compress(in, comp);
          ASSERT_EQ(r.status, Status::kOk);
          ASSERT_EQ(d->decompress(ByteSpan(comp).first(r.produced), out).status, Status::kOk);
          if (caps.stream_compress && f != Framing::kLz4Block) {
            c->reset();
            ByteSpan rest(in);
            for (;;) {
              CodecResult s = c->stream(rest, buf, Flush::kFinish);
              rest = rest.subspan(s.consumed);
              if (s.end) break;
              ASSERT_EQ(s.status, Status::kOutputOverflow);
            }
          }
        });
        // liblz4 is built with LZ4HC_HEAPMODE=1: its optimal parser (levels 10-12) takes a
        // scratch table from the heap for every block. Nothing we can reuse for it.
        const bool lz4_opt = caps.name == "lz4" && level >= 10;
        if (!lz4_opt) {
          EXPECT_EQ(n, 0) << caps.name << " " << to_string(f) << " level " << level;
        }
      }
    }
  }
}

TEST(NoAllocation, FramingCallsAfterWarmUp) {
  if (!ACCZ_COUNT_ALLOCS) GTEST_SKIP() << "sanitizers own malloc";
  const Bytes in = testing::text_bytes(100'000, 202);
  for (const char* name : {"isal", "zlib"}) {
    const Engine* e = find_engine(name);
    auto c = e->compressor(e->caps().default_level, Framing::kRaw);
    auto d = e->decompressor(Framing::kRaw);
    FramedCompressor fc(e->compressor(e->caps().default_level, Framing::kRaw), Framing::kGzip, 6);
    FramedDecompressor fd(e->decompressor(Framing::kRaw), Framing::kGzip);
    Bytes comp(c->bound(in.size()) + 64), out(in.size() + 16), buf(1000);
    long n = allocations_on_second_run([&] {
      for (Framing f : {Framing::kGzip, Framing::kZlib}) {
        CodecResult r = compress_framed(*c, f, 6, in, comp);
        ASSERT_EQ(r.status, Status::kOk);
        ASSERT_EQ(decompress_framed(*d, f, ByteSpan(comp).first(r.produced), out).status,
                  Status::kOk);
      }
      fc.reset();
      size_t len = 0;
      ByteSpan rest(in);
      for (;;) {
        CodecResult s = fc.stream(rest, MutableByteSpan(comp).subspan(len, 777), Flush::kFinish);
        rest = rest.subspan(s.consumed);
        len += s.produced;
        if (s.end) break;
      }
      fd.reset();
      ByteSpan src = ByteSpan(comp).first(len);
      for (;;) {
        CodecResult s = fd.stream(src, buf);
        src = src.subspan(s.consumed);
        if (s.end || s.status == Status::kBadData) break;
      }
    });
    EXPECT_EQ(n, 0) << name;
  }
}

}  // namespace
}  // namespace accz
