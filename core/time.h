// UTC time and calendar months.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace pc {

// A point in time, UTC, with microsecond precision.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

Timestamp Now();
// "2026-11-22T10:04:05.123456Z" (always UTC, always 6 fraction digits).
std::string FormatTimestamp(Timestamp t);
// RFC 3339 / ISO 8601: "2026-11-22T10:04:05Z", with optional fraction (up to 9 digits, extra
// digits truncated to microseconds) and an offset "Z", "+hh:mm" or "-hh:mm"; a bare date
// "2026-11-22" is midnight UTC. Anything else is an InvalidArgument error.
Result<Timestamp> ParseTimestamp(std::string_view text);
// ParseTimestamp, also accepting what data exports write: a space instead of the 'T' and no
// offset (read as UTC): "2024-09-01 00:00:00", "2024-09-01T00:00:00". The date and the time
// of day must exist all the same ("2026-11-20T25:61:61Z" is an error).
Result<Timestamp> ParseDataTimestamp(std::string_view text);
// Seconds since the Unix epoch (negative before 1970).
int64_t ToUnixSeconds(Timestamp t);
Timestamp FromUnixSeconds(int64_t seconds);

bool IsLeapYear(int year);

// A calendar month, e.g. 2024-02.
class YearMonth {
 public:
  YearMonth() = default;
  // year 1..9999, month 1..12; otherwise an error.
  static Result<YearMonth> Of(int year, int month);
  // "YYYY-MM" exactly.
  static Result<YearMonth> Parse(std::string_view text);
  static YearMonth Containing(Timestamp t);

  int year() const { return year_; }
  int month() const { return month_; }
  int DaysInMonth() const;  // 28..31, leap years included
  YearMonth Next() const;
  YearMonth Prev() const;
  Timestamp Start() const;       // first instant of the month, UTC
  Timestamp End() const;         // first instant of the next month (exclusive end)
  std::string ToString() const;  // "YYYY-MM"
  auto operator<=>(const YearMonth&) const = default;

 private:
  YearMonth(int y, int m) : year_(y), month_(m) {}
  int year_ = 1970;
  int month_ = 1;
};

}  // namespace pc
