#include "core/random.h"

#include <gtest/gtest.h>

#include <set>

namespace pc {
namespace {

TEST(RandomTest, TokenIsUrlSafeBase64WithoutPadding) {
  InitCrypto();
  InitCrypto();  // safe to call again
  const std::string token = RandomToken();
  EXPECT_EQ(token.size(), 43u);  // 32 bytes -> ceil(32 * 4 / 3)
  for (char c : token) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << token;
  }
  EXPECT_EQ(RandomToken(16).size(), 22u);
  EXPECT_EQ(RandomToken(3).size(), 4u);
  EXPECT_EQ(RandomToken(0), "");
  EXPECT_NE(RandomToken(), RandomToken());
}

TEST(RandomTest, UniformStaysBelowTheBound) {
  std::set<uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const uint32_t v = RandomUniform(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(RandomUniform(1), 0u);
}

TEST(RandomTest, Sha256HexMatchesKnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string_view()), Sha256Hex(""));
  EXPECT_EQ(Sha256Hex(std::string_view("a\0b", 3)).size(), 64u);
}

}  // namespace
}  // namespace pc
