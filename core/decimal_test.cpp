#include "core/decimal.h"

#include <gtest/gtest.h>

namespace pc {
namespace {

Decimal D(std::string_view text) {
  Result<Decimal> d = Decimal::Parse(text);
  EXPECT_TRUE(d.ok()) << text << ": " << (d.ok() ? "" : d.error().message);
  return d.ok() ? *d : Decimal();
}

// 10^36 - 1: the largest mantissa.
Int128 MaxMantissa() {
  Int128 m = 1;
  for (int i = 0; i < Decimal::kMaxDigits; ++i) m *= 10;
  return m - 1;
}

TEST(DecimalTest, ParseAndPrintKeepWrittenScale) {
  EXPECT_EQ(D("-12.3400").ToString(), "-12.3400");
  EXPECT_EQ(D("-12.3400").scale(), 4);
  EXPECT_EQ(D("+5").ToString(), "5");
  EXPECT_EQ(D(".5").ToString(), "0.5");
  EXPECT_EQ(D("7.").ToString(), "7");
  EXPECT_EQ(D("0.001").ToString(), "0.001");
  EXPECT_EQ(D("-0.001").ToString(), "-0.001");
  EXPECT_EQ(D("000123.450").ToString(), "123.450");
  EXPECT_EQ(D("1.50").scale(), 2);
}

TEST(DecimalTest, NegativeZeroPrintsAsZero) {
  EXPECT_TRUE(D("-0").IsZero());
  EXPECT_FALSE(D("-0").IsNegative());
  EXPECT_EQ(D("-0").ToString(), "0");
  EXPECT_EQ(D("-0.00").ToString(), "0.00");
  EXPECT_EQ(D("0.00").Negate().ToString(), "0.00");
}

TEST(DecimalTest, ParseAcceptsTheLimits) {
  const std::string max_digits(36, '9');
  EXPECT_EQ(D(max_digits).ToString(), max_digits);
  EXPECT_EQ(D("-" + max_digits).ToString(), "-" + max_digits);
  const std::string tiny = "0." + std::string(29, '0') + "1";
  EXPECT_EQ(D(tiny).ToString(), tiny);
  EXPECT_EQ(D(tiny).scale(), 30);
}

TEST(DecimalTest, ParseRejectsBadText) {
  struct Case {
    std::string text;
    std::string problem;  // part of the message
  };
  const Case cases[] = {
      {"1e309", "exponent"},
      {"1E5", "exponent"},
      {"NaN", "NaN"},
      {"nan", "NaN"},
      {"Inf", "infinity"},
      {"-Infinity", "infinity"},
      {"1,234.5", "grouping"},
      {"", "empty"},
      {" 1", "spaces"},
      {"1 ", "spaces"},
      {"--1", "sign"},
      {"1-", "sign"},
      {"1.2.3", "more than one decimal point"},
      {"-", "no digits"},
      {".", "no digits"},
      {"0x10", "unexpected character 'x'"},
      {"12a", "unexpected character 'a' at position 3"},
      {std::string(37, '9'), "significant digits"},
      {"0." + std::string(31, '1'), "digits after the decimal point"},
  };
  for (const Case& c : cases) {
    Result<Decimal> d = Decimal::Parse(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument) << c.text;
    EXPECT_NE(d.error().message.find(c.problem), std::string::npos)
        << c.text << " -> " << d.error().message;
    EXPECT_NE(d.error().message.find("\"" + c.text.substr(0, 40)), std::string::npos)
        << "message should quote the text: " << d.error().message;
  }
}

TEST(DecimalTest, ParseErrorTruncatesLongText) {
  Result<Decimal> d = Decimal::Parse(std::string(200, '1') + "x");
  ASSERT_FALSE(d.ok());
  EXPECT_LT(d.error().message.size(), 140u) << d.error().message;
  EXPECT_NE(d.error().message.find("...\""), std::string::npos) << d.error().message;
}

TEST(DecimalTest, SumOfOneTenthMillionTimesIsExact) {
  const Decimal tenth = D("0.1");
  Decimal sum;
  for (int i = 0; i < 1'000'000; ++i) {
    Result<Decimal> next = sum.Add(tenth);
    ASSERT_TRUE(next.ok());
    sum = *next;
  }
  EXPECT_EQ(sum.ToString(), "100000.0");
  EXPECT_EQ(sum, Decimal::FromInt(100000));
}

TEST(DecimalTest, AddAndSubAlignScales) {
  EXPECT_EQ(D("1.5").Add(D("2.25"))->ToString(), "3.75");
  EXPECT_EQ(D("1").Sub(D("0.001"))->ToString(), "0.999");
  EXPECT_EQ(D("-1.10").Add(D("1.1"))->ToString(), "0.00");
  EXPECT_EQ(D("0.1").Sub(D("0.3"))->ToString(), "-0.2");
}

TEST(DecimalTest, MulOfTwoEightDecimalValuesIsExact) {
  // Checked independently with Python: Decimal('12345.67891234') * Decimal('0.00012345').
  Result<Decimal> p = D("12345.67891234").Mul(D("0.00012345"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ToString(), "1.5240740617283730");
  EXPECT_EQ(p->scale(), 16);
  // Python: Decimal('99999999.99999999') ** 2.
  EXPECT_EQ(D("99999999.99999999").Mul(D("99999999.99999999"))->ToString(),
            "9999999999999998.0000000000000001");
  EXPECT_EQ(D("123456789.12345678").Mul(D("-0.5"))->ToString(), "-61728394.561728390");
}

TEST(DecimalTest, OverflowIsAnErrorNotAWrap) {
  const Decimal max = *Decimal::FromParts(MaxMantissa(), 0);
  Result<Decimal> sum = max.Add(Decimal::FromInt(1));
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.error().code, ErrorCode::kOutOfRange);
  EXPECT_FALSE(max.Negate().Sub(Decimal::FromInt(1)).ok());
  EXPECT_TRUE(max.Add(Decimal::FromInt(-1)).ok());

  Result<Decimal> product = max.Mul(max);  // beyond 128 bits
  ASSERT_FALSE(product.ok());
  EXPECT_EQ(product.error().code, ErrorCode::kOutOfRange);
  // Fits in 128 bits but not in 36 digits.
  EXPECT_FALSE(D("1" + std::string(20, '0')).Mul(D("1" + std::string(16, '0'))).ok());
  // Scale above kMaxScale.
  EXPECT_FALSE(D("0." + std::string(20, '1')).Mul(D("0." + std::string(11, '1'))).ok());

  Result<Decimal> up = D("1" + std::string(30, '0')).Rescale(6);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, ErrorCode::kOutOfRange);
  EXPECT_FALSE(max.Rescale(30).ok());
  EXPECT_TRUE(D("1" + std::string(30, '0')).Rescale(5).ok());

  EXPECT_FALSE(Decimal::FromParts(MaxMantissa() + 1, 0).ok());
  EXPECT_FALSE(Decimal::FromParts(-MaxMantissa() - 1, 0).ok());
  EXPECT_FALSE(Decimal::FromParts(1, 31).ok());
  EXPECT_FALSE(Decimal::FromParts(1, -1).ok());
  EXPECT_TRUE(Decimal::FromParts(-MaxMantissa(), 30).ok());
  EXPECT_FALSE(D("1").Rescale(31).ok());
  EXPECT_FALSE(D("1").Rescale(-1).ok());
}

TEST(DecimalTest, RoundHalfUpRoundsHalfAwayFromZero) {
  EXPECT_EQ(D("2.345").RoundHalfUp(2).ToString(), "2.35");
  EXPECT_EQ(D("-2.345").RoundHalfUp(2).ToString(), "-2.35");
  EXPECT_EQ(D("2.344").RoundHalfUp(2).ToString(), "2.34");
  EXPECT_EQ(D("-2.344").RoundHalfUp(2).ToString(), "-2.34");
  EXPECT_EQ(D("0.005").RoundHalfUp(2).ToString(), "0.01");
  EXPECT_EQ(D("1.5").RoundHalfUp(0).ToString(), "2");
  EXPECT_EQ(D("2.5").RoundHalfUp(0).ToString(), "3");
  EXPECT_EQ(D("-0.5").RoundHalfUp(0).ToString(), "-1");
  EXPECT_EQ(D("-0.4").RoundHalfUp(0).ToString(), "0");
  EXPECT_EQ(D("9.995").RoundHalfUp(2).ToString(), "10.00");
  EXPECT_EQ(D("0.00499999").RoundHalfUp(2).ToString(), "0.00");
  // Values already short are unchanged (scale kept).
  EXPECT_EQ(D("2.3").RoundHalfUp(2).ToString(), "2.3");
  EXPECT_EQ(D("7").RoundHalfUp(2).ToString(), "7");
  EXPECT_EQ(D("2.34").RoundHalfUp(2).ToString(), "2.34");
}

TEST(DecimalTest, RescaleRoundsDownAndWidensExactly) {
  EXPECT_EQ(D("2.345").Rescale(2)->ToString(), "2.35");
  EXPECT_EQ(D("-2.345").Rescale(2)->ToString(), "-2.35");
  EXPECT_EQ(D("2.3").Rescale(4)->ToString(), "2.3000");
  EXPECT_EQ(D("-0.0001").Rescale(2)->ToString(), "0.00");
  const std::string nines = "0." + std::string(30, '9');
  EXPECT_EQ(D(nines).Rescale(0)->ToString(), "1");
}

TEST(DecimalTest, FloorRoundsTowardNegativeInfinity) {
  EXPECT_EQ(D("2.349").Floor(2).ToString(), "2.34");
  EXPECT_EQ(D("-2.341").Floor(2).ToString(), "-2.35");
  EXPECT_EQ(D("-2.340").Floor(2).ToString(), "-2.34");
  EXPECT_EQ(D("-0.001").Floor(0).ToString(), "-1");
  EXPECT_EQ(D("0.999").Floor(0).ToString(), "0");
  EXPECT_EQ(D("1.2").Floor(3).ToString(), "1.2");
}

TEST(DecimalTest, DivRoundsHalfUpAtTheRequestedScale) {
  EXPECT_EQ(D("1").Div(D("3"), 8)->ToString(), "0.33333333");
  EXPECT_EQ(D("2").Div(D("3"), 8)->ToString(), "0.66666667");
  EXPECT_EQ(D("-2").Div(D("3"), 8)->ToString(), "-0.66666667");
  EXPECT_EQ(D("-1").Div(D("8"), 2)->ToString(), "-0.13");
  EXPECT_EQ(D("1").Div(D("-8"), 3)->ToString(), "-0.125");
  EXPECT_EQ(D("10.50").Div(D("0.5"), 0)->ToString(), "21");
  EXPECT_EQ(D("0.0000004").Div(D("1000"), 2)->ToString(), "0.00");
  EXPECT_EQ(D("0.5").Div(D("1"), 0)->ToString(), "1");
  // The widened divisor leaves 128 bits: the quotient rounds to zero.
  EXPECT_EQ(D("0." + std::string(29, '0') + "9").Div(D("1" + std::string(35, '0')), 0)->ToString(),
            "0");
  Result<Decimal> zero = D("1").Div(D("0.00"), 2);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);
  Result<Decimal> big = D(std::string(30, '9')).Div(D("0.000001"), 8);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kOutOfRange);
  EXPECT_FALSE(D("1").Div(D("3"), 31).ok());
}

TEST(DecimalTest, ComparisonIsNumericAcrossScales) {
  EXPECT_EQ(D("1.5"), D("1.50"));
  EXPECT_EQ(D("0"), D("-0.000"));
  EXPECT_LT(D("1.49"), D("1.5"));
  EXPECT_GT(D("-1.49"), D("-1.5"));
  EXPECT_LT(D("-2"), D("1.99999"));
  EXPECT_NE(D("1.000000000000000000000000000001"), D("1"));
  EXPECT_GT(D("1.000000000000000000000000000001"), D("1"));
  // Widening the coarse value overflows 128 bits: its magnitude decides.
  const Decimal big = *Decimal::FromParts(MaxMantissa(), 0);
  const Decimal tiny = *Decimal::FromParts(MaxMantissa(), 30);
  EXPECT_GT(big, tiny);
  EXPECT_LT(tiny, big);
  EXPECT_LT(big.Negate(), tiny);
  EXPECT_GT(tiny, big.Negate());
  EXPECT_LT(big.Negate(), tiny.Negate());
}

TEST(DecimalTest, FromIntAndFromParts) {
  EXPECT_EQ(Decimal::FromInt(-42).ToString(), "-42");
  EXPECT_EQ(Decimal::FromInt(INT64_MIN).ToString(), "-9223372036854775808");
  EXPECT_EQ(Decimal::FromParts(12345, 2)->ToString(), "123.45");
  EXPECT_EQ(Decimal::FromParts(-5, 3)->ToString(), "-0.005");
  EXPECT_EQ(Decimal().ToString(), "0");
}

}  // namespace
}  // namespace pc
