// SharedTokenBucket on SQLite and PostgreSQL: two instances (two connections to one database,
// as two servers) together take tokens no faster than the one rate.
#include "jobs/shared_bucket.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/scratch_database.h"

namespace pc::jobs {
namespace {

using store::TestBackend;

class SharedBucketTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    auto created = scratch_.Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.error().message;
    for (auto* db : {&a_, &b_}) {
      auto opened = store::Database::Open(scratch_.url());
      ASSERT_TRUE(opened.ok()) << opened.error().message;
      *db = std::move(opened).value();
    }
    ASSERT_TRUE(a_->Migrate().ok());
  }
  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> a_, b_;
};

TEST_P(SharedBucketTest, TwoInstancesTogetherStayUnderTheOneRate) {
  // 1,200 a minute (20 a second), bursts of 2. Alone, each instance would take 22 tokens in
  // about a second; sharing the bucket, 44 tokens need at least (44 - 2) / 20 = 2.1 seconds
  // whatever the speed of the machine (a slower one only takes longer).
  constexpr int kPerInstance = 22;
  SharedTokenBucket here(*a_, "partner_center", 1200, 2);
  SharedTokenBucket there(*b_, "partner_center", 1200, 2);
  auto start = std::chrono::steady_clock::now();
  std::atomic<int> taken{0};
  std::vector<std::thread> threads;
  for (auto* bucket : {&here, &there}) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([bucket, &taken] {
        for (int i = 0; i < kPerInstance / 2; ++i) {
          bucket->Acquire();
          ++taken;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(taken.load(), 2 * kPerInstance);
  EXPECT_GE(elapsed, (2.0 * kPerInstance - 2.0) / 20.0 - 0.01)
      << "the two instances took tokens faster than the shared rate";
}

TEST_P(SharedBucketTest, AnEmptyBucketSaysHowLongToWait) {
  SharedTokenBucket bucket(*a_, "arm", 60, 1);  // one a second, no burst
  auto first = bucket.TryAcquire();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->count(), 0);
  auto second = bucket.TryAcquire();
  ASSERT_TRUE(second.ok());
  EXPECT_GT(second->count(), 1);
  EXPECT_LE(second->count(), 1000001);
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedBucketTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return store::TestBackendName(info.param); });

}  // namespace
}  // namespace pc::jobs
