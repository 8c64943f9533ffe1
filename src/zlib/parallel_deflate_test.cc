// parallel_deflate: the spliced stream inflates under stock zlib to the input, at every
// libdeflate level, for several kinds of data, chunk counts and sizes around the edges; the
// walker finds the last block where an independently built stream has it; the splice works
// for chunks ending at every bit offset; a thread that cannot start costs nothing but time.
// parallel_isal_deflate: the same stream properties, and chunks primed with the input before
// them.
#include "zlib/parallel_deflate.h"

#include <gtest/gtest.h>
#include <libdeflate.h>
#include <zlib.h>

#include <array>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "util/datagen.h"
#include "zlib/config.h"

namespace accz::zlib {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes inflate_raw(const Bytes& in, size_t expect) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, -MAX_WBITS), Z_OK);
  Bytes out(expect + 1);
  z.next_in = const_cast<uint8_t*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(z.avail_in, 0u) << "trailing bytes after the stream";
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

Bytes zeros(size_t n) { return Bytes(n, 0); }

Bytes mixed(size_t n, uint64_t seed) {
  // Text, random and zero runs in turn, so chunk boundaries fall in each kind.
  Bytes out;
  out.reserve(n);
  const Bytes t = datagen::text(n, seed), r = datagen::random(n, seed + 1);
  size_t i = 0;
  for (int part = 0; out.size() < n; ++part, i += 70001) {
    const size_t take = std::min<size_t>(70001, n - out.size());
    if (part % 3 == 0)
      out.insert(out.end(), t.begin() + i % (n - take + 1), t.begin() + i % (n - take + 1) + take);
    if (part % 3 == 1)
      out.insert(out.end(), r.begin() + i % (n - take + 1), r.begin() + i % (n - take + 1) + take);
    if (part % 3 == 2) out.insert(out.end(), take, 0);
  }
  return out;
}

Bytes data_of(int kind, size_t n, uint64_t seed) {
  switch (kind) {
    case 0:
      return datagen::text(n, seed);
    case 1:
      return datagen::random(n, seed);
    case 2:
      return zeros(n);
    default:
      return mixed(n, seed);
  }
}

const char* kind_name(int kind) {
  static const char* const kNames[] = {"text", "random", "zeros", "mixed"};
  return kNames[kind];
}

// A parallel call's result in `out` is one raw deflate stream of `in`, with the check value
// asked for; returns the stream.
Bytes expect_one_stream(const ParallelResult& r, Bytes out, const Bytes& in, Checksum check,
                        uint32_t seed) {
  EXPECT_NE(r.size, 0u);
  out.resize(r.size);
  EXPECT_EQ(inflate_raw(out, in.size()), in);
  if (check == Checksum::kAdler32) {
    EXPECT_EQ(r.check, adler32_z(seed, in.data(), in.size()));
  }
  if (check == Checksum::kCrc32) {
    EXPECT_EQ(r.check, crc32_z(seed, in.data(), in.size()));
  }
  return out;
}

// Compresses with parallel_deflate and checks everything a caller relies on.
Bytes check_round_trip(int level, const Bytes& in, unsigned chunks,
                       Checksum check = Checksum::kNone, uint32_t seed = 0) {
  Bytes out(parallel_deflate_bound(in.size(), chunks));
  const ParallelResult r = parallel_deflate(level, in, out, chunks, check, seed);
  EXPECT_LE(r.size, compressBound(in.size())) << "larger than zlib's bound";
  return expect_one_stream(r, std::move(out), in, check, seed);
}

TEST(ParallelDeflate, EveryLevelEveryKind) {
  const size_t n = 3 * kMinParallelChunk + 12345;
  for (int kind = 0; kind < 4; ++kind) {
    const Bytes in = data_of(kind, n, 7 + kind);
    for (int level = 1; level <= 12; ++level) {
      SCOPED_TRACE(testing::Message() << kind_name(kind) << " level " << level);
      // Level 10-12 on random data is slow and shows nothing new: one chunk count there.
      const unsigned most = level >= 10 ? 2 : 4;
      for (unsigned chunks = 2; chunks <= most; ++chunks) check_round_trip(level, in, chunks);
    }
  }
}

TEST(ParallelDeflate, SizesAroundChunkEdges) {
  const size_t sizes[] = {2 * kMinParallelChunk - 1, 2 * kMinParallelChunk,
                          2 * kMinParallelChunk + 1, (size_t{1} << 20) - 1,
                          size_t{1} << 20,           (size_t{1} << 20) + 1,
                          5 * kMinParallelChunk + 3};
  for (size_t n : sizes) {
    for (int kind = 0; kind < 4; ++kind) {
      SCOPED_TRACE(testing::Message() << kind_name(kind) << " " << n << " bytes");
      const Bytes in = data_of(kind, n, n);
      for (unsigned chunks = 2; chunks <= 5; ++chunks) check_round_trip(2, in, chunks);
    }
  }
}

TEST(ParallelDeflate, ChecksumsCombineFromSeed) {
  const Bytes in = mixed(size_t{3} << 19, 99);
  for (uint32_t seed : {1u, 0x12345678u, 0xfff0fff0u % 65521u}) {
    check_round_trip(6, in, 3, Checksum::kAdler32,
                     seed == 0xfff0fff0u % 65521u ? 0x00100010 : seed);
    check_round_trip(6, in, 3, Checksum::kCrc32, seed);
  }
  check_round_trip(6, in, 2, Checksum::kAdler32, 1);
  check_round_trip(6, in, 4, Checksum::kCrc32, 0);
}

// zlib builds a stream whose last block starts right after a sync flush: the byte count there
// is where the walker must put the final block's header, and the stream's end in its last byte.
TEST(ParallelDeflate, WalkerFindsTheLastBlockOfAnIndependentStream) {
  for (int level : {1, 6, 9}) {
    for (size_t tail : {1u, 100u, 3000u}) {
      const Bytes head_data = datagen::text(200000, level), tail_data = datagen::text(tail, 3);
      z_stream z{};
      ASSERT_EQ(deflateInit2(&z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
      Bytes out(compressBound(head_data.size() + tail) + 64);
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      z.next_in = const_cast<uint8_t*>(head_data.data());
      z.avail_in = static_cast<uInt>(head_data.size());
      ASSERT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
      const size_t synced = z.total_out;
      z.next_in = const_cast<uint8_t*>(tail_data.data());
      z.avail_in = static_cast<uInt>(tail_data.size());
      ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
      out.resize(z.total_out);
      deflateEnd(&z);
      Bytes all = head_data;
      all.insert(all.end(), tail_data.begin(), tail_data.end());
      LastBlock where;
      ASSERT_TRUE(find_last_block(out, all, where));
      EXPECT_EQ(where.final_bit, 8 * synced) << "level " << level << " tail " << tail;
      EXPECT_EQ((where.end_bit + 7) / 8, out.size());
      EXPECT_GT(where.end_bit, where.final_bit + 3);
      // A wrong original is refused: the walk verifies.
      all.back() ^= 1;
      EXPECT_FALSE(find_last_block(out, all, where));
    }
  }
}

// Small chunks (parallel_deflate itself has no minimum) end at every bit offset: each offset
// mod 8 is seen, and every splice inflates.
TEST(ParallelDeflate, SpliceAtEveryBitOffset) {
  std::array<int, 8> seen{};
  libdeflate_compressor* c = libdeflate_alloc_compressor(6);
  ASSERT_NE(c, nullptr);
  for (uint64_t seed = 1; seed < 400; ++seed) {
    const size_t n = 2 * (50 + seed * 37 % 3000);
    const Bytes in = seed % 5 == 0 ? datagen::random(n, seed) : datagen::text(n, seed);
    const size_t head = parallel_chunk_size(n, 2, 6, 0);
    ASSERT_EQ(head + parallel_chunk_size(n, 2, 6, 1), n);
    Bytes first(libdeflate_deflate_compress_bound(c, head));
    first.resize(libdeflate_deflate_compress(c, in.data(), head, first.data(), first.size()));
    LastBlock where;
    ASSERT_TRUE(find_last_block(first, {in.data(), head}, where));
    ++seen[where.end_bit % 8];
    SCOPED_TRACE(testing::Message() << "seed " << seed << " end bit " << where.end_bit);
    check_round_trip(6, in, 2);
  }
  libdeflate_free_compressor(c);
  for (int bit = 0; bit < 8; ++bit) EXPECT_GT(seen[bit], 0) << "no chunk ended at bit " << bit;
}

TEST(ParallelDeflate, ThreadsThatCannotStartLeaveTheWorkToTheCaller) {
  const Bytes in = mixed(size_t{5} << 19, 5);
  const Bytes threaded = check_round_trip(5, in, 4, Checksum::kAdler32, 1);
  parallel_deflate_fail_threads_for_testing(true);
  const Bytes alone = check_round_trip(5, in, 4, Checksum::kAdler32, 1);
  parallel_deflate_fail_threads_for_testing(false);
  EXPECT_EQ(threaded, alone) << "the same chunks give the same bytes on any thread";
}

TEST(ParallelDeflate, ChunkSizesCoverTheInput) {
  for (size_t n : {size_t{2}, size_t{10}, size_t{1000}, kMinParallelChunk * 2 + 1, size_t{5} << 20,
                   (size_t{64} << 20) + 3}) {
    for (unsigned chunks = 2; chunks <= 8; ++chunks) {
      if (n < chunks) continue;
      for (int level : {1, 2, 5, 6, 9, 12}) {
        size_t sum = 0;
        for (unsigned i = 0; i < chunks; ++i) {
          const size_t size = parallel_chunk_size(n, chunks, level, i);
          if (i + 1 < chunks) {
            EXPECT_GT(size, 0u) << n << " " << chunks << " " << level << " " << i;
          }
          sum += size;
        }
        EXPECT_EQ(sum, n) << n << " " << chunks << " " << level;
      }
    }
  }
}

TEST(ParallelDeflate, OutputThatDoesNotFitIsRefused) {
  const Bytes in = datagen::random(size_t{1} << 20, 3);
  Bytes out(in.size() / 2);
  EXPECT_EQ(parallel_deflate(2, in, out, 2, Checksum::kNone, 0).size, 0u);
  Bytes exact = check_round_trip(2, in, 2);
  out.assign(exact.size() - 1, 0);
  EXPECT_EQ(parallel_deflate(2, in, out, 2, Checksum::kNone, 0).size, 0u);
  out.assign(exact.size(), 0);
  EXPECT_EQ(parallel_deflate(2, in, out, 2, Checksum::kNone, 0).size, exact.size());
}

TEST(ParallelDeflate, ConcurrentCalls) {
  const Bytes in = mixed(size_t{1} << 20, 11);
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t)
    callers.emplace_back([&in, t] { check_round_trip(2 + t, in, 2, Checksum::kCrc32, 0); });
  for (std::thread& t : callers) t.join();
}

// ISA-L chunks (parallel_isal_deflate): one valid stream with the right check value for every
// kind of data and chunk count, sizes around the edges included.
Bytes check_isal_round_trip(const Bytes& in, unsigned chunks, Checksum check, uint32_t seed) {
  Bytes out(compressBound(in.size()));
  const ParallelResult r = parallel_isal_deflate(in, out, chunks, check, seed);
  return expect_one_stream(r, std::move(out), in, check, seed);
}

TEST(ParallelIsalDeflate, EveryKindAndChunkCount) {
  for (size_t n : {2 * kMinParallelChunk - 1, 3 * kMinParallelChunk + 12345}) {
    for (int kind = 0; kind < 4; ++kind) {
      const Bytes in = data_of(kind, n, 3 + kind);
      for (unsigned chunks = 2; chunks <= 5; ++chunks) {
        SCOPED_TRACE(testing::Message() << kind_name(kind) << " " << n << " in " << chunks);
        check_isal_round_trip(in, chunks, chunks % 2 == 0 ? Checksum::kAdler32 : Checksum::kCrc32,
                              chunks == 3 ? 0x12345678u : (chunks == 2 ? 1u : 0u));
      }
    }
  }
}

// Each chunk is primed with the 32 KiB before it: a 16 KiB random block repeated costs its
// literals once in the whole stream, where each unprimed chunk would pay for them again.
TEST(ParallelIsalDeflate, EachChunkSeesTheInputBeforeIt) {
  const Bytes block = datagen::random(16 << 10, 5);
  Bytes in;
  while (in.size() < (size_t{2} << 20)) in.insert(in.end(), block.begin(), block.end());
  const Bytes two = check_isal_round_trip(in, 2, Checksum::kNone, 0);
  const Bytes eight = check_isal_round_trip(in, 8, Checksum::kNone, 0);
  EXPECT_LT(eight.size(), two.size() + 1024) << "a chunk did not see the block before it";
}

TEST(ParallelIsalDeflate, OutputThatDoesNotFitFails) {
  const Bytes in = datagen::text(size_t{1} << 20, 9);
  const Bytes exact = check_isal_round_trip(in, 2, Checksum::kNone, 0);
  Bytes out(exact.size() + 1);  // the last chunk needs a byte of room beyond its output
  EXPECT_EQ(parallel_isal_deflate(in, out, 2, Checksum::kNone, 0).size, exact.size());
  out.assign(exact.size() - 1, 0);
  EXPECT_EQ(parallel_isal_deflate(in, out, 2, Checksum::kNone, 0).size, 0u);
}

TEST(ParallelIsalDeflate, ThreadsThatCannotStartLeaveTheirChunksToTheCaller) {
  const Bytes in = mixed(size_t{1} << 20, 13);
  parallel_deflate_fail_threads_for_testing(true);
  check_isal_round_trip(in, 3, Checksum::kCrc32, 7);
  parallel_deflate_fail_threads_for_testing(false);
}

TEST(ParallelDeflate, ChunkCountFollowsTheConfiguration) {
  const Config& cfg = config();
  EXPECT_GE(cfg.threads, 1u);
  EXPECT_LE(cfg.threads, 256u);
  EXPECT_EQ(parallel_chunks(cfg.parallel_min - 1), 1u);
  EXPECT_EQ(parallel_chunks(0), 1u);
  const size_t big = std::max(cfg.parallel_min, 64 * kMinParallelChunk);
  EXPECT_EQ(parallel_chunks(big), std::min<unsigned>(cfg.threads, 64));
  EXPECT_EQ(parallel_isal_chunks(cfg.parallel_min / 4 - 1), 1u);
  EXPECT_EQ(parallel_isal_chunks(big), std::min<unsigned>(cfg.threads, 64));
  if (cfg.threads > 1 && cfg.parallel_min / 4 <= 2 * kMinIsalChunk) {
    EXPECT_EQ(parallel_isal_chunks(2 * kMinIsalChunk), 2u) << "ISA-L's chunks start lower";
  }
  if (cfg.threads > 1 && cfg.parallel_min < 2 * kMinParallelChunk) {
    EXPECT_EQ(parallel_chunks(2 * kMinParallelChunk - 1), 1u) << "chunks below the minimum";
  }
}

}  // namespace
}  // namespace accz::zlib
