// Small requests allocate nothing once a thread has seen their shape: the per-thread contexts
// and bounce buffers of run_in_software() are reused. Counted by replacing the global
// operator new for this test binary only (the engines' C libraries allocate only when a
// context is created, which the warm-up pass does).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "providers/cpu/cpu_device.h"
#include "util/datagen.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<size_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n != 0 ? n : 1)) return p;
  throw std::bad_alloc();
}
// GCC inlines these replacements into gtest's `delete` of a test it made with `new` and then
// warns that free() meets a pointer from operator new, not knowing that new is the malloc above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace accz {
namespace {

using Bytes = std::vector<uint8_t>;

// Compress then decompress one 4 KiB block, with the buffer lists given (1 or 3 pieces).
void round_trip(Framing f, int level, const Bytes& data, size_t pieces) {
  static Bytes packed(16384), back(4096);
  ByteSpan src[3];
  MutableByteSpan dst[3];
  const size_t third = data.size() / 3;
  if (pieces == 1) {
    src[0] = data;
    dst[0] = packed;
  } else {
    src[0] = ByteSpan(data).first(third);
    src[1] = ByteSpan(data).subspan(third, third);
    src[2] = ByteSpan(data).subspan(2 * third);
    dst[0] = MutableByteSpan(packed).first(1000);
    dst[1] = MutableByteSpan(packed).subspan(1000, 1000);
    dst[2] = MutableByteSpan(packed).subspan(2000);
  }
  Request c;
  c.op = Operation::kCompress;
  c.framing = f;
  c.level = level;
  c.src = std::span<const ByteSpan>(src, pieces);
  c.dst = std::span<const MutableByteSpan>(dst, pieces);
  run_in_software(&c);
  ASSERT_EQ(c.result.status, Status::kOk);

  const ByteSpan in[1] = {ByteSpan(packed).first(c.result.produced)};
  MutableByteSpan out[3] = {MutableByteSpan(back)};
  if (pieces != 1) {
    out[0] = MutableByteSpan(back).first(third);
    out[1] = MutableByteSpan(back).subspan(third, third);
    out[2] = MutableByteSpan(back).subspan(2 * third);
  }
  Request d;
  d.op = Operation::kDecompress;
  d.framing = f;
  d.src = in;
  d.dst = std::span<const MutableByteSpan>(out, pieces);
  run_in_software(&d);
  ASSERT_EQ(d.result.status, Status::kOk);
  ASSERT_EQ(d.result.produced, data.size());
}

TEST(RunInSoftware, SmallRequestsAllocateNothingOnceWarm) {
  const Bytes data = datagen::text(4096, 31);
  const Framing framings[] = {Framing::kRaw,      Framing::kZlib,     Framing::kGzip,
                              Framing::kLz4Block, Framing::kLz4Frame, Framing::kZstdFrame};
  auto all = [&] {
    for (Framing f : framings) {
      for (size_t pieces : {size_t{1}, size_t{3}}) round_trip(f, -1, data, pieces);
    }
  };
  all();  // warm-up: contexts and bounce buffers are created here
  g_allocations.store(0);
  g_counting.store(true);
  for (int i = 0; i < 10; ++i) all();
  g_counting.store(false);
  EXPECT_EQ(g_allocations.load(), 0u);
}

}  // namespace
}  // namespace accz
