#include "store/volume/block_codec.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "util/rng.h"

namespace accz::store {
namespace {

// Words from a small vocabulary: compressible by every algorithm, lz4 included.
std::vector<uint8_t> text_block(uint64_t seed) {
  static const char* const kWords[] = {"block ",  "store ",    "journal ", "extent ",
                                       "packer ", "fragment ", "dedupe ",  "volume "};
  std::vector<uint8_t> b;
  Rng rng(seed);
  while (b.size() < kBlockSize) {
    for (const char* w = kWords[rng.below(8)]; *w != 0 && b.size() < kBlockSize; ++w) {
      b.push_back(static_cast<uint8_t>(*w));
    }
  }
  return b;
}

std::vector<uint8_t> random_block(uint64_t seed) {
  std::vector<uint8_t> b(kBlockSize);
  Rng rng(seed);
  for (auto& c : b) c = static_cast<uint8_t>(rng.next());
  return b;
}

class BlockCodecTest : public ::testing::TestWithParam<VolumeAlgorithm> {
 protected:
  void SetUp() override {
    AccelOptions o;
    o.cpu_instances = 2;
    std::string err;
    accel_ = Accel::open(o, &err);
    ASSERT_TRUE(accel_) << err;
  }
  std::unique_ptr<Accel> accel_;
};

TEST_P(BlockCodecTest, CompressibleBlocksRoundTripThroughAFragment) {
  const auto block = text_block(1);
  CompressionJob job;
  prepare_compression(&job, GetParam(), 0, block);
  accel_->run(job.req);
  auto frag = job_fragment(job, kMaxFragmentBytes);
  ASSERT_TRUE(frag.has_value()) << to_string(job.req.result.status);
  EXPECT_LT(frag->size(), 3000u);
  std::vector<uint8_t> out(kBlockSize);
  ASSERT_TRUE(decompress_fragment(*accel_, GetParam(), *frag, out).ok());
  EXPECT_EQ(out, block);
  // A threshold below the fragment's size sends the block to be written whole.
  EXPECT_FALSE(job_fragment(job, frag->size()).has_value());
}

TEST_P(BlockCodecTest, IncompressibleBlocksAreWrittenWhole) {
  const auto block = random_block(2);
  CompressionJob job;
  prepare_compression(&job, GetParam(), 0, block);
  accel_->run(job.req);
  EXPECT_FALSE(job_fragment(job, kMaxFragmentBytes).has_value());
}

TEST_P(BlockCodecTest, AsynchronousSubmissionsCompleteThroughPoll) {
  constexpr int kJobs = 64;
  std::vector<std::vector<uint8_t>> blocks;
  std::vector<std::unique_ptr<CompressionJob>> jobs;
  for (int i = 0; i < kJobs; ++i) {
    blocks.push_back(text_block(100 + i));
    jobs.push_back(std::make_unique<CompressionJob>());
    prepare_compression(jobs.back().get(), GetParam(), 0, blocks.back());
    jobs.back()->req.user = reinterpret_cast<void*>(static_cast<uintptr_t>(i));
    while (accel_->submit(&jobs.back()->req) == Status::kBusy) {
      Request* done[1];
      accel_->poll(done, true);
    }
  }
  accel_->drain();
  std::vector<Request*> done(kJobs);
  size_t got = 0;
  while (got < kJobs) {
    const size_t n = accel_->poll(std::span(done).subspan(got), true);
    ASSERT_GT(n, 0u);
    got += n;
  }
  for (const auto& job : jobs) {
    const int i = static_cast<int>(reinterpret_cast<uintptr_t>(job->req.user));
    auto frag = job_fragment(*job, kMaxFragmentBytes);
    ASSERT_TRUE(frag.has_value());
    std::vector<uint8_t> out(kBlockSize);
    ASSERT_TRUE(decompress_fragment(*accel_, GetParam(), *frag, out).ok());
    ASSERT_EQ(out, blocks[i]);
  }
}

TEST_P(BlockCodecTest, ATruncatedOrForeignFragmentIsCorrupt) {
  const auto block = text_block(3);
  CompressionJob job;
  prepare_compression(&job, GetParam(), 0, block);
  accel_->run(job.req);
  auto frag = job_fragment(job, kMaxFragmentBytes);
  ASSERT_TRUE(frag.has_value());
  std::vector<uint8_t> out(kBlockSize);
  EXPECT_EQ(decompress_fragment(*accel_, GetParam(), frag->first(frag->size() / 2), out).code(),
            StoreErrc::kCorruption);
  EXPECT_EQ(decompress_fragment(*accel_, VolumeAlgorithm::kNone, *frag, out).code(),
            StoreErrc::kCorruption);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, BlockCodecTest,
                         ::testing::Values(VolumeAlgorithm::kLz4, VolumeAlgorithm::kDeflate,
                                           VolumeAlgorithm::kZstd),
                         [](const auto& p) { return std::string(to_string(p.param)); });

}  // namespace
}  // namespace accz::store
