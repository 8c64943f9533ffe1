#include "store/backing/memory_backing.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

namespace accz::store {
namespace {

std::vector<uint8_t> filled(size_t n, uint8_t v) { return std::vector<uint8_t>(n, v); }

TEST(MemoryBacking, StartsZeroAndReadsBackWrites) {
  MemoryBacking m(64 * 1024);
  EXPECT_EQ(m.size(), 64u * 1024);
  std::vector<uint8_t> buf(4096, 0xEE);
  ASSERT_TRUE(m.read(8192, buf).ok());
  EXPECT_EQ(buf, filled(4096, 0));

  ASSERT_TRUE(m.write(8192 + 512, filled(1024, 0xAB)).ok());
  ASSERT_TRUE(m.flush().ok());
  ASSERT_TRUE(m.read(8192, buf).ok());
  for (size_t i = 0; i < buf.size(); ++i) {
    EXPECT_EQ(buf[i], (i >= 512 && i < 1536) ? 0xAB : 0) << i;
  }
}

TEST(MemoryBacking, RejectsMisalignedAndOutOfRangeWithoutChanges) {
  MemoryBacking m(8192);
  auto data = filled(512, 1);
  StoreStatus s = m.write(100, data);
  EXPECT_EQ(s.code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(s.posix_errno(), EINVAL);
  EXPECT_EQ(m.write(0, filled(100, 1)).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(m.write(8192, data).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(m.write(7680, filled(1024, 1)).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(m.write(UINT64_MAX - 511, data).code(), StoreErrc::kInvalidArgument);
  std::vector<uint8_t> out(512);
  EXPECT_EQ(m.read(8192, out).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(m.snapshot(), filled(8192, 0));
  // The last sector and an empty I/O at the end are fine.
  EXPECT_TRUE(m.write(7680, data).ok());
  EXPECT_TRUE(m.write(8192, {}).ok());
}

TEST(MemoryBacking, SizeRoundsDownToSectors) {
  MemoryBacking m(1000);
  EXPECT_EQ(m.size(), 512u);
  MemoryBacking img(filled(1536, 7));
  EXPECT_EQ(img.size(), 1536u);
  std::vector<uint8_t> out(1536);
  ASSERT_TRUE(img.read(0, out).ok());
  EXPECT_EQ(out, filled(1536, 7));
}

TEST(StoreStatus, NamesAndErrnos) {
  EXPECT_TRUE(StoreStatus::Ok().ok());
  EXPECT_EQ(StoreStatus::Ok().posix_errno(), 0);
  EXPECT_EQ(StoreStatus::IoError("x").posix_errno(), EIO);
  EXPECT_EQ(StoreStatus::NoSpace("x").posix_errno(), ENOSPC);
  EXPECT_EQ(StoreStatus::ReadOnly("x").posix_errno(), EROFS);
  EXPECT_EQ(StoreStatus::FromErrno(ENOSPC, "pwrite").code(), StoreErrc::kNoSpace);
  EXPECT_EQ(StoreStatus::FromErrno(EIO, "pwrite").code(), StoreErrc::kIoError);
  EXPECT_EQ(StoreStatus::IoError("disk gone").to_string(), "I/O error: disk gone");
}

}  // namespace
}  // namespace accz::store
