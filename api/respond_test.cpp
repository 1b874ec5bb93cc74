// ErrorReply: every error becomes the project's JSON body with a stable code from the error, the
// status of its kind, and Retry-After on every 429 and 503.
#include "api/respond.h"

#include <gtest/gtest.h>

#include "core/error_codes.h"
#include "core/json.h"

namespace pc::api {
namespace {

namespace bh = boost::beast::http;

json::object Body(const http::Response& res) {
  auto v = ParseJson(res.body());
  EXPECT_TRUE(v.ok() && v->is_object() && v->as_object().contains("error")) << res.body();
  return v.ok() && v->is_object() ? v->at("error").as_object() : json::object{};
}

TEST(ErrorReplyTest, EveryKindHasItsStableCodeAndStatus) {
  for (int k = 0; k <= static_cast<int>(ErrorCode::kInternal); ++k) {
    auto kind = static_cast<ErrorCode>(k);
    auto res = ErrorReply(Error(kind, "what went wrong"));
    EXPECT_EQ(res.result(), StatusFor(kind));
    auto error = Body(res);
    EXPECT_EQ(std::string(error.at("code").as_string()), ErrorCodeName(kind));
    EXPECT_EQ(std::string(error.at("message").as_string()), "what went wrong");
  }
}

TEST(ErrorReplyTest, DomainCodeIsTheBodysCodeWithItsKindsStatus) {
  // The code comes from the error, whatever its message says.
  auto res = ErrorReply(Error(codes::kNoUsageYet, "Nothing rated for ACME in 2025-03"));
  EXPECT_EQ(res.result(), http::Status::not_found);
  EXPECT_EQ(std::string(Body(res).at("code").as_string()), "NoUsageYet");
  auto clc = ErrorReply(Error(codes::kClcLoginFailed, "Invalid username or password"));
  EXPECT_EQ(clc.result(), http::Status::bad_request);
  EXPECT_EQ(std::string(Body(clc).at("code").as_string()), "ClcLoginFailed");
  // A NotFound with the same words but no domain code is a plain NotFound.
  auto plain = ErrorReply(NotFound("No Azure usage has been rated yet"));
  EXPECT_EQ(std::string(Body(plain).at("code").as_string()), "NotFound");
  EXPECT_TRUE(Error(codes::kNoUsageYet, "x").Is(codes::kNoUsageYet));
  EXPECT_FALSE(NotFound("x").Is(codes::kNoUsageYet));
}

TEST(ErrorReplyTest, TooManyRequestsAndUnavailableCarryRetryAfterFromTheError) {
  auto throttled = ErrorReply(RetryAfter(Error(ErrorCode::kResourceExhausted, "slow down"),
                                         std::chrono::milliseconds(41'200)));
  EXPECT_EQ(throttled.result(), http::Status::too_many_requests);
  EXPECT_EQ(std::string(throttled[bh::field::retry_after]), "42");  // rounded up
  auto busy = ErrorReply(RetryAfter(Unavailable("busy"), std::chrono::seconds(7)));
  EXPECT_EQ(std::string(busy[bh::field::retry_after]), "7");
  // Without advice of its own, the default.
  auto down = ErrorReply(Unavailable("The database is not reachable"));
  EXPECT_EQ(down.result(), http::Status::service_unavailable);
  EXPECT_EQ(std::string(down[bh::field::retry_after]),
            std::to_string(kDefaultRetryAfter.count() / 1000));
  // Other statuses have none.
  auto bad = ErrorReply(InvalidArgument("bad"));
  EXPECT_TRUE(bad[bh::field::retry_after].empty());
}

TEST(ErrorReplyTest, AllCodesAreDistinct) {
  auto all = codes::AllErrorCodes();
  std::set<std::string_view> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), all.size());
}

}  // namespace
}  // namespace pc::api
