#include "billing/usage_columns.h"

#include <algorithm>
#include <optional>

#include "billing/precision.h"
#include "billing/usage_text.h"
#include "core/time.h"

namespace pc::billing {

using internal::Lower;
using internal::Quote;

Result<Decimal> ParseUsageNumber(std::string_view text, bool allow_exponent) {
  auto fail = [&](std::string why) { return InvalidArgument(Quote(text) + " " + why); };
  if (text.empty()) return InvalidArgument("is empty; a number is required");
  // Fast path: the plain decimals usage files are made of ("12.5", "-0.25").
  if (text.size() <= 40 && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.' || c == '-';
      })) {
    auto d = Decimal::Parse(text);
    if (d.ok()) {
      if (d->IsZero() && text[0] == '-') return fail("is a negative zero; write 0");
      return *d;
    }
  }
  std::string lower = Lower(text);
  if (lower.find("nan") != std::string::npos || lower.find("inf") != std::string::npos) {
    return fail("is not a number; write a plain decimal such as 12.5");
  }
  if (text.find(',') != std::string_view::npos) {
    return fail(
        "has a thousands or decimal comma; write it without grouping, with a '.'"
        " (e.g. 1234.5)");
  }
  size_t e = lower.find('e');
  std::string_view mantissa_text = text.substr(0, e);
  int exponent = 0;
  if (e != std::string::npos) {
    if (!allow_exponent) {
      return fail("is not a plain decimal number (no exponent allowed; write e.g. 0.00005)");
    }
    std::string_view exp = text.substr(e + 1);
    size_t i = 0;
    bool negative = false;
    if (i < exp.size() && (exp[i] == '+' || exp[i] == '-')) negative = exp[i++] == '-';
    if (i == exp.size()) return fail("has an empty exponent");
    long value = 0;
    for (; i < exp.size(); ++i) {
      if (exp[i] < '0' || exp[i] > '9') return fail("has a malformed exponent");
      value = value * 10 + (exp[i] - '0');
      if (value > 1000) return fail("is out of range (exponent too large)");
    }
    exponent = static_cast<int>(negative ? -value : value);
  }
  auto parsed = Decimal::Parse(mantissa_text);
  if (!parsed.ok()) {
    return fail("is not a plain decimal number (" + parsed.error().message + ")");
  }
  Decimal d = *parsed;
  if (d.IsZero() && !mantissa_text.empty() && mantissa_text[0] == '-') {
    return fail("is a negative zero; write 0");
  }
  if (exponent == 0) return d;
  Int128 mantissa = d.mantissa();
  int scale = d.scale() - exponent;
  while (scale < 0) {
    // 10^36 bound is checked by FromParts; stop multiplying well before Int128 overflows.
    if (mantissa > Int128(1) << 120 || mantissa < -(Int128(1) << 120)) {
      return fail("is out of range");
    }
    mantissa *= 10;
    ++scale;
  }
  if (scale > Decimal::kMaxScale) {
    return fail("has more than " + std::to_string(Decimal::kMaxScale) + " decimal places");
  }
  auto out = Decimal::FromParts(mantissa, scale);
  if (!out.ok()) return fail("is out of range");
  return *out;
}

int32_t ParseUsageDay(std::string_view s, std::string* why) {
  auto fail = [&](std::string reason) {
    if (why != nullptr) *why = std::move(reason);
    return 0;
  };
  auto digits = [](std::string_view t) {
    if (t.empty() || t.size() > 4) return -1;
    int v = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  auto yyyymmdd = [](Timestamp t) {
    const std::chrono::year_month_day ymd(std::chrono::floor<std::chrono::days>(t));
    return int32_t(int(ymd.year()) * 10000 + int(unsigned(ymd.month())) * 100 +
                   int(unsigned(ymd.day())));
  };
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-') {
    // Fast path for what Partner Center writes, "2024-09-01" and "2024-09-01T00:00:00Z", read on
    // every row (three date columns): a valid value is its own UTC day. Anything else, or any
    // doubt, goes to core/time below, which also words the errors.
    if (s.size() == 10 ||
        (s.size() == 20 && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z')) {
      auto two = [&](size_t at) {
        char a = s[at], b = s[at + 1];
        return a >= '0' && a <= '9' && b >= '0' && b <= '9' ? (a - '0') * 10 + (b - '0') : -1;
      };
      int y = digits(s.substr(0, 4)), m = two(5), d = two(8);
      bool time_ok = s.size() == 10 || (two(11) >= 0 && two(11) <= 23 && two(14) >= 0 &&
                                        two(14) <= 59 && two(17) >= 0 && two(17) <= 59);
      static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      if (time_ok && y >= 1 && m >= 1 && m <= 12 && d >= 1 &&
          d <= kMonthDays[m - 1] +
                   (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 1 : 0)) {
        return y * 10000 + m * 100 + d;
      }
    }
    // ISO 8601 / RFC 3339: the one time parser (core/time.h), which checks that the date and
    // the time of day exist; an offset makes it the UTC day.
    auto t = ParseDataTimestamp(s);
    if (!t.ok()) {
      // "invalid timestamp "...": PROBLEM; expected RFC 3339 ...": keep the problem.
      const std::string& message = t.error().message;
      size_t from = message.find("\": ");
      size_t to = message.rfind("; expected");
      std::string problem = from == std::string::npos || to == std::string::npos || to < from
                                ? message
                                : message.substr(from + 3, to - from - 3);
      return fail("is not a real date and time: " + problem);
    }
    return yyyymmdd(*t);
  }
  // US "M/D/YYYY", as Partner Center's CSV download writes it, with an optional time.
  size_t a = s.find('/'), b = a == std::string_view::npos ? a : s.find('/', a + 1);
  if (b == std::string_view::npos) return fail("is not a date (YYYY-MM-DD or M/D/YYYY)");
  size_t end = s.find(' ', b);
  std::string_view year = s.substr(b + 1, end == std::string_view::npos ? end : end - b - 1);
  int m = digits(s.substr(0, a)), d = digits(s.substr(a + 1, b - a - 1)), y = digits(year);
  if (year.size() != 4 || m < 0 || d < 0 || y < 0) {
    return fail("is not a date (YYYY-MM-DD or M/D/YYYY)");
  }
  if (end != std::string_view::npos) {
    // "H:MM[:SS]" with hours 0-23, or 1-12 followed by " AM" / " PM".
    std::string_view time = s.substr(end + 1);
    bool twelve = time.ends_with(" AM") || time.ends_with(" PM") || time.ends_with(" am") ||
                  time.ends_with(" pm");
    if (twelve) time.remove_suffix(3);
    size_t c1 = time.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : time.find(':', c1 + 1);
    int hour = digits(time.substr(0, c1));
    std::string_view minutes_text =
        c1 == std::string_view::npos ? "" : time.substr(c1 + 1, c2 == time.npos ? c2 : c2 - c1 - 1);
    std::string_view seconds_text = c2 == std::string_view::npos ? "00" : time.substr(c2 + 1);
    int minute = minutes_text.size() == 2 ? digits(minutes_text) : -1;
    int second = seconds_text.size() == 2 ? digits(seconds_text) : -1;
    bool hour_ok = twelve ? hour >= 1 && hour <= 12 : hour >= 0 && hour <= 23;
    if (c1 == std::string_view::npos || c1 > 2 || !hour_ok || minute < 0 || minute > 59 ||
        second < 0 || second > 59) {
      return fail("has a time of day that does not exist: " + Quote(s.substr(end + 1)));
    }
  }
  if (y < 1 || m < 1 || m > 12) return fail("is not a date: month " + std::to_string(m));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d < 1 || d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) {
    return fail("is not a date: day " + std::to_string(d) + " does not exist in that month");
  }
  return y * 10000 + m * 100 + d;
}

namespace internal {

namespace {

int32_t ParseDay(std::string_view s) { return ParseUsageDay(s, nullptr); }

// The text in lower case: `text` itself when it has no upper-case letter, else a copy in `buf`.
std::string_view LowerView(std::string_view text, std::string& buf) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (std::none_of(text.begin(), text.end(), upper)) return text;
  buf.assign(text);  // reuses buf's memory
  LowerAscii(buf);
  return buf;
}

std::string_view UpperView(std::string_view text, std::string& buf) {
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  if (std::none_of(text.begin(), text.end(), lower)) return text;
  buf.assign(text);
  UpperAscii(buf);
  return buf;
}

// The subscription GUID of an EntitlementId or of an ARM id "/subscriptions/{id}/...".
std::string_view NormalizeSubscription(std::string_view v, std::string& buf) {
  std::string_view s = LowerView(v, buf);
  constexpr std::string_view kPrefix = "/subscriptions/";
  if (s.starts_with(kPrefix)) {
    s.remove_prefix(kPrefix.size());
    size_t slash = s.find('/');
    if (slash != std::string_view::npos) s = s.substr(0, slash);
  }
  return s;
}

// How a Partner Center value enters the line identity, so that one usage line reads the same
// however it was written: Partner Center's CSV download and its API's JSON write dates, numbers
// and ids differently ("9/2/2024" / "2024-09-02T00:00:00Z", "24" / "24.0" / "2.4E1", upper or
// lower case GUIDs and resource ids) and leave a value empty or out.
enum class IdentityForm : uint8_t { kText, kDay, kNumber, kCaseless };
constexpr std::array<IdentityForm, kPcColumnCount> kPcIdentity = [] {
  std::array<IdentityForm, kPcColumnCount> f{};
  f.fill(IdentityForm::kText);
  for (int c : {kPcUsageDate, kPcChargeStartDate, kPcChargeEndDate}) f[c] = IdentityForm::kDay;
  for (int c :
       {kPcUnitPrice, kPcQuantity, kPcBillingPreTaxTotal, kPcEffectiveUnitPrice, kPcExchangeRate,
        kPcPartnerEarnedCredit, kPcCreditPercentage, kPcPricingPreTaxTotal}) {
    f[c] = IdentityForm::kNumber;
  }
  for (int c : {kPcCustomerId, kPcEntitlementId, kPcBillingCurrency, kPcPricingCurrency,
                kPcSubscriptionId, kPcMeterId, kPcConsumedService, kPcResourceGroup, kPcResourceUri,
                kPcProductId, kPcSkuId, kPcAvailabilityId}) {
    f[c] = IdentityForm::kCaseless;
  }
  return f;
}();

// A plain decimal's canonical text, in `out`: no sign for zero, no leading or trailing zeros
// ("-0.50" → "-0.5", "024.000" → "24", "+.5" → "0.5"). False when `t` is not
// [-+]digits[.digits].
bool CanonicalPlainNumber(std::string_view t, std::string& out) {
  bool negative = !t.empty() && t[0] == '-';
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  size_t dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if ((whole.empty() && frac.empty()) || !digits(whole) || !digits(frac)) return false;
  while (!whole.empty() && whole[0] == '0') whole.remove_prefix(1);
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  out.clear();
  if (whole.empty() && frac.empty()) {
    out = "0";
    return true;
  }
  if (negative) out += '-';
  out += whole.empty() ? std::string_view("0") : whole;
  if (!frac.empty()) {
    out += '.';
    out += frac;
  }
  return true;
}

// The canonical text of a plain decimal (CanonicalPlainNumber): `v` itself when it is written
// so already (the usual case), else a copy in `out`. False when `v` is not a plain decimal.
bool CanonicalNumberView(std::string_view v, std::string& out, std::string_view& result) {
  std::string_view t = v;
  bool negative = !t.empty() && t[0] == '-';
  if (negative) t.remove_prefix(1);
  size_t dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  bool canonical = !whole.empty() && digits(whole) && digits(frac) &&
                   (whole.size() == 1 || whole[0] != '0') &&
                   (dot == std::string_view::npos || (!frac.empty() && frac.back() != '0')) &&
                   !(negative && whole == "0" && dot == std::string_view::npos);
  if (canonical) {
    result = v;
    return true;
  }
  if (!CanonicalPlainNumber(v, out)) return false;
  result = out;
  return true;
}

// The value as the line identity reads it, for the forms other than kCaseless (`buf` may hold
// it).
std::string_view IdentityValue(IdentityForm form, std::string_view v, std::string& buf) {
  switch (form) {
    case IdentityForm::kDay: {
      int32_t day = ParseDay(v);
      if (day == 0) return v;
      buf.resize(8);
      for (int i = 7; i >= 0; --i, day /= 10)
        buf[static_cast<size_t>(i)] = static_cast<char>('0' + day % 10);
      return buf;
    }
    case IdentityForm::kNumber: {
      std::string_view result;
      if (CanonicalNumberView(v, buf, result)) return result;
      auto exact = ParseUsageNumber(v, /*allow_exponent=*/true);  // "2.4E1"
      if (!exact.ok()) return v;
      std::string plain = exact->ToString();
      return CanonicalPlainNumber(plain, buf) ? std::string_view(buf) : v;
    }
    default:
      return v;
  }
}

// Line identity (line_identity.h) over the values in column order. With `forms` (Partner
// Center), each value is first put in its canonical form and an empty value counts as absent;
// without (FOCUS), values are hashed as written and absent differs from empty. `may_have_cr`:
// some value may hold a '\r' (CRLF inside a quoted field hashes like LF, so the same line
// reads the same from an LF and a CRLF file).
uint64_t LineKey(const LineIdentityKey& key, std::string_view tag, const RowView& view,
                 const IdentityForm* forms, bool may_have_cr, std::string& stripped,
                 std::string& canonical) {
  LineHash hash(key, tag);
  for (size_t i = 0; i < view.size(); ++i) {
    std::string_view v = view[i];
    if (!Present(v) || (forms != nullptr && v.empty())) {
      hash.AddAbsent();
      continue;
    }
    if (may_have_cr && v.find('\r') != std::string_view::npos) {
      stripped.assign(v);
      stripped.erase(std::remove(stripped.begin(), stripped.end(), '\r'), stripped.end());
      v = stripped;
    }
    if (forms == nullptr || forms[i] == IdentityForm::kText) {
      hash.Add(v);
    } else if (forms[i] == IdentityForm::kCaseless) {
      hash.AddCaseless(v);
    } else {
      hash.Add(IdentityValue(forms[i], v, canonical));
    }
  }
  return hash.Finish(view.size());
}

bool IsNull(std::string_view v, bool focus) { return v.empty() || (focus && v == "NULL"); }

// What a number column may hold (usage_reader.h lists the bounds).
struct Bound {
  int max_digits;                  // |value| < 10^max_digits
  bool negative_allowed;           // on this row
  const char* negative_rule = "";  // where a negative value is allowed, for the message
};

const Decimal& PowerOfTen(int digits) {
  static const auto* powers = [] {
    auto* p = new std::array<Decimal, 19>;
    Int128 v = 1;
    for (int i = 0; i < 19; ++i, v *= 10) (*p)[static_cast<size_t>(i)] = *Decimal::FromParts(v, 0);
    return p;
  }();
  return (*powers)[static_cast<size_t>(digits)];
}

// A required number column within its bound; records the error and returns nullopt when it is
// bad.
std::optional<Decimal> Number(RowContext& ctx, const RowView& view, size_t col,
                              const ColumnSpec& spec, bool allow_exponent, const Bound& bound) {
  std::string_view text = view[col];
  auto d = ParseUsageNumber(text, allow_exponent);
  if (!d.ok()) {
    ctx.Error(spec.name, d.error().message);
    return std::nullopt;
  }
  if (d->scale() > kMaxUsageScale) {
    ctx.Error(spec.name, Quote(text) + " has " + std::to_string(d->scale()) +
                             " digits after the point; at most " + std::to_string(kMaxUsageScale) +
                             " are allowed");
    return std::nullopt;
  }
  if (d->IsNegative() && !bound.negative_allowed) {
    ctx.Error(spec.name, Quote(text) + " is negative; " + bound.negative_rule);
    return std::nullopt;
  }
  const Decimal magnitude = d->IsNegative() ? d->Negate() : *d;
  if (magnitude >= PowerOfTen(bound.max_digits)) {
    std::string limit = "10^" + std::to_string(bound.max_digits);
    ctx.Error(spec.name, Quote(text) + " is out of range for " + spec.name + ": allowed is " +
                             (bound.negative_allowed ? "-" + limit + " < value < " + limit
                                                     : "0 <= value < " + limit));
    return std::nullopt;
  }
  return *d;
}

// ASCII case-insensitive `needle` in `text`.
bool ContainsCaseless(std::string_view text, std::string_view needle) {
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c); };
  if (needle.size() > text.size()) return false;
  for (size_t i = 0; i + needle.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && lower(text[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

// A Partner Center row that gives money back: its ChargeType names a refund, a credit, a
// cancellation, a correction or an adjustment. Only these may have a negative Quantity.
bool IsPartnerCenterCredit(std::string_view charge_type) {
  for (std::string_view word : {"refund", "credit", "cancel", "correction", "adjust"}) {
    if (ContainsCaseless(charge_type, word)) return true;
  }
  return false;
}

constexpr const char* kPcNegativeRule =
    "a negative Quantity is allowed only on a credit or refund row (ChargeType naming a refund, "
    "credit, cancellation, correction or adjustment)";
constexpr const char* kNeverNegative = "a price is never negative";

// The day of a date column, within the accepted window; 0 (the error recorded) otherwise.
int32_t Day(RowContext& ctx, const char* column, std::string_view text, const RowRules& rules) {
  std::string why;
  int32_t day = ParseUsageDay(text, &why);
  if (day == 0) {
    ctx.Error(column, Quote(text) + " " + why);
    return 0;
  }
  if (day < rules.min_day || day > rules.max_day) {
    ctx.Error(column, Quote(text) + " is outside the usage dates accepted, " +
                          FormatDay(rules.min_day) + " through " + FormatDay(rules.max_day) +
                          " (the end of the month after the current one)");
    return 0;
  }
  return day;
}

std::optional<std::string_view> RequiredText(RowContext& ctx, const RowView& view, size_t col,
                                             const ColumnSpec& spec, bool focus) {
  if (IsNull(view[col], focus)) {
    ctx.Error(spec.name, "is empty; a value is required");
    return std::nullopt;
  }
  return view[col];
}

}  // namespace

bool MapPartnerCenter(RowContext& ctx, const LineIdentityKey& key, const RowRules& rules,
                      const RowView& v, bool json, bool may_have_cr, RowScratch& s,
                      UsageRowView& row) {
  const auto& c = kPcColumns;
  int errors_before = ctx.errors;
  row.line = ctx.line;
  auto customer = RequiredText(ctx, v, kPcCustomerId, c[kPcCustomerId], false);
  auto subscription = RequiredText(ctx, v, kPcEntitlementId, c[kPcEntitlementId], false);
  auto day_text = RequiredText(ctx, v, kPcUsageDate, c[kPcUsageDate], false);
  int32_t day = 0;
  if (day_text) day = Day(ctx, "UsageDate", *day_text, rules);
  const bool credit = Present(v[kPcChargeType]) && IsPartnerCenterCredit(v[kPcChargeType]);
  auto price = Number(ctx, v, kPcUnitPrice, c[kPcUnitPrice], json,
                      {kMaxUnitPriceDigits, false, kNeverNegative});
  auto quantity = Number(ctx, v, kPcQuantity, c[kPcQuantity], json,
                         {kMaxQuantityDigits, credit, kPcNegativeRule});
  auto cost =
      Number(ctx, v, kPcBillingPreTaxTotal, c[kPcBillingPreTaxTotal], json, {kMaxCostDigits, true});
  auto currency = RequiredText(ctx, v, kPcBillingCurrency, c[kPcBillingCurrency], false);
  // PCToBCExchangeRate: pricing currency (UnitPrice's) to billing currency, as Partner Center
  // computes BillingPreTaxTotal. Absent or empty: the currencies are the same.
  std::optional<Decimal> rate;
  if (std::string_view r = v[kPcExchangeRate]; Present(r) && !r.empty() && r != "null") {
    rate = Number(ctx, v, kPcExchangeRate, c[kPcExchangeRate], json,
                  {kMaxUnitPriceDigits, false, "an exchange rate is never negative"});
  }
  if (ctx.errors != errors_before) return false;
  // The customer charge in the billing currency: UnitPrice × Quantity × PCToBCExchangeRate,
  // rescaled beyond 20 places after each product (precision.h).
  auto charge = MulRounded(*price, *quantity);
  if (charge.ok() && rate) charge = MulRounded(*charge, *rate);
  // A credit row carrying a CreditPercentage (Azure credit) is Microsoft's credit to the
  // partner: it lowers BillingPreTaxTotal, the partner's cost, and is not the customer's (the
  // customer pays for the usage it repeats). A refund or correction row still is.
  if (std::string_view pct = v[kPcCreditPercentage];
      credit && Present(pct) && !pct.empty() && pct != "null") {
    auto parsed = ParseUsageNumber(pct, json);
    if (parsed.ok() && !parsed->IsZero()) charge = Decimal();
  }
  if (!charge.ok()) {
    ctx.Error("UnitPrice",
              "UnitPrice × Quantity cannot be computed exactly: " + charge.error().message);
    return false;
  }
  row.customer_id = LowerView(*customer, s.customer);
  row.azure_subscription_id = NormalizeSubscription(*subscription, s.subscription);
  row.meter_category = v[kPcMeterCategory];
  row.day = day;
  row.currency = UpperView(*currency, s.currency);
  row.quantity = *quantity;
  row.charge = *charge;
  row.partner_cost = *cost;
  static const Decimal kSameCurrency = Decimal::Parse("1").value();
  row.exchange_rate = rate ? *rate : kSameCurrency;
  row.line_key = LineKey(key, "pc", v, kPcIdentity.data(), may_have_cr, s.stripped, s.canonical);
  return true;
}

bool MapFocus(RowContext& ctx, const LineIdentityKey& key, const RowRules& rules, const RowView& v,
              bool may_have_cr, RowScratch& s, UsageRowView& row) {
  const auto& c = kFocusColumns;
  int errors_before = ctx.errors;
  row.line = ctx.line;
  auto day_text = RequiredText(ctx, v, kFoChargePeriodStart, c[kFoChargePeriodStart], true);
  int32_t day = 0;
  if (day_text) day = Day(ctx, "ChargePeriodStart", *day_text, rules);
  // FOCUS exports do write negative quantities and costs on usage rows (the FOCUS sample data
  // has them), so only their size is bounded here.
  const Bound quantity_bound{kMaxQuantityDigits, true};
  const Bound cost_bound{kMaxCostDigits, true};
  const Bound price_bound{kMaxUnitPriceDigits, false, kNeverNegative};
  auto billed = Number(ctx, v, kFoBilledCost, c[kFoBilledCost], true, cost_bound);
  auto currency = RequiredText(ctx, v, kFoBillingCurrency, c[kFoBillingCurrency], true);
  Decimal quantity;
  if (!IsNull(v[kFoPricingQuantity], true)) {
    auto q = Number(ctx, v, kFoPricingQuantity, c[kFoPricingQuantity], true, quantity_bound);
    if (q) quantity = *q;
  }
  std::optional<Decimal> charge;
  if (!IsNull(v[kFoListUnitPrice], true) && !IsNull(v[kFoPricingQuantity], true)) {
    auto price = Number(ctx, v, kFoListUnitPrice, c[kFoListUnitPrice], true, price_bound);
    if (price) {
      auto product = MulRounded(*price, quantity);
      if (product.ok()) {
        charge = *product;
      } else {
        ctx.Error("ListUnitPrice", "ListUnitPrice × PricingQuantity cannot be computed exactly: " +
                                       product.error().message);
      }
    }
  } else {
    charge = Number(ctx, v, kFoListCost, c[kFoListCost], true, cost_bound);
  }
  if (ctx.errors != errors_before) return false;
  // ChargeCategory (FOCUS 1.0): Usage and Purchase rows are the customer's charges. Tax is not
  // pre-tax usage: neither charged nor in the partner's cost (CenturyLink taxes its own
  // invoice). Credit and Adjustment rows are between Microsoft and the partner: in the
  // partner's cost (BilledCost), not charged to the customer. Absent: Usage.
  const std::string_view charge_category =
      IsNull(v[kFoChargeCategory], true) ? std::string_view() : v[kFoChargeCategory];
  if (ContainsCaseless(charge_category, "tax")) {
    quantity = Decimal();
    charge = Decimal();
    billed = Decimal();
  } else if (ContainsCaseless(charge_category, "credit") ||
             ContainsCaseless(charge_category, "adjustment")) {
    charge = Decimal();
  }
  row.customer_id =
      IsNull(v[kFoCustomerId], true) ? std::string_view() : LowerView(v[kFoCustomerId], s.customer);
  row.azure_subscription_id = IsNull(v[kFoSubAccountId], true)
                                  ? std::string_view()
                                  : NormalizeSubscription(v[kFoSubAccountId], s.subscription);
  row.meter_category = !IsNull(v[kFoMeterCategory], true) ? v[kFoMeterCategory]
                       : !IsNull(v[kFoServiceName], true) ? v[kFoServiceName]
                                                          : std::string_view();
  row.day = day;
  row.currency = UpperView(*currency, s.currency);
  row.quantity = quantity;
  row.charge = *charge;
  row.partner_cost = *billed;
  row.exchange_rate.reset();
  row.line_key = LineKey(key, "focus", v, nullptr, may_have_cr, s.stripped, s.canonical);
  return true;
}

}  // namespace internal

}  // namespace pc::billing
