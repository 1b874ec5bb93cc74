#include "core/money.h"

#include <gtest/gtest.h>

namespace pc {
namespace {

Money M(std::string_view amount, std::string_view code) {
  return Money(*Decimal::Parse(amount), *Currency::FromCode(code));
}

TEST(CurrencyTest, KnowsMinorUnits) {
  const std::pair<const char*, int> cases[] = {
      {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"JPY", 0}, {"KRW", 0}, {"BHD", 3}, {"KWD", 3},
      {"OMR", 3}, {"JOD", 3}, {"TND", 3}, {"LYD", 3}, {"IQD", 3}, {"CLP", 0}, {"ISK", 0},
      {"VND", 0}, {"XOF", 0}, {"XAF", 0}, {"UGX", 0}, {"PYG", 0}, {"RWF", 0}, {"DJF", 0},
      {"GNF", 0}, {"KMF", 0}, {"VUV", 0}, {"XPF", 0}, {"UYI", 0}, {"CLF", 4}, {"UYW", 4},
      {"CHF", 2}, {"INR", 2}, {"ZAR", 2}, {"TRY", 2}, {"AED", 2}, {"ZWG", 2},
  };
  for (const auto& [code, minor] : cases) {
    Result<Currency> c = Currency::FromCode(code);
    ASSERT_TRUE(c.ok()) << code;
    EXPECT_EQ(c->code, code);
    EXPECT_EQ(c->minor_unit, minor) << code;
  }
}

TEST(CurrencyTest, LookupIsCaseInsensitive) {
  Result<Currency> c = Currency::FromCode("usd");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->code, "USD");
  EXPECT_EQ(Currency::FromCode("bHd")->minor_unit, 3);
}

TEST(CurrencyTest, UnknownCodesAreErrors) {
  for (std::string_view code : {"", "US", "USDD", "XYZ", "XAU", " USD", "U$D"}) {
    Result<Currency> c = Currency::FromCode(code);
    ASSERT_FALSE(c.ok()) << code;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(c.error().message.find(std::string(code)), std::string::npos) << c.error().message;
  }
}

TEST(MoneyTest, RoundsToTheCurrencyMinorUnitHalfUp) {
  EXPECT_EQ(M("12.345", "USD").RoundToMinorUnit().ToString(), "12.35 USD");
  EXPECT_EQ(M("-12.345", "USD").RoundToMinorUnit().ToString(), "-12.35 USD");
  EXPECT_EQ(M("12.3449999", "USD").RoundToMinorUnit().ToString(), "12.34 USD");
  EXPECT_EQ(M("5", "USD").RoundToMinorUnit().ToString(), "5.00 USD");
  EXPECT_EQ(M("1234.5", "JPY").RoundToMinorUnit().ToString(), "1235 JPY");
  EXPECT_EQ(M("1234.49", "JPY").RoundToMinorUnit().ToString(), "1234 JPY");
  EXPECT_EQ(M("1.2345", "BHD").RoundToMinorUnit().ToString(), "1.235 BHD");
  EXPECT_EQ(M("1.2344", "BHD").RoundToMinorUnit().ToString(), "1.234 BHD");
}

TEST(MoneyTest, ArithmeticIsExact) {
  EXPECT_EQ(M("0.1", "EUR").Add(M("0.2", "EUR"))->ToString(), "0.3 EUR");
  EXPECT_EQ(M("1", "EUR").Sub(M("0.01", "EUR"))->ToString(), "0.99 EUR");
  // A Microsoft price (8 decimals) times a quantity, rounded once at the invoice line.
  Result<Money> line = M("0.00012345", "USD").Mul(*Decimal::Parse("12345.67891234"));
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->ToString(), "1.5240740617283730 USD");
  EXPECT_EQ(line->RoundToMinorUnit().ToString(), "1.52 USD");
}

TEST(MoneyTest, MixingCurrenciesIsAnError) {
  Result<Money> sum = M("1", "USD").Add(M("1", "EUR"));
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(sum.error().message.find("USD"), std::string::npos);
  EXPECT_NE(sum.error().message.find("EUR"), std::string::npos);
  Result<Money> difference = M("1", "USD").Sub(M("1", "JPY"));
  ASSERT_FALSE(difference.ok());
  EXPECT_EQ(difference.error().code, ErrorCode::kInvalidArgument);
}

TEST(MoneyTest, OverflowIsAnError) {
  const std::string max(36, '9');
  Result<Money> sum = M(max, "USD").Add(M("1", "USD"));
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.error().code, ErrorCode::kOutOfRange);
  EXPECT_FALSE(M(max, "USD").Mul(*Decimal::Parse("2")).ok());
  // Too large to widen to 2 places: still rounded, scale kept.
  EXPECT_EQ(M(max, "USD").RoundToMinorUnit().ToString(), max + " USD");
}

}  // namespace
}  // namespace pc
