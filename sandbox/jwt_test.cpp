#include "sandbox/jwt.h"

#include <gtest/gtest.h>

#include "core/random.h"

namespace pc::sandbox {
namespace {

TEST(JwtTest, SignsAndVerifies) {
  InitCrypto();
  json::object claims{{"unique_name", "acme.admin"}, {"exp", 100}};
  std::string token = SignHs256(claims, "key");
  EXPECT_EQ(token.substr(0, token.find('.')), "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9");
  auto back = VerifyHs256(token, "key");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->at("unique_name"), "acme.admin");
  EXPECT_FALSE(VerifyHs256(token, "other").ok());
  EXPECT_FALSE(VerifyHs256("not.a-token", "key").ok());
  token.back() = token.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyHs256(token, "key").ok());
}

}  // namespace
}  // namespace pc::sandbox
