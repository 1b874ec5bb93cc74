#include "core/time.h"

#include <gtest/gtest.h>

namespace pc {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;

Timestamp T(std::string_view text) {
  Result<Timestamp> t = ParseTimestamp(text);
  EXPECT_TRUE(t.ok()) << text << ": " << (t.ok() ? "" : t.error().message);
  return t.ok() ? *t : Timestamp();
}

YearMonth Ym(int year, int month) { return *YearMonth::Of(year, month); }

TEST(TimeTest, LeapYears) {
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_FALSE(IsLeapYear(2023));
  EXPECT_FALSE(IsLeapYear(2100));
}

TEST(TimeTest, FormatIsUtcWithSixFractionDigits) {
  EXPECT_EQ(FormatTimestamp(FromUnixSeconds(0)), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(FromUnixSeconds(1795341845) + microseconds(123456)),
            "2026-11-22T10:04:05.123456Z");
  EXPECT_EQ(FormatTimestamp(FromUnixSeconds(-1) + microseconds(1)), "1969-12-31T23:59:59.000001Z");
}

TEST(TimeTest, ParseAndFormatRoundTrip) {
  for (std::string_view text : {"2026-11-22T10:04:05.123456Z", "1970-01-01T00:00:00.000000Z",
                                "1969-07-20T20:17:40.000000Z", "2024-02-29T23:59:59.999999Z",
                                "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00.000000Z"}) {
    EXPECT_EQ(FormatTimestamp(T(text)), text);
  }
  const Timestamp now = Now();
  EXPECT_EQ(T(FormatTimestamp(now)), now);
}

TEST(TimeTest, ParseHandlesOffsetsFractionsAndDates) {
  EXPECT_EQ(T("2026-11-22T10:00:00+02:00"), T("2026-11-22T08:00:00Z"));
  EXPECT_EQ(T("2026-11-22T10:00:00-05:30"), T("2026-11-22T15:30:00Z"));
  EXPECT_EQ(T("2026-01-01T01:00:00+02:00"), T("2025-12-31T23:00:00Z"));
  EXPECT_EQ(T("2026-11-22t10:00:00z"), T("2026-11-22T10:00:00Z"));
  EXPECT_EQ(T("2026-11-22"), T("2026-11-22T00:00:00Z"));
  EXPECT_EQ(FormatTimestamp(T("2026-11-22T10:04:05.5Z")), "2026-11-22T10:04:05.500000Z");
  EXPECT_EQ(FormatTimestamp(T("2026-11-22T10:04:05.123456789Z")), "2026-11-22T10:04:05.123456Z");
  EXPECT_EQ(ToUnixSeconds(T("2026-11-22T10:04:05Z")), 1795341845);
}

TEST(TimeTest, ParseRejectsBadText) {
  for (std::string_view text : {
           "",
           "2026",
           "2026-11",
           "2026-1-22",
           "2026-11-22T",
           "2026-11-22T10:00:00",
           "2026-11-22T10:00Z",
           "2026-11-22 10:00:00Z",
           "2026-13-01",
           "2023-02-29",
           "2026-11-31",
           "2026-11-22T24:00:00Z",
           "2026-11-22T10:60:00Z",
           "2026-11-22T10:00:60Z",
           "2026-11-22T10:00:00.Z",
           "2026-11-22T10:00:00.1234567890Z",
           "2026-11-22T10:00:00+2:00",
           "2026-11-22T10:00:00+02:00x",
           "2026-11-22T10:00:00Zx",
           "2026-11-22T10:00:00+0200",
           "0000-01-01",
           "x2026-11-22",
       }) {
    Result<Timestamp> t = ParseTimestamp(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(t.error().message.find("\"" + std::string(text) + "\""), std::string::npos)
        << t.error().message;
  }
}

TEST(TimeTest, ParseRejectsTimesOfDayThatDoNotExist) {
  for (auto parse : {&ParseTimestamp, &ParseDataTimestamp}) {
    auto t = parse("2026-11-20T25:61:61Z");
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("the time of day 25:61:61 does not exist"), std::string::npos)
        << t.error().message;
    EXPECT_TRUE(parse("2026-11-20T23:59:59Z").ok());
    EXPECT_FALSE(parse("2026-11-20T23:59:60Z").ok());  // no leap seconds in usage data
    EXPECT_FALSE(parse("2026-02-29T00:00:00Z").ok());
  }
}

// Data exports write "2024-09-01 00:00:00" (FOCUS samples) or leave the offset out: UTC.
TEST(TimeTest, DataTimestampsAcceptASpaceAndNoOffset) {
  EXPECT_EQ(FormatTimestamp(*ParseDataTimestamp("2024-09-01 10:04:05")),
            "2024-09-01T10:04:05.000000Z");
  EXPECT_EQ(FormatTimestamp(*ParseDataTimestamp("2024-09-01T10:04:05.5")),
            "2024-09-01T10:04:05.500000Z");
  EXPECT_EQ(FormatTimestamp(*ParseDataTimestamp("2024-09-01 23:00:00-02:00")),
            "2024-09-02T01:00:00.000000Z");
  EXPECT_EQ(*ParseDataTimestamp("2024-09-01"), *ParseTimestamp("2024-09-01"));
  for (std::string_view text : {"2024-09-01 25:00:00", "2024-09-01 10:00", "2024-09-01x10:00:00",
                                "2024-09-01 10:00:00 junk", "2024-09-32 00:00:00"}) {
    EXPECT_FALSE(ParseDataTimestamp(text).ok()) << text;
  }
  // ParseTimestamp itself stays RFC 3339.
  EXPECT_FALSE(ParseTimestamp("2024-09-01 10:04:05").ok());
  EXPECT_FALSE(ParseTimestamp("2024-09-01T10:04:05").ok());
}

TEST(TimeTest, UnixSecondsFloorBefore1970) {
  EXPECT_EQ(ToUnixSeconds(FromUnixSeconds(1700000000)), 1700000000);
  EXPECT_EQ(ToUnixSeconds(FromUnixSeconds(-5)), -5);
  EXPECT_EQ(ToUnixSeconds(FromUnixSeconds(0) - microseconds(1)), -1);
}

TEST(YearMonthTest, DaysInMonth) {
  EXPECT_EQ(Ym(2024, 2).DaysInMonth(), 29);
  EXPECT_EQ(Ym(2023, 2).DaysInMonth(), 28);
  EXPECT_EQ(Ym(1900, 2).DaysInMonth(), 28);
  EXPECT_EQ(Ym(2000, 2).DaysInMonth(), 29);
  EXPECT_EQ(Ym(2024, 1).DaysInMonth(), 31);
  EXPECT_EQ(Ym(2024, 4).DaysInMonth(), 30);
  EXPECT_EQ(Ym(2024, 12).DaysInMonth(), 31);
}

TEST(YearMonthTest, NextAndPrevCrossYears) {
  EXPECT_EQ(Ym(2024, 12).Next(), Ym(2025, 1));
  EXPECT_EQ(Ym(2025, 1).Prev(), Ym(2024, 12));
  EXPECT_EQ(Ym(2024, 2).Next(), Ym(2024, 3));
  EXPECT_LT(Ym(2024, 12), Ym(2025, 1));
}

TEST(YearMonthTest, ParseAndPrint) {
  Result<YearMonth> m = YearMonth::Parse("2024-02");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->year(), 2024);
  EXPECT_EQ(m->month(), 2);
  EXPECT_EQ(m->ToString(), "2024-02");
  EXPECT_EQ(Ym(7, 11).ToString(), "0007-11");
  for (std::string_view text : {"2024-13", "2024-1", "24-01", "2024-00", "0000-01", "2024/01",
                                "2024-01-01", "", " 2024-01", "2024-0a"}) {
    Result<YearMonth> bad = YearMonth::Parse(text);
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(bad.error().message.find("\"" + std::string(text) + "\""), std::string::npos)
        << bad.error().message;
  }
  EXPECT_FALSE(YearMonth::Of(2024, 0).ok());
  EXPECT_FALSE(YearMonth::Of(2024, 13).ok());
  EXPECT_FALSE(YearMonth::Of(0, 1).ok());
  EXPECT_FALSE(YearMonth::Of(10000, 1).ok());
}

TEST(YearMonthTest, StartEndAndContaining) {
  const YearMonth feb = Ym(2024, 2);
  EXPECT_EQ(FormatTimestamp(feb.Start()), "2024-02-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(feb.End()), "2024-03-01T00:00:00.000000Z");
  EXPECT_EQ(feb.End() - feb.Start(), hours(24 * 29));
  EXPECT_EQ(FormatTimestamp(Ym(2024, 12).End()), "2025-01-01T00:00:00.000000Z");
  EXPECT_EQ(YearMonth::Containing(T("2024-02-29T23:59:59.999999Z")), feb);
  EXPECT_EQ(YearMonth::Containing(T("2024-03-01T00:00:00Z")), Ym(2024, 3));
  EXPECT_EQ(YearMonth::Containing(feb.Start()), feb);
  EXPECT_EQ(YearMonth::Containing(feb.End() - microseconds(1)), feb);
  // An offset moves the instant into the previous UTC month.
  EXPECT_EQ(YearMonth::Containing(T("2024-03-01T01:00:00+02:00")), feb);
}

}  // namespace
}  // namespace pc
