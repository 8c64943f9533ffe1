#include "store/backing/file_backing.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace accz::store {
namespace {

class FileBackingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("accz_file_backing_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::string path_;
};

TEST_F(FileBackingTest, MissingFileIsAnErrorUnlessCreated) {
  auto r = FileBacking::open(path_);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.value, nullptr);

  auto c = FileBacking::open(path_, {.create = true, .size = 1 << 20});
  ASSERT_TRUE(c.ok()) << c.status.to_string();
  EXPECT_EQ(c.value->size(), 1u << 20);
  EXPECT_EQ(std::filesystem::file_size(path_), 1u << 20);
}

TEST_F(FileBackingTest, WritesSurviveReopen) {
  std::vector<uint8_t> data(8192);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + 1);
  {
    auto c = FileBacking::open(path_, {.create = true, .size = 64 * 1024});
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.value->write(4096, data).ok());
    ASSERT_TRUE(c.value->flush().ok());
  }
  auto r = FileBacking::open(path_, {.read_only = true});
  ASSERT_TRUE(r.ok()) << r.status.to_string();
  EXPECT_EQ(r.value->size(), 64u * 1024);
  std::vector<uint8_t> out(data.size());
  ASSERT_TRUE(r.value->read(4096, out).ok());
  EXPECT_EQ(out, data);
  std::vector<uint8_t> zeros(4096, 0xFF);
  ASSERT_TRUE(r.value->read(0, zeros).ok());
  EXPECT_EQ(zeros, std::vector<uint8_t>(4096, 0));

  EXPECT_EQ(r.value->write(0, data).code(), StoreErrc::kReadOnly);
  EXPECT_TRUE(r.value->flush().ok());
}

TEST_F(FileBackingTest, SizeIsRoundedDownAndRangesChecked) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::vector<char> junk(1500, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto r = FileBacking::open(path_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value->size(), 1024u);
  std::vector<uint8_t> buf(512);
  EXPECT_EQ(r.value->read(1024, buf).code(), StoreErrc::kInvalidArgument);
  EXPECT_EQ(r.value->write(3, buf).code(), StoreErrc::kInvalidArgument);
  ASSERT_TRUE(r.value->read(512, buf).ok());
  EXPECT_EQ(buf, std::vector<uint8_t>(512, 'x'));
}

TEST_F(FileBackingTest, RejectsDirectories) {
  auto r = FileBacking::open(std::filesystem::temp_directory_path().string());
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace accz::store
