#include "core/time.h"

#include <cstdio>

namespace pc {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;

std::string Shown(std::string_view text) {
  std::string shown(text.substr(0, 40));
  if (text.size() > shown.size()) shown += "...";
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return "\"" + shown + "\"";
}

// Reads exactly `n` decimal digits at `pos` into `out`; false if any is not a digit.
bool ReadDigits(std::string_view text, size_t pos, size_t n, int* out) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = v;
  return true;
}

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

sys_days ToSysDays(int year, int month, int day) {
  return sys_days(std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(month)) /
                  std::chrono::day(static_cast<unsigned>(day)));
}

// Writes `value` as exactly `width` decimal digits, zero-padded; returns the end.
char* PutDigits(char* out, uint64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

Timestamp Now() {
  return std::chrono::time_point_cast<microseconds>(std::chrono::system_clock::now());
}

std::string FormatTimestamp(Timestamp t) {
  const auto day = floor<days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss<microseconds> tod(t - day);
  const int year = int(ymd.year());
  if (year >= 0 && year <= 9999) {  // every real timestamp: without printf's cost (access log)
    char fast[27];                  // 2026-11-30T16:11:27.123456Z
    char* p = PutDigits(fast, static_cast<uint64_t>(year), 4);
    *p++ = '-';
    p = PutDigits(p, unsigned(ymd.month()), 2);
    *p++ = '-';
    p = PutDigits(p, unsigned(ymd.day()), 2);
    *p++ = 'T';
    p = PutDigits(p, static_cast<uint64_t>(tod.hours().count()), 2);
    *p++ = ':';
    p = PutDigits(p, static_cast<uint64_t>(tod.minutes().count()), 2);
    *p++ = ':';
    p = PutDigits(p, static_cast<uint64_t>(tod.seconds().count()), 2);
    *p++ = '.';
    p = PutDigits(p, static_cast<uint64_t>(tod.subseconds().count()), 6);
    *p++ = 'Z';
    return std::string(fast, p);
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                int(tod.minutes().count()), int(tod.seconds().count()),
                static_cast<long long>(tod.subseconds().count()));
  return buf;
}

namespace {

// RFC 3339 (and, when `lenient`, a space for the 'T' and no offset, read as UTC).
Result<Timestamp> ParseTimestampImpl(std::string_view text, bool lenient) {
  auto fail = [&](const std::string& problem) -> Result<Timestamp> {
    return InvalidArgument("invalid timestamp " + Shown(text) + ": " + problem +
                           "; expected RFC 3339 such as 2026-11-22T10:04:05Z or a date "
                           "such as 2026-11-22");
  };
  int year = 0, month = 0, day = 0;
  if (!ReadDigits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, &month) || text[7] != '-' || !ReadDigits(text, 8, 2, &day)) {
    return fail("the date is not YYYY-MM-DD");
  }
  if (month < 1 || month > 12) return fail("month " + std::to_string(month) + " does not exist");
  if (year < 1) return fail("year 0000 is not supported");
  if (day < 1 || day > DaysIn(year, month)) {
    return fail("day " + std::to_string(day) + " does not exist in that month");
  }
  Timestamp t{ToSysDays(year, month, day)};
  if (text.size() == 10) return t;

  if (text[10] != 'T' && text[10] != 't' && !(lenient && text[10] == ' ')) {
    return fail("'T' must separate the date and the time");
  }
  int hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, 11, 2, &hour) || text.size() < 19 || text[13] != ':' ||
      !ReadDigits(text, 14, 2, &minute) || text[16] != ':' || !ReadDigits(text, 17, 2, &second)) {
    return fail("the time is not hh:mm:ss");
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return fail("the time of day " + std::string(text.substr(11, 8)) +
                " does not exist (hours 00-23, minutes and seconds 00-59)");
  }
  t += hours(hour) + minutes(minute) + seconds(second);

  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t micros = 0;
    size_t n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 6) micros = micros * 10 + (text[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0 || n > 9) return fail("the fraction of a second must have 1 to 9 digits");
    for (size_t i = n; i < 6; ++i) micros *= 10;
    t += microseconds(micros);
  }

  if (pos >= text.size()) {
    if (lenient) return t;
    return fail("the offset is missing (add Z for UTC)");
  }
  if (text[pos] == 'Z' || text[pos] == 'z') {
    if (pos + 1 != text.size()) return fail("unexpected text after the offset");
    return t;
  }
  if (text[pos] != '+' && text[pos] != '-') return fail("the offset must be Z, +hh:mm or -hh:mm");
  int off_h = 0, off_m = 0;
  if (pos + 6 != text.size() || !ReadDigits(text, pos + 1, 2, &off_h) || text[pos + 3] != ':' ||
      !ReadDigits(text, pos + 4, 2, &off_m) || off_h > 23 || off_m > 59) {
    return fail("the offset must be Z, +hh:mm or -hh:mm");
  }
  const minutes offset = hours(off_h) + minutes(off_m);
  // Local time = UTC + offset, so UTC = local - offset.
  return text[pos] == '+' ? t - offset : t + offset;
}

}  // namespace

Result<Timestamp> ParseTimestamp(std::string_view text) { return ParseTimestampImpl(text, false); }

Result<Timestamp> ParseDataTimestamp(std::string_view text) {
  return ParseTimestampImpl(text, true);
}

int64_t ToUnixSeconds(Timestamp t) { return floor<seconds>(t).time_since_epoch().count(); }

Timestamp FromUnixSeconds(int64_t s) { return Timestamp(seconds(s)); }

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

Result<YearMonth> YearMonth::Of(int year, int month) {
  if (year < 1 || year > 9999 || month < 1 || month > 12) {
    return InvalidArgument("invalid month " + std::to_string(year) + "-" + std::to_string(month) +
                           ": the year must be 1..9999 and the month 1..12");
  }
  return YearMonth(year, month);
}

Result<YearMonth> YearMonth::Parse(std::string_view text) {
  int year = 0, month = 0;
  if (text.size() != 7 || !ReadDigits(text, 0, 4, &year) || text[4] != '-' ||
      !ReadDigits(text, 5, 2, &month)) {
    return InvalidArgument("invalid month " + Shown(text) + ": expected YYYY-MM such as 2024-02");
  }
  if (month < 1 || month > 12 || year < 1) {
    return InvalidArgument("invalid month " + Shown(text) +
                           ": the year must be 0001..9999 and the month 01..12");
  }
  return YearMonth(year, month);
}

YearMonth YearMonth::Containing(Timestamp t) {
  const std::chrono::year_month_day ymd(floor<days>(t));
  return YearMonth(int(ymd.year()), int(unsigned(ymd.month())));
}

int YearMonth::DaysInMonth() const { return DaysIn(year_, month_); }

YearMonth YearMonth::Next() const {
  return month_ == 12 ? YearMonth(year_ + 1, 1) : YearMonth(year_, month_ + 1);
}

YearMonth YearMonth::Prev() const {
  return month_ == 1 ? YearMonth(year_ - 1, 12) : YearMonth(year_, month_ - 1);
}

Timestamp YearMonth::Start() const { return Timestamp(ToSysDays(year_, month_, 1)); }

Timestamp YearMonth::End() const { return Next().Start(); }

std::string YearMonth::ToString() const {
  if (year_ >= 0 && year_ <= 9999 && month_ >= 1 && month_ <= 12) {
    char fast[7];
    PutDigits(fast, static_cast<uint64_t>(year_), 4);
    fast[4] = '-';
    PutDigits(fast + 5, static_cast<uint64_t>(month_), 2);
    return std::string(fast, 7);
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year_, month_);
  return buf;
}

}  // namespace pc
