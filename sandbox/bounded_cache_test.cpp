#include "sandbox/bounded_cache.h"

#include <gtest/gtest.h>

namespace pc::sandbox {
namespace {

Timestamp At(int seconds) { return FromUnixSeconds(1'700'000'000 + seconds); }

TEST(BoundedCacheTest, CapsEntriesEvictingTheClosestToExpiry) {
  BoundedCache<int> cache(3, 1000);
  for (int i = 0; i < 100; ++i) cache.Put("k" + std::to_string(i), i, At(1000 + i), 1, At(0));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Find("k0", At(0)), nullptr);
  ASSERT_NE(cache.Find("k99", At(0)), nullptr);
  EXPECT_EQ(*cache.Find("k99", At(0)), 99);
}

TEST(BoundedCacheTest, CapsBytesAndSkipsOversizedEntries) {
  BoundedCache<std::string> cache(100, 10);
  cache.Put("a", "aaaa", At(10), 4, At(0));
  cache.Put("b", "bbbb", At(20), 4, At(0));
  cache.Put("c", "cccc", At(30), 4, At(0));  // 12 > 10: "a" goes
  EXPECT_EQ(cache.Find("a", At(0)), nullptr);
  EXPECT_EQ(cache.bytes(), 8u);
  cache.Put("huge", "x", At(40), 11, At(0));
  EXPECT_EQ(cache.Find("huge", At(0)), nullptr);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(BoundedCacheTest, ExpiresBySandboxClockAndReplaces) {
  BoundedCache<int> cache(10, 10);
  cache.Put("t", 1, At(60), 1, At(0));
  EXPECT_NE(cache.Find("t", At(59)), nullptr);
  EXPECT_EQ(cache.Find("t", At(60)), nullptr);
  cache.Put("t", 2, At(120), 1, At(0));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.Find("t", At(61)), 2);
  cache.Put("u", 3, At(500), 1, At(200));  // "t" has expired at 200: swept on insert
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.bytes(), 1u);
}

}  // namespace
}  // namespace pc::sandbox
