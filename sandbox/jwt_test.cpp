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

namespace pc::sandbox {
namespace {

TEST(JwtTest, Rs256SignsWhatItsKeySetVerifies) {
  const auto& signer = Rs256Signer::Instance();
  json::object claims{{"aud", "https://management.azure.com"}, {"tid", "t"}};
  std::string token = signer.Sign(claims);
  auto back = signer.Verify(token);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->at("aud"), "https://management.azure.com");
  auto jwks = signer.Jwks("https://issuer/");
  const auto& key = jwks.at("keys").as_array().at(0).as_object();
  EXPECT_EQ(key.at("kid").as_string(), signer.kid());
  EXPECT_EQ(key.at("e"), "AQAB");
  EXPECT_GT(key.at("n").as_string().size(), 300u);  // 2048 bits, base64url
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(signer.Verify(token).ok());
}

}  // namespace
}  // namespace pc::sandbox
