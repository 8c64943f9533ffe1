// ISA-L specifics beyond the shared engine contract (engines_test.cc).
#include <gtest/gtest.h>

#include "accz/engine.h"
#include "engines/testing/test_data.h"

namespace accz {
namespace {

using testing::Bytes;

Bytes one_shot(Compressor& c, const Bytes& in) {
  Bytes out(c.bound(in.size()));
  CodecResult r = c.compress(in, out);
  EXPECT_EQ(r.status, Status::kOk);
  out.resize(r.produced);
  return out;
}

// Levels 1-3 run on their level buffers; the top level must buy a smaller output on text
// than the bottom ones (neighbouring levels may tie or swap by a few bytes).
TEST(Isal, HigherLevelsCompressTextBetter) {
  const Engine* isal = find_engine("isal");
  ASSERT_NE(isal, nullptr);
  Bytes in = testing::text_bytes(500'000, 61);
  std::vector<size_t> sizes;
  for (int level = 0; level <= 3; ++level) {
    auto c = isal->compressor(level, Framing::kRaw);
    sizes.push_back(one_shot(*c, in).size());
  }
  EXPECT_LT(sizes[3], sizes[0]);
  EXPECT_LT(sizes[3], sizes[1]);
  EXPECT_LT(sizes[1], sizes[0]);
}

// The one-shot path (stateless igzip) and the streaming path must both give zlib-readable
// streams from the same object, in any order.
TEST(Isal, StatelessAndStreamingInterleave) {
  const Engine* isal = find_engine("isal");
  Bytes in = testing::mixed_bytes(200'000, 62);
  for (int level = 0; level <= 3; ++level) {
    auto c = isal->compressor(level, Framing::kRaw);
    Bytes a = one_shot(*c, in);
    Bytes s(c->bound(in.size()) + 1024);
    CodecResult r = c->stream(in, s, Flush::kFinish);
    ASSERT_EQ(r.status, Status::kOk);
    ASSERT_TRUE(r.end);
    s.resize(r.produced);
    Bytes b = one_shot(*c, in);
    EXPECT_EQ(a, b);
    for (const Bytes* comp : {&a, &s}) {
      Bytes out;
      bool ended = false;
      ASSERT_TRUE(testing::zlib_inflate(*comp, &out, -15, &ended));
      EXPECT_TRUE(ended);
      EXPECT_EQ(out, in) << "level " << level;
    }
  }
}

// A stream that has ended refuses more input until reset().
TEST(Isal, EndedStreamWantsReset) {
  auto c = find_engine("isal")->compressor(1, Framing::kRaw);
  Bytes out(1000), in = {1, 2, 3};
  ASSERT_TRUE(c->stream(in, out, Flush::kFinish).end);
  EXPECT_EQ(c->stream(in, out, Flush::kNone).status, Status::kUnsupported);
  CodecResult r = c->stream({}, out, Flush::kFinish);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(r.end);
  c->reset();
  EXPECT_EQ(c->stream(in, out, Flush::kFinish).status, Status::kOk);
}

}  // namespace
}  // namespace accz
