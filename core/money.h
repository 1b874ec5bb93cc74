// Money: an exact Decimal amount in an ISO 4217 currency.
#pragma once

#include <string>
#include <string_view>

#include "core/decimal.h"
#include "core/result.h"

namespace pc {

struct Currency {
  std::string code;    // ISO 4217 alphabetic code, upper case: "USD"
  int minor_unit = 2;  // digits of the minor unit: USD 2, JPY 0, BHD 3

  // Looks the code up in the ISO 4217 table (case-insensitive). Unknown codes are an error.
  static Result<Currency> FromCode(std::string_view code);
  bool operator==(const Currency& other) const { return code == other.code; }
};

class Money {
 public:
  Money(Decimal amount, Currency currency) : amount_(amount), currency_(std::move(currency)) {}

  const Decimal& amount() const { return amount_; }
  const Currency& currency() const { return currency_; }

  // Exact sum; mixing currencies is an InvalidArgument error, overflow an OutOfRange error.
  Result<Money> Add(const Money& other) const;
  Result<Money> Sub(const Money& other) const;
  // Exact product with a plain decimal (a quantity or a factor).
  Result<Money> Mul(const Decimal& factor) const;
  // Rounded once, half-up, to the currency's minor unit (the invoice-line rounding).
  Money RoundToMinorUnit() const;
  // "12.34 USD" with the amount as Decimal::ToString prints it.
  std::string ToString() const;

 private:
  Decimal amount_;
  Currency currency_;
};

}  // namespace pc
