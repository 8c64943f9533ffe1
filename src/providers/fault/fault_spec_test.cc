// Unit tests of the fault spec parser: every key, defaults, round trip, and clear errors.
#include "providers/fault/fault_spec.h"

#include <gtest/gtest.h>

namespace accz {
namespace {

TEST(FaultSpec, EmptyInjectsNothing) {
  std::string err;
  auto s = parse_fault_spec("", &err);
  ASSERT_TRUE(s) << err;
  for (size_t k = 0; k < kFaultKinds; ++k) EXPECT_EQ(s->probability[k], 0.0);
  EXPECT_EQ(s->name, "fault");
  EXPECT_EQ(s->priority, 10);
  EXPECT_EQ(s->seed, 1u);
  EXPECT_EQ(s->slow_ms, 20u);
  EXPECT_TRUE(parse_fault_spec("  ", &err));
}

TEST(FaultSpec, EveryKey) {
  std::string err;
  auto s = parse_fault_spec(
      "error=0.1,busy=0.2,timeout=0.3,slow=0.4,reorder=0.5,truncate=0.6,corrupt=0.7,"
      "unsupported=1,slow_ms=5,seed=42,name=flaky-0,priority=-3",
      &err);
  ASSERT_TRUE(s) << err;
  EXPECT_DOUBLE_EQ(s->p(FaultKind::kError), 0.1);
  EXPECT_DOUBLE_EQ(s->p(FaultKind::kBusy), 0.2);
  EXPECT_DOUBLE_EQ(s->p(FaultKind::kTimeout), 0.3);
  EXPECT_DOUBLE_EQ(s->p(FaultKind::kSlow), 0.4);
  EXPECT_DOUBLE_EQ(s->p(FaultKind::kReorder), 0.5);
  EXPECT_DOUBLE_EQ(s->p(FaultKind::kTruncate), 0.6);
  EXPECT_DOUBLE_EQ(s->p(FaultKind::kCorrupt), 0.7);
  EXPECT_DOUBLE_EQ(s->p(FaultKind::kUnsupported), 1.0);
  EXPECT_EQ(s->slow_ms, 5u);
  EXPECT_EQ(s->seed, 42u);
  EXPECT_EQ(s->name, "flaky-0");
  EXPECT_EQ(s->priority, -3);
}

TEST(FaultSpec, SpacesAroundItemsAreAllowed) {
  std::string err;
  auto s = parse_fault_spec(" error = 0.5 , seed=3 ", &err);
  ASSERT_TRUE(s) << err;
  EXPECT_DOUBLE_EQ(s->p(FaultKind::kError), 0.5);
  EXPECT_EQ(s->seed, 3u);
}

TEST(FaultSpec, RoundTripsThroughToString) {
  std::string err;
  auto s = parse_fault_spec("corrupt=0.125,slow=0.3333,slow_ms=7,seed=9,name=x", &err);
  ASSERT_TRUE(s) << err;
  auto t = parse_fault_spec(s->to_string(), &err);
  ASSERT_TRUE(t) << err << " in " << s->to_string();
  EXPECT_EQ(s->probability, t->probability);
  EXPECT_EQ(s->slow_ms, t->slow_ms);
  EXPECT_EQ(s->seed, t->seed);
  EXPECT_EQ(s->name, t->name);
  EXPECT_EQ(s->priority, t->priority);
}

struct Bad {
  const char* spec;
  const char* says;  // a piece of the error message
};

class FaultSpecBad : public ::testing::TestWithParam<Bad> {};

TEST_P(FaultSpecBad, FailsWithAClearError) {
  std::string err;
  EXPECT_FALSE(parse_fault_spec(GetParam().spec, &err));
  EXPECT_NE(err.find("fault spec"), std::string::npos) << err;
  EXPECT_NE(err.find(GetParam().says), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(
    Specs, FaultSpecBad,
    ::testing::Values(Bad{"frobnicate=0.5", "unknown key 'frobnicate'"},
                      Bad{"error", "not key=value"}, Bad{"error=", "probability"},
                      Bad{"error=1.5", "probability"}, Bad{"busy=-0.1", "probability"},
                      Bad{"busy=nan", "probability"}, Bad{"busy=0.1x", "probability"},
                      Bad{"slow_ms=abc", "slow_ms"}, Bad{"slow_ms=-1", "slow_ms"},
                      Bad{"slow_ms=999999", "slow_ms"}, Bad{"seed=-5", "seed"},
                      Bad{"name=", "name"}, Bad{"name=a b", "name"}, Bad{"name=a/b", "name"},
                      Bad{"priority=high", "priority"}, Bad{"error=0.1,,busy=0.1", "empty item"},
                      Bad{"error=0.1,", "empty item"}, Bad{"error=0.1,error=0.2", "twice"}));

TEST(FaultSpec, NullErrorPointerIsAllowed) { EXPECT_FALSE(parse_fault_spec("bogus=1", nullptr)); }

TEST(FaultSpec, KindNames) {
  EXPECT_EQ(to_string(FaultKind::kError), "error");
  EXPECT_EQ(to_string(FaultKind::kUnsupported), "unsupported");
  EXPECT_EQ(to_string(FaultKind::kCorrupt), "corrupt");
}

}  // namespace
}  // namespace accz
