// Standard Webhooks signatures: the example of the specification's reference libraries, and
// secrets of the documented form.
#include "webhooks/signature.h"

#include <gtest/gtest.h>

#include "core/random.h"

namespace pc::webhooks {
namespace {

TEST(SignatureTest, MatchesTheStandardWebhooksReferenceExample) {
  // The example used by the standard-webhooks reference libraries' tests.
  auto signature = Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                        1614265330, R"({"test": 2432232314})");
  ASSERT_TRUE(signature.ok()) << signature.error().message;
  EXPECT_EQ(*signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Another timestamp, id or body is another signature.
  EXPECT_NE(*Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                  1614265331, R"({"test": 2432232314})"),
            *signature);
}

TEST(SignatureTest, NewSecretsAreWhsecBase64OfThirtyTwoRandomBytes) {
  InitCrypto();
  std::string a = NewSecret(), b = NewSecret();
  EXPECT_NE(a, b);
  ASSERT_TRUE(a.starts_with("whsec_"));
  EXPECT_EQ(a.size(), 6u + 44u);  // base64 of 32 bytes
  EXPECT_TRUE(Sign(a, "msg_1", 1, "{}").ok());
}

TEST(SignatureTest, MalformedSecretsAreRefused) {
  EXPECT_FALSE(Sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}").ok());
  EXPECT_FALSE(Sign("whsec_", "m", 1, "{}").ok());
  EXPECT_FALSE(Sign("whsec_not base64!", "m", 1, "{}").ok());
}

}  // namespace
}  // namespace pc::webhooks
