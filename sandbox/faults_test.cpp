#include "sandbox/faults.h"

#include <gtest/gtest.h>

namespace pc::sandbox {
namespace {

FaultPlan Plan(const std::string& text) {
  auto plan = FaultPlan::Parse(json::parse(text));
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message);
  return std::move(plan).value();
}

TEST(FaultPlanTest, SameSeedSameFaults) {
  const std::string text =
      R"({"seed":7,"rules":[{"route":"^POST /partnercenter","errorRate":0.3,"throttleRate":0.3,"retryAfterSeconds":2}]})";
  FaultPlan a = Plan(text), b = Plan(text);
  int errors = 0, throttles = 0;
  for (int i = 0; i < 200; ++i) {
    auto da = a.Decide("POST /partnercenter/v1/customers");
    auto db = b.Decide("POST /partnercenter/v1/customers");
    ASSERT_EQ(da.kind, db.kind) << i;
    errors += da.kind == FaultKind::kError;
    throttles += da.kind == FaultKind::kThrottle;
    if (da.kind == FaultKind::kThrottle) {
      EXPECT_EQ(da.retry_after_seconds, 2);
    }
  }
  EXPECT_GT(errors, 30);
  EXPECT_GT(throttles, 30);
  EXPECT_EQ(a.Decide("GET /arm/x").kind, FaultKind::kNone);
}

TEST(FaultPlanTest, RejectsBadInputNamingTheField) {
  auto bad_rate = FaultPlan::Parse(json::parse(R"({"rules":[{"route":"x","errorRate":2}]})"));
  ASSERT_FALSE(bad_rate.ok());
  EXPECT_NE(bad_rate.error().message.find("errorRate"), std::string::npos);
  auto bad_regex = FaultPlan::Parse(json::parse(R"({"rules":[{"route":"("}]})"));
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_NE(bad_regex.error().message.find("route"), std::string::npos);
}

TEST(SeededRandomTest, GuidsAreDeterministicV4) {
  SeededRandom a(3), b(3);
  std::string g = a.Guid();
  EXPECT_EQ(g, b.Guid());
  EXPECT_EQ(g.size(), 36u);
  EXPECT_EQ(g[14], '4');
}

}  // namespace
}  // namespace pc::sandbox
