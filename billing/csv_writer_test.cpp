// CsvWriter: RFC 4180 quoting, CSV-injection neutralisation of text cells (OWASP), and number
// cells written exactly as the service's decimals.
#include "billing/csv_writer.h"

#include <gtest/gtest.h>

namespace pc::billing {
namespace {

Decimal D(std::string_view text) {
  auto d = Decimal::Parse(text);
  EXPECT_TRUE(d.ok()) << text;
  return *d;
}

TEST(CsvWriterTest, PlainTextIsWrittenAsIs) {
  EXPECT_EQ(CsvTextCell(""), "");
  EXPECT_EQ(CsvTextCell("Storage"), "Storage");
  EXPECT_EQ(CsvTextCell("Virtual Machines 'Linux'"), "Virtual Machines 'Linux'");
  EXPECT_EQ(CsvTextCell("Ünïcode ✓"), "Ünïcode ✓");
  EXPECT_EQ(CsvTextCell("a=b"), "a=b");  // only a leading '=' makes a formula
  EXPECT_EQ(CsvTextCell("'=already text"), "'=already text");
}

TEST(CsvWriterTest, Rfc4180QuotesSeparatorsQuotesAndLineBreaks) {
  EXPECT_EQ(CsvTextCell("Virtual Machines, Linux"), "\"Virtual Machines, Linux\"");
  EXPECT_EQ(CsvTextCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvTextCell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvTextCell("two\r\nlines"), "\"two\r\nlines\"");
  EXPECT_EQ(CsvTextCell("\""), "\"\"\"\"");
}

TEST(CsvWriterTest, TextThatStartsLikeAFormulaIsNeutralised) {
  EXPECT_EQ(CsvTextCell("=1+2"), "\"'=1+2\"");
  EXPECT_EQ(CsvTextCell("+1"), "\"'+1\"");
  EXPECT_EQ(CsvTextCell("-1"), "\"'-1\"");
  EXPECT_EQ(CsvTextCell("@SUM(A1:A2)"), "\"'@SUM(A1:A2)\"");
  EXPECT_EQ(CsvTextCell("\t=1"), "\"'\t=1\"");
  EXPECT_EQ(CsvTextCell("\r=1"), "\"'\r=1\"");
  // Neutralised and RFC 4180 together: the quotes inside are doubled after the prefix.
  EXPECT_EQ(CsvTextCell("=HYPERLINK(\"http://evil.example\",\"x\")"),
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"");
  // A decimal that came as text (a name, a category) is text: it is neutralised too.
  EXPECT_EQ(CsvTextCell("-12.50"), "\"'-12.50\"");
}

TEST(CsvWriterTest, NumbersAreTheServiceDecimalsUntouched) {
  CsvWriter w;
  w.Number(D("-12.50")).Number(D("0")).Number(D("1500")).Number(D("0.000001")).EndRow();
  EXPECT_EQ(w.str(), "-12.50,0,1500,0.000001\r\n");
}

TEST(CsvWriterTest, RowsAreCommaSeparatedAndEndWithCrlf) {
  CsvWriter w;
  w.Header({"Name", "Amount"});
  w.Text("=cmd|' /C calc'!A0").Number(D("-3.5")).EndRow();
  w.Text("plain").Number(D("2")).EndRow();
  EXPECT_EQ(w.str(),
            "Name,Amount\r\n"
            "\"'=cmd|' /C calc'!A0\",-3.5\r\n"
            "plain,2\r\n");
}

}  // namespace
}  // namespace pc::billing
