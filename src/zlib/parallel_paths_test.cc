// The drop-in's callers of parallel_deflate, driven directly (compress2's engine path and
// deflate() streams finishing whole-buffer) on inputs large enough for chunks: the result
// inflates under stock zlib to the input, keeps zlib's framing, check value, counters and
// bounds, and comes out right through output buffers down to one byte. On a machine with one
// CPU (ACCZ_ZLIB_THREADS resolves to 1) these run the single-threaded path and still pass.
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <vector>

#include "util/datagen.h"
#include "zlib/config.h"
#include "zlib/deflate_stream.h"
#include "zlib/oneshot.h"
#include "zlib/parallel_deflate.h"

namespace accz::zlib {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes mixed(size_t n, uint64_t seed) {
  Bytes out = datagen::text(n, seed);
  const Bytes r = datagen::random(n / 3, seed + 1);
  std::copy(r.begin(), r.end(), out.begin() + static_cast<ptrdiff_t>(n / 3));
  return out;
}

Bytes inflate_all(const Bytes& in, int window_bits, size_t expect) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, window_bits), Z_OK);
  Bytes out(expect + 1);
  z.next_in = const_cast<uint8_t*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(z.avail_in, 0u);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(ParallelPaths, Compress2LargeInputsAtEveryLevel) {
  const size_t min = config().parallel_min;
  for (size_t n : {min - 1, min, 3 * min + 5}) {
    for (int kind = 0; kind < 3; ++kind) {
      const Bytes in = kind == 0 ? datagen::text(n, n) : kind == 1 ? mixed(n, n) : Bytes(n, 7);
      for (int level = -1; level <= 9; ++level) {
        SCOPED_TRACE(testing::Message() << n << " bytes, kind " << kind << ", level " << level);
        uLongf len = compressBound(n);
        Bytes out(len);
        const std::optional<int> rc = engine_compress2(out.data(), &len, in.data(), n, level);
        const int mapped = level < 0 ? 6 : level;
        if (mapped == 0 || kLibdeflateLevel[mapped] == 0) {
          EXPECT_FALSE(rc.has_value()) << "levels 0 and 6-9 are zlib's";
          continue;
        }
        ASSERT_TRUE(rc.has_value());
        ASSERT_EQ(*rc, Z_OK);
        ASSERT_LE(len, compressBound(n));
        out.resize(len);
        EXPECT_EQ(inflate_all(out, MAX_WBITS, n), in);
        // The same call into exactly that many bytes gives the same bytes when chunks made
        // them (spliced from their own buffers); one libdeflate call needs some slack beyond
        // its output, and without it zlib decides. One byte fewer never comes from the engine.
        uLongf exact = len;
        Bytes again(exact);
        const std::optional<int> exact_rc =
            engine_compress2(again.data(), &exact, in.data(), n, level);
        if (parallel_chunks(n) > 1) {
          ASSERT_EQ(exact_rc, Z_OK);
        }
        if (exact_rc.has_value()) {
          EXPECT_EQ(again, out);
        }
        uLongf short_len = len - 1;
        Bytes too_small(short_len);
        const std::optional<int> short_rc =
            engine_compress2(too_small.data(), &short_len, in.data(), n, level);
        EXPECT_FALSE(short_rc.has_value() && *short_rc == Z_OK && short_len >= len);
      }
    }
  }
}

struct StreamRun {
  Bytes out;
  uLong adler = 0, total_in = 0, total_out = 0;
  uLong bound = 0;
};

// One deflate() stream on the drop-in's state: input in pieces of `piece` bytes (0: all in the
// Z_FINISH call), output through buffers of `room` bytes.
StreamRun run_stream(const Bytes& in, int level, int window_bits, size_t piece, uInt room) {
  StreamRun r;
  z_stream s{};
  EXPECT_EQ(deflate_init(&s, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                         static_cast<int>(sizeof(z_stream))),
            Z_OK);
  DeflateStream* ds = deflate_stream(&s);
  EXPECT_NE(ds, nullptr);
  if (ds == nullptr) return r;
  r.bound = deflate_bound(ds, in.size());
  Bytes buf(room);
  size_t fed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (s.avail_in == 0 && fed < in.size()) {
      const size_t n = piece == 0 ? in.size() : std::min(piece, in.size() - fed);
      s.next_in = const_cast<uint8_t*>(in.data() + fed);
      s.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    s.next_out = buf.data();
    s.avail_out = room;
    const int flush = fed == in.size() ? Z_FINISH : Z_NO_FLUSH;
    rc = deflate_call(ds, flush);
    EXPECT_TRUE(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) << rc;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
    r.out.insert(r.out.end(), buf.begin(), buf.begin() + (room - s.avail_out));
  }
  r.adler = s.adler;
  r.total_in = s.total_in;
  r.total_out = s.total_out;
  EXPECT_EQ(deflate_end(ds), Z_OK);
  return r;
}

TEST(ParallelPaths, DeflateStreamsFinishLargeInputsInOneValidStream) {
  const size_t n = 2 * config().parallel_min + 999;
  const Bytes in = mixed(n, 42);
  const uLong adler = adler32_z(1, in.data(), n), crc = crc32_z(0, in.data(), n);
  for (int window_bits : {MAX_WBITS, MAX_WBITS + 16, -MAX_WBITS}) {
    for (int level : {1, 3, 4, 5}) {
      for (const auto& [piece, room] :
           {std::pair<size_t, uInt>{0, 8u << 20}, {0, 65536}, {65536, 8u << 20}, {1000000, 4099}}) {
        SCOPED_TRACE(testing::Message() << "windowBits " << window_bits << " level " << level
                                        << " piece " << piece << " room " << room);
        const StreamRun r = run_stream(in, level, window_bits, piece, room);
        EXPECT_EQ(inflate_all(r.out, window_bits, n), in);
        EXPECT_EQ(r.total_in, n);
        EXPECT_EQ(r.total_out, r.out.size());
        EXPECT_LE(r.out.size(), r.bound);
        if (window_bits == MAX_WBITS) {
          EXPECT_EQ(r.adler, adler);
        }
        if (window_bits > MAX_WBITS) {
          EXPECT_EQ(r.adler, crc);
        }
      }
    }
  }
}

TEST(ParallelPaths, DeflateStreamThroughOneByteBuffers) {
  const size_t n = config().parallel_min + 4097;
  const Bytes in = datagen::text(n, 5);
  const StreamRun r = run_stream(in, 2, MAX_WBITS, 0, 1);
  EXPECT_EQ(inflate_all(r.out, MAX_WBITS, n), in);
  EXPECT_EQ(r.adler, adler32_z(1, in.data(), n));
}

}  // namespace
}  // namespace accz::zlib
