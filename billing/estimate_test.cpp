// Month-to-date and end-of-month estimates against values computed by hand.
#include "billing/estimate.h"

#include <gtest/gtest.h>

namespace pc::billing {
namespace {

Decimal D(const char* text) { return Decimal::Parse(text).value(); }
YearMonth M(int y, int m) { return YearMonth::Of(y, m).value(); }

std::map<int, Decimal> Days(int from, int to, const char* each) {
  std::map<int, Decimal> out;
  for (int d = from; d <= to; ++d) out[d] = D(each);
  return out;
}

TEST(EstimateTest, FirstDayOfTheMonth) {
  // November 2026 has 30 days; 10.00 on the 1st: eom = 10 × 30 / 1.
  auto e = ComputeEstimate(M(2026, 11), {{1, D("10.00")}}, 2).value();
  EXPECT_EQ(e.mtd, D("10"));
  EXPECT_EQ(e.eom.ToString(), "300.00");
  EXPECT_EQ(e.forecast.ToString(), "300.00");  // 10 + 10/day × 29 days left
  EXPECT_EQ(e.days_elapsed, 1);
  EXPECT_EQ(e.days_left, 29);
}

TEST(EstimateTest, MidMonth) {
  // March 2026 (31 days): 3.333 on each of the 1st..14th, 10.333 on the 15th.
  auto days = Days(1, 14, "3.333");
  days[15] = D("10.333");
  auto e = ComputeEstimate(M(2026, 3), days, 2).value();
  EXPECT_EQ(e.mtd.ToString(), "56.995");                // 14 × 3.333 + 10.333
  EXPECT_EQ(e.mtd.RoundHalfUp(2).ToString(), "57.00");  // the mtdEstimate shown
  EXPECT_EQ(e.eom.ToString(), "117.79");                // 56.995 × 31 / 15 = 117.7896...
  // Trailing 7 days (9th..15th) = 6 × 3.333 + 10.333 = 30.331; 16 days left:
  // 56.995 + 30.331 / 7 × 16 = 56.995 + 69.328 = 126.323.
  EXPECT_EQ(e.forecast.ToString(), "126.32");
  EXPECT_EQ(e.days_elapsed, 15);
}

TEST(EstimateTest, LastDayOfTheMonth) {
  // April 2026 (30 days), 2.50 a day through the 30th: the estimate is the month-to-date.
  auto e = ComputeEstimate(M(2026, 4), Days(1, 30, "2.50"), 2).value();
  EXPECT_EQ(e.mtd, D("75"));
  EXPECT_EQ(e.eom.ToString(), "75.00");
  EXPECT_EQ(e.forecast.ToString(), "75.00");
  EXPECT_EQ(e.days_left, 0);
}

TEST(EstimateTest, FebruaryOfALeapYear) {
  // 2024-02 has 29 days: 1.00 a day through the 10th gives 10 × 29 / 10 = 29.00 ...
  auto leap = ComputeEstimate(M(2024, 2), Days(1, 10, "1.00"), 2).value();
  EXPECT_EQ(leap.eom.ToString(), "29.00");
  EXPECT_EQ(leap.forecast.ToString(), "29.00");
  // ... where 2026-02 (28 days) gives 28.00.
  EXPECT_EQ(ComputeEstimate(M(2026, 2), Days(1, 10, "1.00"), 2)->eom.ToString(), "28.00");
  // Days elapsed count from the 1st even without usage on the 1st and 2nd: 1.00 on the 3rd
  // gives 1 × 29 / 3 = 9.666... → 9.67, and forecast 1 + (1/3) × 26 = 9.666... → 9.67.
  auto sparse = ComputeEstimate(M(2024, 2), {{3, D("1.00")}}, 2).value();
  EXPECT_EQ(sparse.eom.ToString(), "9.67");
  EXPECT_EQ(sparse.forecast.ToString(), "9.67");
  // The 29th is the last day: no proration.
  EXPECT_EQ(ComputeEstimate(M(2024, 2), Days(1, 29, "0.10"), 2)->eom.ToString(), "2.90");
}

TEST(EstimateTest, CreditsAndRoundingHalfUp) {
  // A credit day: 5.005 - 0.000 ... mtd 2.005 on day 2 of a 30-day month: eom 30.075 → 30.08.
  auto e = ComputeEstimate(M(2026, 9), {{1, D("3.005")}, {2, D("-1.000")}}, 2).value();
  EXPECT_EQ(e.mtd.ToString(), "2.005");
  EXPECT_EQ(e.eom.ToString(), "30.08");
  // Negative totals round away from zero too: -2.005 × 30 / 2 = -30.075 → -30.08.
  auto neg = ComputeEstimate(M(2026, 9), {{2, D("-2.005")}}, 2).value();
  EXPECT_EQ(neg.eom.ToString(), "-30.08");
}

TEST(EstimateTest, RejectsDaysOutsideTheMonthAndNoUsage) {
  EXPECT_FALSE(ComputeEstimate(M(2026, 2), {{29, D("1")}}, 2).ok());
  EXPECT_FALSE(ComputeEstimate(M(2026, 2), {}, 2).ok());
}

}  // namespace
}  // namespace pc::billing
