// The zlib engine reaches zlib only through the ZlibApi table in force when an object is made.
#include "engines/zlib/zlib_api.h"

#include <gtest/gtest.h>

#include <atomic>

#include "accz/engine.h"
#include "engines/testing/test_data.h"

namespace accz {
namespace {

std::atomic<int> g_deflate_calls{0}, g_inflate_calls{0};

int counting_deflate(z_streamp s, int flush) {
  ++g_deflate_calls;
  return system_zlib_api().deflate(s, flush);
}
int counting_inflate(z_streamp s, int flush) {
  ++g_inflate_calls;
  return system_zlib_api().inflate(s, flush);
}

TEST(ZlibApi, DefaultTableIsTheLinkedZlib) {
  EXPECT_STREQ(zlib_api().zlibVersion(), zlibVersion());
  EXPECT_EQ(zlib_api().deflate, &::deflate);
  EXPECT_EQ(system_zlib_api().inflate, &::inflate);
}

TEST(ZlibApi, EngineCallsGoThroughTheTable) {
  const Engine* zlib = find_engine("zlib");
  ASSERT_NE(zlib, nullptr);
  auto before_c = zlib->compressor(6, Framing::kRaw);  // made with the default table

  ZlibApi counting = system_zlib_api();
  counting.deflate = &counting_deflate;
  counting.inflate = &counting_inflate;
  set_zlib_api(counting);
  auto c = zlib->compressor(6, Framing::kRaw);
  auto d = zlib->decompressor(Framing::kRaw);
  set_zlib_api(system_zlib_api());

  testing::Bytes in = testing::text_bytes(50'000), comp(60'000), out(in.size());
  CodecResult r = c->compress(in, comp);
  ASSERT_EQ(r.status, Status::kOk);
  EXPECT_GT(g_deflate_calls.load(), 0);
  ASSERT_EQ(d->decompress(testing::Bytes(comp.begin(), comp.begin() + r.produced), out).status,
            Status::kOk);
  EXPECT_GT(g_inflate_calls.load(), 0);
  EXPECT_EQ(out, in);

  // Objects keep the table they were made with: the earlier one never counts.
  const int seen = g_deflate_calls.load();
  ASSERT_EQ(before_c->compress(in, comp).status, Status::kOk);
  EXPECT_EQ(g_deflate_calls.load(), seen);
  // And objects made after the table was restored do not count either.
  auto after_c = zlib->compressor(6, Framing::kRaw);
  ASSERT_EQ(after_c->compress(in, comp).status, Status::kOk);
  EXPECT_EQ(g_deflate_calls.load(), seen);
}

}  // namespace
}  // namespace accz
