// The sandbox's Partner Center and ARM rate limits: what a client sees beyond them, and the
// counts the control API reports.
#include "sandbox/rate_limits.h"

#include <gtest/gtest.h>

namespace pc::sandbox {
namespace {

struct Call {
  http::Request request;
  http::RequestContext ctx;
  Call(http::Verb verb, const std::string& path)
      : request(verb, path, 11), ctx{request, "127.0.0.1", path, {}, {}, "", "test", nullptr} {}
};

http::Request Control(http::Verb verb, const std::string& body = "") {
  http::Request req(verb, "/sandbox/control/rate-limits", 11);
  req.body() = body;
  return req;
}

TEST(RateLimitsTest, PartnerCenterAnswers429WithRetryAfterBeyondTheLimit) {
  RateLimits limits;
  ASSERT_EQ(limits.Control(Control(http::Verb::post, R"({"partnerCenterPerMinute":3})")).result(),
            http::Status::ok);
  for (int i = 0; i < 3; ++i) {
    Call c(http::Verb::get, "/partnercenter/v1/customers/abc/subscriptions");
    EXPECT_FALSE(limits.Check(c.ctx, "").has_value()) << i;
  }
  // Paths outside customers, orders and subscriptions are not limited.
  Call other(http::Verb::get, "/partnercenter/v1/agreements");
  EXPECT_FALSE(limits.Check(other.ctx, "").has_value());
  Call over(http::Verb::post, "/partnercenter/v1/customers");
  auto refused = limits.Check(over.ctx, "");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result(), http::Status::too_many_requests);
  int retry_after = std::stoi(std::string((*refused)["Retry-After"]));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 21);  // one token of 3 a minute
  EXPECT_NE(refused->body().find("Rate limit is exceeded"), std::string::npos) << refused->body();

  auto counts = ParseJsonObject(limits.Control(Control(http::Verb::get)).body());
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->at("partnerCenterAdmitted").as_int64(), 3);
  EXPECT_EQ(counts->at("partnerCenter429").as_int64(), 1);
}

TEST(RateLimitsTest, ArmWritesAreLimitedPerSubscriptionAndReadsAreNot) {
  RateLimits limits;
  ASSERT_EQ(limits.Control(Control(http::Verb::post, R"({"armWritesPerHour":2})")).result(),
            http::Status::ok);
  const std::string a = "/arm/subscriptions/AAAA/providers/Microsoft.Storage/register";
  const std::string b = "/arm/subscriptions/bbbb/providers/Microsoft.Storage/register";
  for (int i = 0; i < 2; ++i) {
    Call c(http::Verb::post, a);
    EXPECT_FALSE(limits.Check(c.ctx, "").has_value());
  }
  Call read(http::Verb::get, a);
  EXPECT_FALSE(limits.Check(read.ctx, "").has_value());
  Call third(http::Verb::post, "/arm/subscriptions/aaaa/providers/Microsoft.Web/register");
  auto refused = limits.Check(third.ctx, "");  // same subscription, any case
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result(), http::Status::too_many_requests);
  EXPECT_FALSE(std::string((*refused)["Retry-After"]).empty());
  Call other(http::Verb::post, b);
  EXPECT_FALSE(limits.Check(other.ctx, "").has_value());
}

TEST(RateLimitsTest, ArmWritesOutsideASubscriptionAreLimitedPerTenant) {
  RateLimits limits;
  ASSERT_EQ(limits.Control(Control(http::Verb::post, R"({"armWritesPerHour":1})")).result(),
            http::Status::ok);
  const std::string alias = "/arm/providers/Microsoft.Subscription/aliases/a1";
  Call first(http::Verb::put, alias);
  EXPECT_FALSE(limits.Check(first.ctx, "tenant-a").has_value());
  Call again(http::Verb::put, alias);
  EXPECT_TRUE(limits.Check(again.ctx, "TENANT-A").has_value()) << "tenant-a's budget is spent";
  Call other(http::Verb::put, alias);
  EXPECT_FALSE(limits.Check(other.ctx, "tenant-b").has_value()) << "tenant-b has its own";
}

TEST(RateLimitsTest, ControlRefusesUnknownFieldsAndNegativeLimitsAndZeroTurnsOff) {
  RateLimits limits;
  EXPECT_EQ(limits.Control(Control(http::Verb::post, R"({"perMinute":5})")).result(),
            http::Status::bad_request);
  EXPECT_EQ(limits.Control(Control(http::Verb::post, R"({"armWritesPerHour":-1})")).result(),
            http::Status::bad_request);
  ASSERT_EQ(limits.Control(Control(http::Verb::post, R"({"partnerCenterPerMinute":0})")).result(),
            http::Status::ok);
  for (int i = 0; i < 1000; ++i) {
    Call c(http::Verb::get, "/partnercenter/v1/customers");
    ASSERT_FALSE(limits.Check(c.ctx, "").has_value());
  }
}

}  // namespace
}  // namespace pc::sandbox
