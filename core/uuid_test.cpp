#include "core/uuid.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

namespace pc {
namespace {

int Version(const Uuid& u) { return u.bytes()[6] >> 4; }
bool HasRfcVariant(const Uuid& u) { return (u.bytes()[8] & 0xC0) == 0x80; }

TEST(UuidTest, NilByDefault) {
  Uuid u;
  EXPECT_TRUE(u.IsNil());
  EXPECT_EQ(u.ToString(), "00000000-0000-0000-0000-000000000000");
}

TEST(UuidTest, V4HasVersionAndVariantBits) {
  std::set<Uuid> seen;
  for (int i = 0; i < 1000; ++i) {
    const Uuid u = Uuid::V4();
    EXPECT_EQ(Version(u), 4);
    EXPECT_TRUE(HasRfcVariant(u));
    EXPECT_FALSE(u.IsNil());
    EXPECT_EQ(u.ToString()[14], '4');
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UuidTest, V7StartsWithTheUnixMillisecond) {
  const auto now_ms = [] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  };
  const uint64_t before = now_ms();
  const Uuid u = Uuid::V7();
  const uint64_t after = now_ms();
  EXPECT_EQ(Version(u), 7);
  EXPECT_TRUE(HasRfcVariant(u));
  uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = ms << 8 | u.bytes()[i];
  EXPECT_GE(ms, before);
  EXPECT_LE(ms, after);
}

TEST(UuidTest, V7SortsByCreationTimeAcrossMilliseconds) {
  const Uuid first = Uuid::V7();
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const Uuid second = Uuid::V7();
  EXPECT_LT(first, second);
  EXPECT_LT(first.ToString(), second.ToString());
}

TEST(UuidTest, ParseRoundTrips) {
  for (int i = 0; i < 100; ++i) {
    const Uuid u = i % 2 ? Uuid::V4() : Uuid::V7();
    Result<Uuid> back = Uuid::Parse(u.ToString());
    ASSERT_TRUE(back.ok()) << u.ToString();
    EXPECT_EQ(*back, u);
  }
  Result<Uuid> upper = Uuid::Parse("0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->ToString(), "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b");
}

TEST(UuidTest, ParseRejectsBadText) {
  for (std::string_view text : {
           "",
           "0190a1b2c3d47e5f8a6b7c8d9e0f1a2b",
           "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2",
           "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b0",
           "0190a1b2-c3d4-7e5f-8a6b_7c8d9e0f1a2b",
           "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2g",
           "{0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a}",
           " 0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2",
           "0190a1b2--c3d4-7e5f-8a6b-7c8d9e0f1a2",
       }) {
    Result<Uuid> u = Uuid::Parse(text);
    ASSERT_FALSE(u.ok()) << text;
    EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(u.error().message.find(std::string(text)), std::string::npos) << u.error().message;
  }
}

}  // namespace
}  // namespace pc
