// The drop-in's callers of parallel_deflate, driven directly (compress2's engine path and
// deflate() streams finishing whole-buffer) on inputs large enough for chunks: the result
// inflates under stock zlib to the input, keeps zlib's framing, check value, counters and
// bounds, and comes out right through output buffers down to one byte. On a machine with one
// CPU (ACCZ_ZLIB_THREADS resolves to 1) these run the single-threaded path and still pass.
#include <gtest/gtest.h>
#include <zlib.h>

#include <initializer_list>
#include <random>
#include <vector>

#include "util/datagen.h"
#include "zlib/config.h"
#include "zlib/deflate_stream.h"
#include "zlib/isal_body.h"
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

// Large streams in one valid stream with the stream's check value, for `levels` on `in`.
void expect_streams_finish(const Bytes& in, std::initializer_list<int> levels) {
  const size_t n = in.size();
  const uLong adler = adler32_z(1, in.data(), n), crc = crc32_z(0, in.data(), n);
  for (int window_bits : {MAX_WBITS, MAX_WBITS + 16, -MAX_WBITS}) {
    for (int level : levels) {
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

// Mixed data compresses to over kIsalMaxRatio: libdeflate's chunks at every level.
TEST(ParallelPaths, DeflateStreamsFinishLargeInputsInOneValidStream) {
  expect_streams_finish(mixed(2 * config().parallel_min + 999, 42), {1, 3, 4, 5});
}

// Text at level 1: ISA-L (in its own chunks when the input is large enough).
TEST(ParallelPaths, DeflateStreamsOnIsalAtLevelOne) {
  const Bytes in = datagen::text(2 * config().parallel_min + 999, 43);
  Bytes out(in.size());
  ASSERT_NE(isal_body(1, in, out, Checksum::kNone, 0).size, 0u) << "this input is meant for ISA-L";
  expect_streams_finish(in, {1});
}

TEST(LooksIncompressible, SamplesStartMiddleAndEnd) {
  EXPECT_TRUE(looks_incompressible(datagen::random(100000, 1).data(), 100000));
  EXPECT_FALSE(looks_incompressible(datagen::text(100000, 1).data(), 100000));
  EXPECT_FALSE(looks_incompressible(datagen::random(4095, 1).data(), 4095)) << "too small";
  for (size_t at : {size_t{0}, size_t{48000}, size_t{96000}}) {
    Bytes in = datagen::random(100000, 2);
    const Bytes text = datagen::text(4000, 3);
    std::copy(text.begin(), text.end(), in.begin() + static_cast<ptrdiff_t>(at));
    EXPECT_FALSE(looks_incompressible(in.data(), in.size())) << "text at " << at;
  }
}

// Input that looks incompressible is zlib's from the start, so its bytes are exactly zlib's, in
// a deflate stream as in compress2.
TEST(LooksIncompressible, StreamsOfRandomDataAreZlibsOwnBytes) {
  const Bytes in = datagen::random(300000, 9);
  for (int level = 1; level <= 5; ++level) {
    SCOPED_TRACE(testing::Message() << "level " << level);
    const StreamRun r = run_stream(in, level, MAX_WBITS, 65536, 65536);
    uLongf len = compressBound(in.size());
    Bytes expect(len);  // zlib's compress2: deflateInit at the level, one deflate(Z_FINISH)
    ASSERT_EQ(compress2(expect.data(), &len, in.data(), in.size(), level), Z_OK);
    expect.resize(len);
    EXPECT_EQ(r.out, expect);
  }
}

// isal_body serves level 1 only, text-like input only (neither random nor runs), and says when
// room was what it lacked.
TEST(IsalBody, ServesTextLikeInputAtLevelOne) {
  const Bytes text = datagen::text(100000, 3), random = datagen::random(100000, 4);
  Bytes out(compressBound(text.size()));
  const IsalBody served = isal_body(1, text, out, Checksum::kNone, 0);
  ASSERT_NE(served.size, 0u);
  EXPECT_LE(served.size, static_cast<size_t>(kIsalMaxRatio * text.size()));
  EXPECT_EQ(inflate_all(Bytes(out.begin(), out.begin() + served.size), -MAX_WBITS, text.size()),
            text);
  EXPECT_EQ(isal_body(2, text, out, Checksum::kNone, 0).size, 0u) << "level 2 is libdeflate's";
  const IsalBody refused = isal_body(1, random, out, Checksum::kNone, 0);
  EXPECT_EQ(refused.size, 0u) << "random data is over the ratio";
  EXPECT_FALSE(refused.no_room);
  Bytes runs(100000, 0);  // the fuzzer's kind: runs with a few bytes between
  for (size_t i = 0; i < runs.size(); i += 997) runs[i] = static_cast<uint8_t>(i);
  const IsalBody run_body = isal_body(1, runs, out, Checksum::kNone, 0);
  EXPECT_EQ(run_body.size, 0u) << "runs are under the ratio";
  EXPECT_FALSE(run_body.no_room);
  Bytes small(served.size / 2);
  const IsalBody cramped = isal_body(1, text, small, Checksum::kNone, 0);
  EXPECT_EQ(cramped.size, 0u);
  EXPECT_TRUE(cramped.no_room);
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
