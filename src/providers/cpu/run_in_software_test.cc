// run_in_software(): every framing round-trips, output is standard (stock zlib decodes it),
// scatter-gather equals the contiguous path, sync chunks with dictionaries form one stream,
// and each failure kind gets its own status.
#include <zlib.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "accz/framing.h"
#include "providers/cpu/cpu_device.h"
#include "util/datagen.h"

namespace accz {
namespace {

constexpr Framing kAllFramings[] = {Framing::kRaw,      Framing::kZlib,     Framing::kGzip,
                                    Framing::kLz4Block, Framing::kLz4Frame, Framing::kZstdFrame};

using Bytes = std::vector<uint8_t>;

// A request with its buffer lists, split into pieces of the given sizes (0 = one piece).
struct Job {
  Request req;
  std::vector<ByteSpan> src;
  std::vector<MutableByteSpan> dst;

  Job(Operation op, Framing f, int level, ByteSpan in, MutableByteSpan out, size_t src_piece = 0,
      size_t dst_piece = 0) {
    req.op = op;
    req.framing = f;
    req.level = level;
    split(in, src_piece, &src);
    split(out, dst_piece, &dst);
    req.src = src;
    req.dst = dst;
    req.checksum_seed = f == Framing::kZlib ? 1 : 0;
  }

  template <typename S>
  static void split(S whole, size_t piece, std::vector<S>* out) {
    if (piece == 0) {
      out->push_back(whole);
      return;
    }
    // An empty piece in the middle too: lists may contain them.
    for (size_t at = 0; at < whole.size(); at += piece) {
      out->push_back(whole.subspan(at, std::min(piece, whole.size() - at)));
      if (out->size() == 2) out->push_back(S{});
    }
  }

  const Result& run() {
    run_in_software(&req);
    return req.result;
  }
};

uint32_t expected_checksum(Framing f, const Bytes& data) {
  return f == Framing::kZlib ? adler32(1, data) : crc32(0, data);
}

Bytes compress(Framing f, int level, const Bytes& in, Result* result = nullptr) {
  Bytes out(in.size() + in.size() / 2 + 1024);
  Job job(Operation::kCompress, f, level, in, out);
  const Result& r = job.run();
  EXPECT_EQ(r.status, Status::kOk) << to_string(f) << " level " << level;
  out.resize(r.produced);
  if (result != nullptr) *result = r;
  return out;
}

Bytes decompress(Framing f, const Bytes& in, size_t size, Result* result = nullptr) {
  Bytes out(size);
  Job job(Operation::kDecompress, f, -1, in, out);
  const Result& r = job.run();
  EXPECT_EQ(r.status, Status::kOk) << to_string(f);
  out.resize(r.produced);
  if (result != nullptr) *result = r;
  return out;
}

// Stock zlib's view of a deflate-family stream (window bits select raw, zlib or gzip).
Bytes zlib_inflate(const Bytes& in, int window_bits, size_t size) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, window_bits), Z_OK);
  Bytes out(size + 1);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(RunInSoftware, EveryFramingRoundTrips) {
  const Bytes data = datagen::text(100'000, 3);
  for (Framing f : kAllFramings) {
    for (int level : {-1, 1, 9}) {
      Result c, d;
      const Bytes packed = compress(f, level, data, &c);
      ASSERT_LT(packed.size(), data.size()) << to_string(f);
      EXPECT_EQ(c.consumed, data.size());
      EXPECT_TRUE(c.end);
      EXPECT_EQ(c.device, "cpu");
      EXPECT_FALSE(c.engine.empty());
      EXPECT_EQ(c.checksum, expected_checksum(f, data)) << to_string(f);
      EXPECT_EQ(decompress(f, packed, data.size(), &d), data) << to_string(f) << " " << level;
      EXPECT_EQ(d.consumed, packed.size());
      EXPECT_TRUE(d.end);
      EXPECT_EQ(d.checksum, c.checksum) << to_string(f);
    }
  }
}

TEST(RunInSoftware, StockZlibDecodesDeflateFramings) {
  const Bytes data = datagen::text(70'000, 4);
  for (int level : {0, 1, 6, 9}) {
    EXPECT_EQ(zlib_inflate(compress(Framing::kRaw, level, data), -15, data.size()), data);
    EXPECT_EQ(zlib_inflate(compress(Framing::kZlib, level, data), 15, data.size()), data);
    EXPECT_EQ(zlib_inflate(compress(Framing::kGzip, level, data), 31, data.size()), data);
  }
}

TEST(RunInSoftware, DefaultEngineChoice) {
  const Bytes data = datagen::text(20'000, 5);
  Bytes out(40'000);
  auto engine_for = [&](Operation op, Framing f, int level, Flush flush, const Bytes& in,
                        size_t dst_piece) {
    Job job(op, f, level, in, out, 0, dst_piece);
    job.req.flush = flush;
    EXPECT_EQ(job.run().status, Status::kOk);
    return std::string(job.req.result.engine);
  };
  EXPECT_EQ(engine_for(Operation::kCompress, Framing::kGzip, 6, Flush::kFinish, data, 0),
            "libdeflate");
  EXPECT_EQ(engine_for(Operation::kCompress, Framing::kRaw, 2, Flush::kSync, data, 0), "isal");
  EXPECT_EQ(engine_for(Operation::kCompress, Framing::kRaw, 6, Flush::kFull, data, 0), "zlib");
  EXPECT_EQ(engine_for(Operation::kCompress, Framing::kRaw, 0, Flush::kSync, data, 0), "zlib");
  EXPECT_EQ(engine_for(Operation::kCompress, Framing::kLz4Frame, -1, Flush::kFinish, data, 0),
            "lz4");
  EXPECT_EQ(engine_for(Operation::kCompress, Framing::kZstdFrame, -1, Flush::kFinish, data, 0),
            "zstd");
  const Bytes gz = compress(Framing::kGzip, 6, data);
  EXPECT_EQ(engine_for(Operation::kDecompress, Framing::kGzip, -1, Flush::kFinish, gz, 0),
            "libdeflate");
  EXPECT_EQ(engine_for(Operation::kDecompress, Framing::kGzip, -1, Flush::kFinish, gz, 3000),
            "isal");
}

TEST(RunInSoftware, NamedEngineRunsExactlyThatEngine) {
  const Bytes data = datagen::text(30'000, 6);
  Bytes out(60'000);
  for (const char* name : {"isal", "libdeflate", "zlib"}) {
    Job job(Operation::kCompress, Framing::kGzip, -1, data, out);
    job.req.engine = name;
    ASSERT_EQ(job.run().status, Status::kOk) << name;
    EXPECT_EQ(job.req.result.engine, name);
    out.resize(job.req.result.produced);
    EXPECT_EQ(zlib_inflate(out, 31, data.size()), data) << name;
    out.resize(60'000);
  }
  // Native scales: libdeflate goes to 12, ISA-L stops at 3.
  Job high(Operation::kCompress, Framing::kRaw, 12, data, out);
  high.req.engine = "libdeflate";
  EXPECT_EQ(high.run().status, Status::kOk);
  Job too_high(Operation::kCompress, Framing::kRaw, 4, data, out);
  too_high.req.engine = "isal";
  EXPECT_EQ(too_high.run().status, Status::kUnsupported);
  // libdeflate cannot end a piece with a sync flush.
  Job sync(Operation::kCompress, Framing::kRaw, 6, data, out);
  sync.req.engine = "libdeflate";
  sync.req.flush = Flush::kSync;
  EXPECT_EQ(sync.run().status, Status::kUnsupported);
  Job unknown(Operation::kCompress, Framing::kRaw, 6, data, out);
  unknown.req.engine = "no-such-engine";
  EXPECT_EQ(unknown.run().status, Status::kUnsupported);
  Job wrong_family(Operation::kCompress, Framing::kZstdFrame, -1, data, out);
  wrong_family.req.engine = "lz4";
  EXPECT_EQ(wrong_family.run().status, Status::kUnsupported);
}

TEST(RunInSoftware, ScatterGatherMatchesContiguous) {
  const Bytes data = datagen::text(50'000, 7);
  for (Framing f : kAllFramings) {
    const Bytes whole = compress(f, -1, data);
    Bytes pieces(whole.size() + 4096);
    Job c(Operation::kCompress, f, -1, data, pieces, 7'777, 1'000);
    ASSERT_EQ(c.run().status, Status::kOk) << to_string(f);
    pieces.resize(c.req.result.produced);
    EXPECT_EQ(pieces, whole) << to_string(f);

    Bytes back(data.size());
    Job d(Operation::kDecompress, f, -1, whole, back, 333, 4'096);
    ASSERT_EQ(d.run().status, Status::kOk) << to_string(f);
    EXPECT_EQ(d.req.result.produced, data.size());
    EXPECT_EQ(d.req.result.consumed, whole.size());
    EXPECT_EQ(d.req.result.checksum, expected_checksum(f, data)) << to_string(f);
    EXPECT_TRUE(d.req.result.end);
    EXPECT_EQ(back, data) << to_string(f);
  }
}

// Parallel chunks (pigz-style): each piece ends with a sync flush and is primed with the
// previous 32 KiB; their concatenation must be one valid raw deflate stream.
TEST(RunInSoftware, SyncChunksWithDictionaryConcatenate) {
  const Bytes data = datagen::text(300'000, 8);
  constexpr size_t kChunk = 64 * 1024, kWindow = 32 * 1024;
  for (int level : {1, 3, 6, 9}) {
    Bytes stream;
    uint32_t crc = 0;
    for (size_t at = 0; at < data.size(); at += kChunk) {
      const size_t n = std::min(kChunk, data.size() - at);
      const bool last = at + n == data.size();
      Bytes out(n + n / 2 + 1024);
      Job job(Operation::kCompress, Framing::kRaw, level, ByteSpan(data).subspan(at, n), out);
      job.req.flush = last ? Flush::kFinish : Flush::kSync;
      if (at > 0) {
        const size_t w = std::min(kWindow, at);
        job.req.dictionary = ByteSpan(data).subspan(at - w, w);
      }
      job.req.checksum_seed = crc;
      const Result& r = job.run();
      ASSERT_EQ(r.status, Status::kOk) << "level " << level << " at " << at;
      EXPECT_EQ(r.end, last);
      EXPECT_EQ(r.consumed, n);
      crc = r.checksum;
      stream.insert(stream.end(), out.begin(), out.begin() + static_cast<ptrdiff_t>(r.produced));
    }
    EXPECT_EQ(crc, crc32(0, data));
    EXPECT_EQ(zlib_inflate(stream, -15, data.size()), data) << "level " << level;
  }
}

TEST(RunInSoftware, DecompressWithDictionary) {
  const Bytes data = datagen::text(80'000, 9);
  const ByteSpan dict = ByteSpan(data).first(40'000);
  const ByteSpan tail = ByteSpan(data).subspan(40'000);
  Bytes packed(60'000);
  Job c(Operation::kCompress, Framing::kRaw, 6, tail, packed);
  c.req.dictionary = dict;
  ASSERT_EQ(c.run().status, Status::kOk);
  packed.resize(c.req.result.produced);
  Bytes back(tail.size());
  Job d(Operation::kDecompress, Framing::kRaw, -1, packed, back);
  d.req.dictionary = dict;
  ASSERT_EQ(d.run().status, Status::kOk);
  EXPECT_EQ(back, Bytes(tail.begin(), tail.end()));
}

TEST(RunInSoftware, ShapesNoEngineCanDo) {
  const Bytes data = datagen::text(1000, 10);
  Bytes out(4000);
  Job zlib_sync(Operation::kCompress, Framing::kZlib, 6, data, out);
  zlib_sync.req.flush = Flush::kSync;
  EXPECT_EQ(zlib_sync.run().status, Status::kUnsupported);
  Job gzip_dict(Operation::kCompress, Framing::kGzip, 6, data, out);
  gzip_dict.req.dictionary = ByteSpan(data).first(100);
  EXPECT_EQ(gzip_dict.run().status, Status::kUnsupported);
  Job lz4_sync(Operation::kCompress, Framing::kLz4Frame, 1, data, out);
  lz4_sync.req.flush = Flush::kFull;
  EXPECT_EQ(lz4_sync.run().status, Status::kUnsupported);
  Job no_flush(Operation::kCompress, Framing::kRaw, 6, data, out);
  no_flush.req.flush = Flush::kNone;
  EXPECT_EQ(no_flush.run().status, Status::kUnsupported);
  Job level10(Operation::kCompress, Framing::kGzip, 10, data, out);
  EXPECT_EQ(level10.run().status, Status::kUnsupported);
}

TEST(RunInSoftware, IncompressibleInput) {
  const Bytes noise = datagen::random(4096, 11);
  for (Framing f : kAllFramings) {
    Bytes out(8192);
    Job job(Operation::kCompress, f, -1, noise, out);
    job.req.incompressible_ok = true;
    const Result& r = job.run();
    EXPECT_EQ(r.status, Status::kIncompressible) << to_string(f);
    EXPECT_EQ(r.produced, 0u);
    EXPECT_EQ(r.checksum, expected_checksum(f, noise)) << to_string(f);
    // Without the flag the (larger) stream is emitted.
    Job plain(Operation::kCompress, f, -1, noise, out);
    EXPECT_EQ(plain.run().status, Status::kOk) << to_string(f);
    EXPECT_GE(plain.req.result.produced, noise.size()) << to_string(f);
  }
  // Compressible data passes with the flag set.
  const Bytes text = datagen::text(4096, 12);
  Bytes out(8192);
  Job ok(Operation::kCompress, Framing::kLz4Block, 1, text, out);
  ok.req.incompressible_ok = true;
  EXPECT_EQ(ok.run().status, Status::kOk);
  EXPECT_LT(ok.req.result.produced, text.size());
}

TEST(RunInSoftware, OutputOverflow) {
  const Bytes data = datagen::text(50'000, 13);
  for (Framing f : kAllFramings) {
    Bytes tiny(64);
    Job c(Operation::kCompress, f, -1, data, tiny);
    EXPECT_EQ(c.run().status, Status::kOutputOverflow) << to_string(f);

    const Bytes packed = compress(f, -1, data);
    if (f == Framing::kLz4Block) continue;  // a block decoder cannot tell short from corrupt
    Bytes small(data.size() / 2);
    Job one(Operation::kDecompress, f, -1, packed, small);
    EXPECT_EQ(one.run().status, Status::kOutputOverflow) << to_string(f);
    Job scattered(Operation::kDecompress, f, -1, packed, small, 0, 1000);
    EXPECT_EQ(scattered.run().status, Status::kOutputOverflow) << to_string(f);
    // Nothing usable was produced: a caller must not mistake the prefix for a result.
    EXPECT_EQ(scattered.req.result.produced, 0u);
    EXPECT_EQ(scattered.req.result.consumed, 0u);
  }
}

TEST(RunInSoftware, BadData) {
  const Bytes data = datagen::text(50'000, 14);
  for (Framing f : kAllFramings) {
    const Bytes packed = compress(f, -1, data);
    Bytes out(data.size() + 1000);
    Bytes truncated(packed.begin(), packed.begin() + static_cast<ptrdiff_t>(packed.size() / 2));
    Job t(Operation::kDecompress, f, -1, truncated, out);
    EXPECT_EQ(t.run().status, Status::kBadData) << "truncated " << to_string(f);
    Job ts(Operation::kDecompress, f, -1, truncated, out, 100, 5000);
    EXPECT_EQ(ts.run().status, Status::kBadData) << "truncated, scattered " << to_string(f);

    Bytes garbage = datagen::random(packed.size(), 15);
    Job g(Operation::kDecompress, f, -1, garbage, out);
    EXPECT_EQ(g.run().status, Status::kBadData) << "garbage " << to_string(f);
  }
  // A flipped bit in the gzip trailer's CRC is caught on both paths.
  Bytes gz = compress(Framing::kGzip, 6, data);
  gz[gz.size() - 6] ^= 0x10;
  Bytes out(data.size());
  Job one(Operation::kDecompress, Framing::kGzip, -1, gz, out);
  EXPECT_EQ(one.run().status, Status::kBadData);
  Job scattered(Operation::kDecompress, Framing::kGzip, -1, gz, out, 0, 4096);
  EXPECT_EQ(scattered.run().status, Status::kBadData);
}

TEST(RunInSoftware, GzipMembersConcatenate) {
  const Bytes a = datagen::text(30'000, 16), b = datagen::text(20'000, 17);
  Bytes both = compress(Framing::kGzip, 1, a);
  const Bytes second = compress(Framing::kGzip, 9, b);
  both.insert(both.end(), second.begin(), second.end());
  Bytes whole = a;
  whole.insert(whole.end(), b.begin(), b.end());
  for (size_t dst_piece : {size_t{0}, size_t{4096}}) {
    Bytes out(whole.size());
    Job d(Operation::kDecompress, Framing::kGzip, -1, both, out, 0, dst_piece);
    ASSERT_EQ(d.run().status, Status::kOk);
    EXPECT_EQ(d.req.result.produced, whole.size());
    EXPECT_EQ(d.req.result.consumed, both.size());
    EXPECT_EQ(d.req.result.checksum, crc32(0, whole));
    EXPECT_EQ(out, whole) << "dst piece " << dst_piece;
  }
}

TEST(RunInSoftware, ChecksumContinuesFromSeed) {
  const Bytes data = datagen::text(40'000, 18);
  const ByteSpan first = ByteSpan(data).first(17'000), second = ByteSpan(data).subspan(17'000);
  for (Framing f : kAllFramings) {
    Bytes out(50'000);
    Job a(Operation::kCompress, f, -1, first, out);
    ASSERT_EQ(a.run().status, Status::kOk);
    Job b(Operation::kCompress, f, -1, second, out);
    b.req.checksum_seed = a.req.result.checksum;
    ASSERT_EQ(b.run().status, Status::kOk);
    EXPECT_EQ(b.req.result.checksum, expected_checksum(f, data)) << to_string(f);

    // The decompress side continues the same way.
    out.resize(b.req.result.produced);
    Bytes back(second.size());
    Job d(Operation::kDecompress, f, -1, out, back);
    d.req.checksum_seed = a.req.result.checksum;
    ASSERT_EQ(d.run().status, Status::kOk) << to_string(f);
    EXPECT_EQ(d.req.result.checksum, expected_checksum(f, data)) << to_string(f);
  }
}

// More shapes than a thread keeps contexts for: evicted contexts are rebuilt, reused ones
// are reset, and every result stays right.
TEST(RunInSoftware, ManyShapesOnOneThread) {
  const Bytes data = datagen::text(4096, 19);
  for (int round = 0; round < 2; ++round) {
    for (int level = 0; level <= 9; ++level) {
      for (Framing f : {Framing::kRaw, Framing::kGzip, Framing::kZstdFrame, Framing::kLz4Frame}) {
        const int l = f == Framing::kLz4Frame || f == Framing::kZstdFrame ? level + 1 : level;
        EXPECT_EQ(decompress(f, compress(f, l, data), data.size()), data)
            << to_string(f) << " level " << l;
      }
    }
  }
}

TEST(RunInSoftware, EmptyInput) {
  for (Framing f : kAllFramings) {
    Bytes out(256);
    Job c(Operation::kCompress, f, -1, ByteSpan{}, out);
    ASSERT_EQ(c.run().status, Status::kOk) << to_string(f);
    out.resize(c.req.result.produced);
    Bytes back(16);
    Job d(Operation::kDecompress, f, -1, out, back);
    ASSERT_EQ(d.run().status, Status::kOk) << to_string(f);
    EXPECT_EQ(d.req.result.produced, 0u);
  }
}

}  // namespace
}  // namespace accz
