#include "billing/allocation.h"

#include <gtest/gtest.h>

#include <random>

namespace pc::billing {
namespace {

Decimal D(const char* text) { return Decimal::Parse(text).value(); }

TEST(AllocationTest, PartsSumToTheRoundedTotalWithTheLargestRemaindersRoundedUp) {
  // Rounded one by one: 1.00 + 1.00 + 1.00 = 3.00, but the total 3.0075 bills 3.01.
  auto parts = AllocateRounding({D("1.0025"), D("1.0026"), D("1.0024")}, 2);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->at(0).ToString(), "1.00");
  EXPECT_EQ(parts->at(1).ToString(), "1.01");  // the largest remainder, 0.0026
  EXPECT_EQ(parts->at(2).ToString(), "1.00");
  // Ties go to the earlier part.
  auto ties = AllocateRounding({D("0.005"), D("0.005"), D("0.005")}, 2);
  ASSERT_TRUE(ties.ok());
  EXPECT_EQ(ties->at(0).ToString(), "0.01");
  EXPECT_EQ(ties->at(1).ToString(), "0.01");
  EXPECT_EQ(ties->at(2).ToString(), "0.00");  // 0.015 bills 0.02
  // Credits round toward negative infinity first: -1.005 + 2.004 = 0.999 bills 1.00.
  auto credit = AllocateRounding({D("-1.005"), D("2.004")}, 2);
  ASSERT_TRUE(credit.ok());
  EXPECT_EQ(credit->at(0).ToString(), "-1.00");
  EXPECT_EQ(credit->at(1).ToString(), "2.00");
  // Whole currencies (JPY) and nothing to allocate.
  EXPECT_EQ(AllocateRounding({D("10.5"), D("0.4")}, 0)->at(0).ToString(), "11");
  EXPECT_TRUE(AllocateRounding({}, 2)->empty());
}

// Random parts (seeded): the allocated parts always sum to the total rounded half-up, and each
// is within one minor unit of its exact amount.
TEST(AllocationTest, RandomPartsAlwaysAddUp) {
  std::mt19937_64 random(17);
  for (int round = 0; round < 300; ++round) {
    std::vector<Decimal> parts(1 + random() % 40);
    Decimal total;
    for (auto& p : parts) {
      int64_t mantissa = static_cast<int64_t>(random() % 2000000) - 300000;
      p = Decimal::FromParts(mantissa, static_cast<int>(random() % 7)).value();
      total = total.Add(p).value();
    }
    auto allocated = AllocateRounding(parts, 2);
    ASSERT_TRUE(allocated.ok());
    Decimal sum;
    for (size_t i = 0; i < parts.size(); ++i) {
      sum = sum.Add(allocated->at(i)).value();
      Decimal gap = allocated->at(i).Sub(parts[i]).value();
      EXPECT_LT(gap < Decimal() ? gap.Negate() : gap, D("0.01"));
    }
    EXPECT_EQ(sum, total.RoundHalfUp(2)) << "round " << round;
  }
}

}  // namespace
}  // namespace pc::billing
