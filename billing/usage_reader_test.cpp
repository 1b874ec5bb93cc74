#include "billing/usage_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "tests/fixtures.h"

namespace pc::billing {
namespace {

using testing::HasSubstr;

const std::string kHeader =
    "PartnerId,CustomerId,CustomerName,InvoiceNumber,SubscriptionId,ChargeStartDate,UsageDate,"
    "MeterCategory,MeterId,ResourceURI,ChargeType,UnitPrice,Quantity,BillingPreTaxTotal,"
    "BillingCurrency,Tags,EntitlementId,BenefitOrderId,BenefitId,BenefitType";

std::string Row(const std::string& customer, const std::string& sub, const std::string& day,
                const std::string& category, const std::string& resource, const std::string& price,
                const std::string& quantity, const std::string& total,
                const std::string& tags = "") {
  return "p1," + customer + ",Acme,G1,pcsub," + day + "T00:00:00Z," + day + "T00:00:00Z," +
         category + ",m1," + resource + "," + (quantity.starts_with('-') ? "refund" : "new") + "," +
         price + "," + quantity + "," + total + ",USD," + tags + "," + sub + ",,,";
}

struct ReadResult {
  std::optional<Error> open_error;
  std::optional<Error> read_error;
  std::vector<UsageRow> rows;
  std::vector<RowError> errors;
  std::string format;
  std::string digest;
};

ReadResult ReadAll(const std::string& bytes, size_t chunk = 4 << 20, int threads = 2,
                   const std::string& name = "usage.csv") {
  ReadResult out;
  ReaderOptions options;
  options.file_name = name;
  options.chunk_bytes = chunk;
  options.threads = threads;
  auto reader = UsageReader::Open(MemorySource(bytes), options);
  if (!reader.ok()) {
    out.open_error = reader.error();
    return out;
  }
  out.format = std::string(UsageFormatName((*reader)->format()));
  while (true) {
    auto batch = (*reader)->Next();
    if (!batch.ok()) {
      out.read_error = batch.error();
      return out;
    }
    if (!*batch) break;
    for (auto& r : (*batch)->rows) out.rows.push_back(std::move(r));
    for (auto& e : (*batch)->errors) out.errors.push_back(std::move(e));
  }
  out.digest = (*reader)->Digest();
  return out;
}

// ScanUsage with `threads` sinks, rows and rejections sorted by line.
struct ScanCollect : UsageSink {
  std::vector<UsageRow> rows;
  std::vector<RowError> errors;
  Status Row(const UsageRowView& v) override {
    rows.push_back(ToUsageRow(v));
    return {};
  }
  void Reject(RowError e) override { errors.push_back(std::move(e)); }
};

ReadResult ScanAll(const std::string& bytes, size_t chunk, int threads, bool stop = false) {
  ReadResult out;
  ReaderOptions options;
  options.file_name = "usage.csv";
  options.chunk_bytes = chunk;
  std::vector<ScanCollect> sinks(static_cast<size_t>(threads));
  std::vector<UsageSink*> pointers;
  for (auto& s : sinks) pointers.push_back(&s);
  auto result = ScanUsage(MemorySource(bytes), options, pointers, stop);
  if (!result.ok()) {
    out.read_error = result.error();
    return out;
  }
  out.format = std::string(UsageFormatName(result->format));
  out.digest = result->digest;
  for (auto& s : sinks) {
    for (auto& r : s.rows) out.rows.push_back(std::move(r));
    for (auto& e : s.errors) out.errors.push_back(std::move(e));
  }
  std::sort(out.rows.begin(), out.rows.end(),
            [](const UsageRow& a, const UsageRow& b) { return a.line < b.line; });
  std::sort(out.errors.begin(), out.errors.end(),
            [](const RowError& a, const RowError& b) { return a.line < b.line; });
  return out;
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), d, &n, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    static const char* k = "0123456789abcdef";
    hex += k[d[i] >> 4];
    hex += k[d[i] & 15];
  }
  return hex;
}

std::string Gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Sum(const std::vector<UsageRow>& rows, Decimal UsageRow::*field) {
  Decimal total;
  for (const auto& r : rows) total = *total.Add(r.*field);
  return total.ToString();
}

TEST(UsageNumberTest, AcceptsPlainDecimalsAndExactExponents) {
  EXPECT_EQ(ParseUsageNumber("-12.3400", false)->ToString(), "-12.3400");
  EXPECT_EQ(ParseUsageNumber("5.64902E-05", true)->ToString(), "0.0000564902");
  EXPECT_EQ(ParseUsageNumber("1.5e3", true)->ToString(), "1500");
  EXPECT_EQ(ParseUsageNumber("0", false)->ToString(), "0");
}

TEST(UsageNumberTest, RejectsWhatIsNotAnExactNumberWithTheValueInTheReason) {
  struct Case {
    const char* text;
    bool exponent;
    const char* reason;
  } cases[] = {
      {"1e309", false, "\"1e309\" is not a plain decimal number"},
      {"1e309", true, "\"1e309\" is out of range"},  // not representable exactly
      {"1e-309", true, "\"1e-309\" has more than 30 decimal places"},
      {"-0", false, "\"-0\" is a negative zero"},
      {"-0.00", false, "\"-0.00\" is a negative zero"},
      {"1,234.5", false, "\"1,234.5\" has a thousands or decimal comma"},
      {"NaN", true, "\"NaN\" is not a number"},
      {"Infinity", true, "\"Infinity\" is not a number"},
      {"", false, "is empty"},
      {"12 ", false, "\"12 \" is not a plain decimal number"},
      {"0x10", false, "\"0x10\" is not a plain decimal number"},
  };
  for (const auto& c : cases) {
    auto d = ParseUsageNumber(c.text, c.exponent);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_THAT(d.error().message, HasSubstr(c.reason)) << c.text;
  }
}

TEST(UsageNumberTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii, é, 日本, 🎉"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));          // truncated sequence
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

TEST(UsageReaderTest, ReadsPartnerCenterCsvDrivenByTheHeader) {
  std::string csv = kHeader + "\n" +
                    Row("C1", "S1", "2024-09-01", "Storage", "/r/1", "0.5", "3", "1.49") + "\n" +
                    Row("C1", "S1", "2024-09-02", "Compute", "/r/2", "1.25", "-2", "-2.50") + "\n";
  auto r = ReadAll(csv);
  ASSERT_FALSE(r.open_error) << r.open_error->message;
  EXPECT_EQ(r.format, "partner_center_csv");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].ToString();
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].customer_id, "c1");
  EXPECT_EQ(r.rows[0].azure_subscription_id, "s1");
  EXPECT_EQ(r.rows[0].day, "2024-09-01");
  EXPECT_EQ(r.rows[0].line, 2);
  EXPECT_EQ(r.rows[0].charge.ToString(), "1.5");
  EXPECT_EQ(r.rows[1].charge.ToString(), "-2.50");
  EXPECT_EQ(r.rows[1].partner_cost.ToString(), "-2.50");
  EXPECT_EQ(r.rows[1].currency, "USD");
  EXPECT_NE(r.rows[0].line_key, r.rows[1].line_key);
  EXPECT_EQ(r.digest.size(), 64u);
}

TEST(UsageReaderTest, ColumnOrderBomCrlfAndChunkingDoNotChangeTheRows) {
  std::string lf = kHeader + "\n";
  for (int i = 0; i < 300; ++i) {
    lf += Row("C" + std::to_string(i % 3), "S1", "2024-09-0" + std::to_string(1 + i % 9),
              "Cat \"Q\"", "/r/" + std::to_string(i), "0.0001234" + std::to_string(i % 10),
              std::to_string(i - 150) + ".5", "1.00",
              "\"{\"\"env\"\": \"\"a,b\"\",\n \"\"k\"\": \"\"line\r\nbreak\"\"}\"") +
          "\n";
  }
  // "Cat \"Q\"" above is an unquoted field with quotes: make it a proper quoted one.
  std::string fixed;
  for (size_t p = 0;;) {
    size_t q = lf.find("Cat \"Q\"", p);
    if (q == std::string::npos) {
      fixed += lf.substr(p);
      break;
    }
    fixed += lf.substr(p, q - p) + "\"Cat \"\"Q\"\"\"";
    p = q + 7;
  }
  lf = fixed;
  std::string crlf;
  for (char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  auto a = ReadAll(lf);
  auto b = ReadAll("\xef\xbb\xbf" + crlf, 700, 3);
  ASSERT_FALSE(a.open_error) << a.open_error->message;
  ASSERT_FALSE(b.open_error) << b.open_error->message;
  ASSERT_TRUE(a.errors.empty()) << a.errors[0].ToString();
  ASSERT_TRUE(b.errors.empty()) << b.errors[0].ToString();
  ASSERT_EQ(a.rows.size(), 300u);
  ASSERT_EQ(b.rows.size(), 300u);
  for (size_t i = 0; i < a.rows.size(); ++i) {
    EXPECT_EQ(a.rows[i].line_key, b.rows[i].line_key) << i;
    EXPECT_EQ(a.rows[i].line, b.rows[i].line) << i;
    EXPECT_EQ(a.rows[i].meter_category, "Cat \"Q\"");
  }
  EXPECT_EQ(a.rows[1].line, 5);  // each row spans three physical lines
  EXPECT_EQ(Sum(a.rows, &UsageRow::charge), Sum(b.rows, &UsageRow::charge));
  EXPECT_EQ(Sum(a.rows, &UsageRow::quantity), "-150.0");

  // Another column order, with the Benefit* columns dropped, reads the same values.
  std::string reordered =
      "Quantity,EntitlementId,UnitPrice,UsageDate,CustomerId,BillingPreTaxTotal,MeterCategory,"
      "BillingCurrency\n2.5,S9,0.1,2024-02-29,C9,0.25,VM,usd\n";
  auto c = ReadAll(reordered);
  ASSERT_FALSE(c.open_error) << c.open_error->message;
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].charge.ToString(), "0.25");
  EXPECT_EQ(c.rows[0].currency, "USD");
  EXPECT_EQ(c.rows[0].day, "2024-02-29");
}

TEST(UsageReaderTest, BadRowsAreReportedWithFileLineColumnAndValue) {
  std::string csv =
      kHeader + "\n" + Row("C1", "S1", "2024-09-01", "VM", "/r/1", "0.5", "1e309", "1") + "\n" +
      Row("C1", "S1", "2024-09-01", "VM", "/r/2", "0.5", "-0", "1") + "\n" +
      Row("C1", "S1", "2024-09-01", "VM", "/r/3", "NaN", "1", "1") + "\n" +
      Row("C1", "S1", "2024-09-01", "VM", "/r/4", "0.5", "\"1,234.5\"", "1") + "\n" +
      Row("", "S1", "2024-09-01", "VM", "/r/5", "0.5", "1", "1") + "\n" +
      Row("C1", "S1", "2024-13-01", "VM", "/r/6", "0.5", "1", "1") + "\n" +
      Row("C1", "S1", "2024-09-01", "VM\xff", "/r/7", "0.5", "1", "1") + "\n" + "p1,C1,too,few\n" +
      Row("C1", "S1", "2024-09-01", "VM", "/r/9", "0.5", "2", "1") + "\n" +
      Row("C1", "S1", "2024-09-01", "VM", "/r/10", "0.5", "1", "") + "\n";
  auto r = ReadAll(csv);
  ASSERT_FALSE(r.open_error) << r.open_error->message;
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].line, 10);
  ASSERT_EQ(r.errors.size(), 9u);
  EXPECT_THAT(r.errors[0].ToString(),
              HasSubstr("usage.csv line 2, column Quantity: \"1e309\" is not a plain decimal "
                        "number"));
  EXPECT_THAT(r.errors[1].ToString(), HasSubstr("line 3, column Quantity: \"-0\" is a negative"));
  EXPECT_THAT(r.errors[2].ToString(), HasSubstr("line 4, column UnitPrice: \"NaN\" is not a"));
  EXPECT_THAT(r.errors[3].ToString(), HasSubstr("line 5, column Quantity: \"1,234.5\" has a"));
  EXPECT_THAT(r.errors[4].ToString(), HasSubstr("line 6, column CustomerId: is empty"));
  EXPECT_THAT(r.errors[5].ToString(), HasSubstr("line 7, column UsageDate: \"2024-13-01T00"));
  EXPECT_THAT(r.errors[6].ToString(),
              HasSubstr("line 8, column MeterCategory: \"VM\\xff\" is not valid UTF-8"));
  EXPECT_THAT(r.errors[7].ToString(), HasSubstr("line 9: has 4 fields, the header has 20"));
  EXPECT_THAT(r.errors[8].ToString(), HasSubstr("line 11, column BillingPreTaxTotal: is empty"));
}

// One Partner Center row with the usage date, charge type and numbers as written.
std::string RowAt(int n, const std::string& usage_date, const std::string& charge_type,
                  const std::string& price, const std::string& quantity, const std::string& total) {
  return "p1,C1,Acme,G1,pcsub,2024-09-01T00:00:00Z," + usage_date + ",VM,m1,/r/" +
         std::to_string(n) + "," + charge_type + "," + price + "," + quantity + "," + total +
         ",USD,,S1,,,";
}

// Values Partner Center cannot send are rejected per row, with line, column, the value and what
// is allowed; the other rows are read.
TEST(UsageReaderTest, ValuesOutsideWhatPartnerCenterSendsAreRejectedPerRow) {
  const std::string ok_day = "2024-09-01T00:00:00Z";
  std::vector<std::string> rows = {
      RowAt(1, ok_day, "refund", "0.5", "-99999999999999999999", "-1"),
      RowAt(2, ok_day, "new", "0.5", "1000000000000", "1"),
      RowAt(3, ok_day, "new", "0.5", "-2", "-1"),
      RowAt(4, ok_day, "new", "-0.5", "2", "-1"),
      RowAt(5, ok_day, "new", "1000000000", "1", "1"),
      RowAt(6, ok_day, "new", "0.5", "1", "1000000000000000"),
      RowAt(7, ok_day, "new", "0.5", "0.000000000000000000001", "1"),
      RowAt(8, "2026-11-20T25:61:61Z", "new", "0.5", "1", "1"),
      RowAt(9, "9999-12-31T00:00:00Z", "new", "0.5", "1", "1"),
      RowAt(10, "1999-12-31T00:00:00Z", "new", "0.5", "1", "1"),
      RowAt(11, "9/2/2024 25:00:00", "new", "0.5", "1", "1"),
      RowAt(12, "2024-09-01T10:00:00x", "new", "0.5", "1", "1"),
      // Accepted: the largest values, a refund, US dates with a time, an offset (UTC day).
      RowAt(13, ok_day, "new", "999999999.99", "999999999999.999", "999999999999999.99"),
      RowAt(14, ok_day, "Refund", "0.5", "-999999999999", "-499999999999.5"),
      RowAt(15, "9/2/2024 12:00:00 AM", "new", "0.5", "1", "1"),
      RowAt(16, "9/2/2024 13:05", "new", "0.5", "1", "1"),
      RowAt(17, "2024-09-01T23:00:00-02:00", "new", "0.5", "1", "1"),
  };
  std::string csv = kHeader + "\n";
  for (const auto& r : rows) csv += r + "\n";
  ReaderOptions options;
  options.max_day = 20261231;  // the window's end, fixed for the test
  auto reader = UsageReader::Open(MemorySource(csv), options);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  std::vector<UsageRow> read;
  std::vector<std::string> errors;
  while (true) {
    auto batch = (*reader)->Next();
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    if (!*batch) break;
    for (auto& r : (*batch)->rows) read.push_back(r);
    for (auto& e : (*batch)->errors) errors.push_back(e.ToString());
  }
  ASSERT_EQ(errors.size(), 12u);
  EXPECT_EQ(errors[0],
            "input line 2, column Quantity: \"-99999999999999999999\" is out of range for "
            "Quantity: allowed is -10^12 < value < 10^12");
  EXPECT_EQ(errors[1],
            "input line 3, column Quantity: \"1000000000000\" is out of range for Quantity: "
            "allowed is 0 <= value < 10^12");  // not a refund row: no negative either
  EXPECT_THAT(errors[2], HasSubstr("line 4, column Quantity: \"-2\" is negative; a negative "
                                   "Quantity is allowed only on a credit or refund row"));
  EXPECT_EQ(errors[3],
            "input line 5, column UnitPrice: \"-0.5\" is negative; a price is never negative");
  EXPECT_EQ(errors[4],
            "input line 6, column UnitPrice: \"1000000000\" is out of range for UnitPrice: "
            "allowed is 0 <= value < 10^9");
  EXPECT_THAT(errors[5], HasSubstr("line 7, column BillingPreTaxTotal: \"1000000000000000\" is "
                                   "out of range"));
  EXPECT_THAT(errors[6], HasSubstr("line 8, column Quantity: \"0.000000000000000000001\" has 21 "
                                   "digits after the point; at most 20 are allowed"));
  EXPECT_EQ(errors[7],
            "input line 9, column UsageDate: \"2026-11-20T25:61:61Z\" is not a real date and "
            "time: the time of day 25:61:61 does not exist (hours 00-23, minutes and seconds "
            "00-59)");
  EXPECT_EQ(errors[8],
            "input line 10, column UsageDate: \"9999-12-31T00:00:00Z\" is outside the usage "
            "dates accepted, 2000-01-01 through 2026-12-31 (the end of the month after the "
            "current one)");
  EXPECT_THAT(errors[9], HasSubstr("line 11, column UsageDate: \"1999-12-31T00:00:00Z\" is "
                                   "outside the usage dates accepted"));
  EXPECT_THAT(errors[10], HasSubstr("line 12, column UsageDate: \"9/2/2024 25:00:00\" has a time "
                                    "of day that does not exist"));
  EXPECT_THAT(errors[11], HasSubstr("line 13, column UsageDate: \"2024-09-01T10:00:00x\" is not "
                                    "a real date and time"));
  ASSERT_EQ(read.size(), 5u);
  EXPECT_EQ(read[0].quantity.ToString(), "999999999999.999");
  EXPECT_EQ(read[1].quantity.ToString(), "-999999999999");
  EXPECT_EQ(read[2].day, "2024-09-02");
  EXPECT_EQ(read[3].day, "2024-09-02");
  EXPECT_EQ(read[4].day, "2024-09-02");  // 23:00 at -02:00 is 01:00 UTC the next day
}

// The same checks in the other two readers.
TEST(UsageReaderTest, GraphJsonLinesAndFocusRowsAreBoundedToo) {
  std::string jsonl =
      R"({"customerId":"C1","entitlementId":"S1","usageDate":"2026-11-20T25:61:61Z","unitPrice":1,"quantity":1,"billingPreTaxTotal":1,"billingCurrency":"USD"})"
      "\n"
      R"({"customerId":"C1","entitlementId":"S1","usageDate":"9999-12-31T00:00:00Z","unitPrice":1,"quantity":1,"billingPreTaxTotal":1,"billingCurrency":"USD"})"
      "\n"
      R"({"customerId":"C1","entitlementId":"S1","usageDate":"2024-09-01T00:00:00Z","unitPrice":1,"quantity":-99999999999999999999,"billingPreTaxTotal":1,"billingCurrency":"USD"})"
      "\n"
      R"({"customerId":"C1","entitlementId":"S1","usageDate":"2024-09-01T00:00:00Z","chargeType":"refund","unitPrice":1,"quantity":-1E13,"billingPreTaxTotal":1,"billingCurrency":"USD"})"
      "\n"
      R"({"customerId":"C1","entitlementId":"S1","usageDate":"2024-09-01T00:00:00Z","unitPrice":1,"quantity":2.5E0,"billingPreTaxTotal":1,"billingCurrency":"USD"})"
      "\n";
  auto j = ReadAll(jsonl);
  ASSERT_FALSE(j.open_error) << j.open_error->message;
  ASSERT_EQ(j.errors.size(), 4u);
  EXPECT_THAT(j.errors[0].ToString(), HasSubstr("line 1, column UsageDate: "
                                                "\"2026-11-20T25:61:61Z\" is not a real date"));
  EXPECT_THAT(j.errors[1].ToString(), HasSubstr("line 2, column UsageDate: "
                                                "\"9999-12-31T00:00:00Z\" is outside"));
  EXPECT_THAT(j.errors[2].ToString(),
              HasSubstr("line 3, column Quantity: \"-99999999999999999999\" is negative"));
  EXPECT_THAT(j.errors[3].ToString(), HasSubstr("line 4, column Quantity: \"-1E13\" is out of "
                                                "range for Quantity"));
  ASSERT_EQ(j.rows.size(), 1u);
  EXPECT_EQ(j.rows[0].quantity.ToString(), "2.5");

  std::string focus =
      "BilledCost,ChargePeriodStart,SubAccountId,ListCost,PricingQuantity,BillingCurrency,"
      "ServiceName\n"
      "1,2026-11-20 25:61:61,S1,1,1,USD,VM\n"
      "1,9999-12-31T00:00:00Z,S1,1,1,USD,VM\n"
      "1,2024-09-01T00:00:00Z,S1,1,-99999999999999999999,USD,VM\n"
      "1E16,2024-09-01T00:00:00Z,S1,1,1,USD,VM\n"
      "-1,2024-09-01 00:00:00,S1,-1,-2,USD,VM\n";
  auto f = ReadAll(focus);
  ASSERT_FALSE(f.open_error) << f.open_error->message;
  EXPECT_EQ(f.format, "focus_csv");
  ASSERT_EQ(f.errors.size(), 4u);
  EXPECT_THAT(f.errors[0].ToString(),
              HasSubstr("line 2, column ChargePeriodStart: \"2026-11-20 25:61:61\" is not a real "
                        "date and time"));
  EXPECT_THAT(f.errors[1].ToString(), HasSubstr("line 3, column ChargePeriodStart: "
                                                "\"9999-12-31T00:00:00Z\" is outside"));
  EXPECT_THAT(f.errors[2].ToString(), HasSubstr("line 4, column PricingQuantity: "
                                                "\"-99999999999999999999\" is out of range"));
  EXPECT_THAT(f.errors[3].ToString(),
              HasSubstr("line 5, column BilledCost: \"1E16\" is out of range"));
  ASSERT_EQ(f.rows.size(), 1u);  // FOCUS exports write negative usage (a correction)
  EXPECT_EQ(f.rows[0].quantity.ToString(), "-2");
}

TEST(UsageReaderTest, ParseUsageDayChecksTheTimeOfDay) {
  EXPECT_EQ(ParseUsageDay("2024-09-01"), 20240901);
  EXPECT_EQ(ParseUsageDay("2024-09-01T23:59:59.999Z"), 20240901);
  EXPECT_EQ(ParseUsageDay("2024-09-01 00:00:00"), 20240901);
  EXPECT_EQ(ParseUsageDay("9/2/2024"), 20240902);
  EXPECT_EQ(ParseUsageDay("12/31/2024 11:59:59 PM"), 20241231);
  std::string why;
  EXPECT_EQ(ParseUsageDay("2026-11-20T25:61:61Z", &why), 0);
  EXPECT_THAT(why, HasSubstr("the time of day 25:61:61 does not exist"));
  for (std::string_view bad :
       {"2024-09-01T", "2024-09-01Tjunk", "2024-09-01T10:00", "2024-02-30", "9/2/2024 junk",
        "9/2/2024 13:00 PM", "9/2/2024 0:00 AM", "13/1/2024", "9/31/2024", "9/2/24"}) {
    EXPECT_EQ(ParseUsageDay(bad), 0) << bad;
  }
}

// A gzip file that expands far more than a usage file does stops at the limit, fast, with
// PayloadTooLarge; the expanded size limit holds on its own too.
TEST(UsageReaderTest, GzipBombsStopAtTheLimits) {
  // A header, then 48 gzip members of a 1 MiB line of spaces (~1 KiB each: ratio ~1000).
  std::string gz = Gzip(kHeader + "\n");
  const std::string member = Gzip(std::string((1 << 20) - 1, ' ') + "\n");
  for (int i = 0; i < 48; ++i) gz += member;
  ASSERT_LT(gz.size(), 200u << 10);
  auto read = [&](uint64_t max_expanded, uint64_t ratio) {
    ReaderOptions options;
    options.file_name = "bomb.csv.gz";
    options.max_expanded_bytes = max_expanded;
    options.max_expansion_ratio = ratio;
    std::optional<Error> error;
    auto reader = UsageReader::Open(MemorySource(gz), options);
    if (!reader.ok()) return std::optional<Error>(reader.error());
    while (true) {
      auto batch = (*reader)->Next();
      if (!batch.ok()) return std::optional<Error>(batch.error());
      if (!*batch) return std::optional<Error>();
    }
  };
  auto ratio = read(uint64_t{16} << 30, 200);
  ASSERT_TRUE(ratio.has_value());
  EXPECT_EQ(ratio->code, ErrorCode::kPayloadTooLarge);
  EXPECT_THAT(ratio->message, HasSubstr("bomb.csv.gz: the gzip data expands more than 200 times"));
  EXPECT_THAT(ratio->message, HasSubstr("billing.import_max_expansion_ratio"));
  auto size = read(32 << 20, 100000);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->code, ErrorCode::kPayloadTooLarge);
  EXPECT_THAT(size->message, HasSubstr("the gzip data expands to more than 32 MiB "
                                       "(billing.import_max_expanded_bytes)"));
  // Within both limits the file reads (its lines of spaces are bad rows, not an error).
  EXPECT_FALSE(read(128 << 20, 100000).has_value());
}

TEST(UsageReaderTest, FileLevelProblemsAreClearErrors) {
  EXPECT_THAT(ReadAll("").open_error->message, HasSubstr("usage.csv: the file is empty"));
  EXPECT_THAT(ReadAll("a,b,c\n1,2,3\n").open_error->message,
              HasSubstr("line 1 is not the header of a usage file"));
  EXPECT_THAT(ReadAll("\xff\xfe"
                      "C\0u\0")
                  .open_error->message,
              HasSubstr("UTF-16"));
  EXPECT_THAT(ReadAll("Cust\xe9merId,EntitlementId\n").open_error->message,
              HasSubstr("not valid UTF-8"));
  std::string dup =
      "CustomerId,EntitlementId,MeterCategory,UsageDate,UnitPrice,Quantity,"
      "BillingPreTaxTotal,BillingCurrency,Quantity\n";
  EXPECT_THAT(ReadAll(dup).open_error->message, HasSubstr("names the column Quantity twice"));
  // Truncated gzip: a clear file error, not a crash or a silent partial read.
  std::string gz = Gzip(kHeader + "\n" + Row("C", "S", "2024-01-01", "VM", "/r", "1", "1", "1"));
  auto r = ReadAll(gz.substr(0, gz.size() - 10));
  std::string message = r.open_error ? r.open_error->message : r.read_error->message;
  EXPECT_THAT(message, HasSubstr("gzip data is truncated"));
}

TEST(UsageReaderTest, TruncatedCsvReportsTheLastRow) {
  std::string csv =
      kHeader + "\n" +
      Row("C1", "S1", "2024-09-01", "VM", "/r/1", "0.5", "1", "1", "\"{\"\"a\"\": 1}\"") + "\n" +
      Row("C1", "S1", "2024-09-01", "VM", "/r/2", "0.5", "1", "1");
  auto cut = ReadAll(csv.substr(0, csv.size() - 20));
  ASSERT_FALSE(cut.open_error);
  EXPECT_EQ(cut.rows.size(), 1u);
  ASSERT_EQ(cut.errors.size(), 1u);
  EXPECT_THAT(cut.errors[0].ToString(), HasSubstr("line 3: has "));
  EXPECT_THAT(cut.errors[0].ToString(), HasSubstr("the row may be truncated"));
  std::string open_quote = kHeader + "\n" + "p1,C1,\"Acme";
  auto q = ReadAll(open_quote);
  ASSERT_EQ(q.errors.size(), 1u);
  EXPECT_THAT(q.errors[0].ToString(), HasSubstr("line 2: has an unterminated quoted field"));
}

TEST(UsageReaderTest, ParallelScanReadsExactlyWhatTheReaderReads) {
  // Quoted newlines, CRLF inside and at the end of records, doubled quotes, a BOM, bad rows,
  // blank lines and no line end at the end of the file, in chunks far smaller than a record.
  std::string csv = "\xef\xbb\xbf" + kHeader + "\r\n";
  for (int i = 0; i < 400; ++i) {
    std::string tags = i % 3 == 0 ? "\"{\"\"k\"\": \"\"a,\r\nb\"\"}\"" : i % 3 == 1 ? "plain" : "";
    std::string quantity = i % 37 == 5 ? "1e9" : std::to_string(i) + ".25";
    csv += Row("C" + std::to_string(i % 4), "S" + std::to_string(i % 2),
               "2024-09-1" + std::to_string(i % 10), i % 5 == 0 ? "\"Cat, \"\"X\"\"\"" : "VM",
               "/r/" + std::to_string(i), "0.5", quantity, "1.00", tags) +
           (i % 50 == 7 ? "\r\n\r\n" : "\r\n");
  }
  csv += Row("C9", "S9", "2024-09-30", "VM", "/r/last", "1", "2", "2");  // no line end
  auto reference = ReadAll(csv, 1 << 20, 1);
  ASSERT_FALSE(reference.open_error) << reference.open_error->message;
  ASSERT_EQ(reference.rows.size(), 401u - 11u);
  ASSERT_EQ(reference.errors.size(), 11u);
  EXPECT_EQ(reference.digest, Sha256Hex(csv));  // the digest is sha256sum's
  for (size_t chunk : {size_t{1}, size_t{97}, size_t{700}, size_t{1} << 20}) {
    for (int threads : {1, 2, 3}) {
      auto scan = ScanAll(csv, chunk, threads);
      ASSERT_FALSE(scan.read_error) << scan.read_error->message;
      EXPECT_EQ(scan.digest, reference.digest);
      ASSERT_EQ(scan.rows.size(), reference.rows.size()) << chunk << " " << threads;
      for (size_t i = 0; i < scan.rows.size(); ++i) {
        EXPECT_EQ(scan.rows[i].line, reference.rows[i].line);
        EXPECT_EQ(scan.rows[i].line_key, reference.rows[i].line_key);
        EXPECT_EQ(scan.rows[i].meter_category, reference.rows[i].meter_category);
        EXPECT_EQ(scan.rows[i].quantity, reference.rows[i].quantity);
        EXPECT_EQ(scan.rows[i].day, reference.rows[i].day);
      }
      ASSERT_EQ(scan.errors.size(), reference.errors.size());
      for (size_t i = 0; i < scan.errors.size(); ++i) {
        EXPECT_EQ(scan.errors[i].ToString(), reference.errors[i].ToString());
      }
    }
  }
  EXPECT_EQ(reference.rows[0].meter_category, "Cat, \"X\"");
  EXPECT_EQ(reference.rows.back().line, 1 + 400 + 400 / 3 + 1 + 8 + 1);
}

TEST(UsageReaderTest, AMisplacedQuoteCostsOnlyItsOwnLine) {
  std::string csv =
      kHeader + "\n" + Row("C1", "S1", "2024-09-01", "V\"M", "/r/1", "0.5", "1", "1") + "\n" +
      Row("C1", "S1", "2024-09-01", "VM", "/r/2", "0.5", "1", "1", "\"{\"\"a\"\": 1}\"") + "\n" +
      Row("C1", "S1", "2024-09-01", "\"VM\"x", "/r/3", "0.5", "1", "1") + "\n" +
      Row("C1", "S1", "2024-09-01", "VM", "/r/4", "0.5", "1", "1") + "\n";
  for (int threads : {1, 2}) {
    auto r = threads == 1 ? ReadAll(csv) : ScanAll(csv, 64, threads);
    ASSERT_EQ(r.rows.size(), 2u);
    EXPECT_EQ(r.rows[0].line, 3);
    EXPECT_EQ(r.rows[1].line, 5);
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_THAT(r.errors[0].ToString(),
                HasSubstr("line 2: has a quote inside an unquoted field: \"V\\\"M\""));
    EXPECT_THAT(r.errors[1].ToString(), HasSubstr("line 4: has text after a closing quote"));
  }
}

TEST(UsageReaderTest, AMisplacedQuoteDoesNotStopTheFileFromBeingReadInChunks) {
  std::string csv = kHeader + "\n";
  for (int i = 0; i < 12000; ++i) {
    csv += Row("C1", "S1", "2024-09-01", i == 10 ? "V\"M" : "VM", "/r/" + std::to_string(i), "0.5",
               "1", "1", i % 2 ? "\"{\"\"a\"\": 1}\"" : "") +
           "\n";
  }
  ASSERT_GT(csv.size(), 1u << 20);  // past the point where quote counting gives up
  for (int threads : {1, 2}) {
    auto r = ScanAll(csv, 4096, threads);
    ASSERT_FALSE(r.read_error) << r.read_error->message;
    EXPECT_EQ(r.rows.size(), 11999u);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_THAT(r.errors[0].ToString(), HasSubstr("line 12: has a quote inside an unquoted"));
  }
}

TEST(UsageReaderTest, StopOnRejectStillReportsTheFirstBadRow) {
  std::string csv = kHeader + "\n";
  for (int i = 0; i < 5000; ++i) {
    csv += Row("C1", "S1", "2024-09-01", "VM", "/r/" + std::to_string(i), "0.5",
               i == 1234 || i == 4000 ? "x" : "1", "1") +
           "\n";
  }
  auto r = ScanAll(csv, 4096, 2, /*stop=*/true);
  ASSERT_FALSE(r.read_error);
  ASSERT_GE(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].ToString(), HasSubstr("line 1236, column Quantity"));
  EXPECT_LT(r.rows.size(), 4000u) << r.errors.size();  // it stopped well before the end
}

TEST(UsageReaderTest, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  for (int i = 0; i < 300; ++i) {
    std::string bytes(rng() % 3000, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % 256);
    if (i % 3 == 1) bytes = kHeader + "\n" + bytes;
    if (i % 3 == 2) bytes = "{\"CustomerId\":" + bytes;
    auto r = ReadAll(bytes, 512, 2);
    // Every row and every rejected line comes from a line of the input (after its header): never
    // more of them than there are lines. Gzip would expand, so its magic bytes are left out.
    if (!r.open_error && !r.read_error && !bytes.starts_with("\x1f\x8b")) {
      size_t lines = static_cast<size_t>(std::count(bytes.begin(), bytes.end(), '\n')) + 1;
      EXPECT_LE(r.rows.size() + r.errors.size(), lines) << "input " << i;
    }
    auto s = ScanAll(bytes, 512, 2);
    if (!r.open_error && !r.read_error) {
      ASSERT_FALSE(s.read_error) << s.read_error->message;
      EXPECT_EQ(s.rows.size(), r.rows.size());
      EXPECT_EQ(s.errors.size(), r.errors.size());
    }
  }
}

TEST(UsageReaderTest, ReadsGraphJsonLinesPlainAndGzipExactly) {
  std::string jsonl =
      R"({"partnerId":"p","customerId":"C1","entitlementId":"S1","usageDate":"2024-09-01T00:00:00Z","meterCategory":"Storage","unitPrice":1.2799888920023,"quantity":24.0,"billingPreTaxTotal":30.71,"billingCurrency":"USD","tags":"{\"env\":\"prod\"}","attributes":{"objectType":"DailyRatedUsageLineItem"},"benefitId":null})"
      "\n"
      R"({"CustomerId":"C1","EntitlementId":"S1","UsageDate":"2024-09-02","MeterCategory":"VM","ChargeType":"Refund","UnitPrice":"0.5","Quantity":-2,"BillingPreTaxTotal":-1,"BillingCurrency":"usd"})"
      "\n"
      R"({"CustomerId":"C1","EntitlementId":"S1","UsageDate":"2024-09-02","UnitPrice":1e309,"Quantity":1,"BillingPreTaxTotal":1,"BillingCurrency":"USD"})"
      "\n"
      R"({"CustomerId":"C1", broken)"
      "\n";
  for (const auto& bytes : {jsonl, Gzip(jsonl)}) {
    auto r = ReadAll(bytes, 4 << 20, 2, "export.json.gz");
    ASSERT_FALSE(r.open_error) << r.open_error->message;
    EXPECT_EQ(r.format, "graph_jsonl");
    ASSERT_EQ(r.rows.size(), 2u);
    EXPECT_EQ(r.rows[0].charge.ToString(), "30.71973340805520");
    EXPECT_EQ(r.rows[0].quantity.ToString(), "24.0");
    EXPECT_EQ(r.rows[1].charge.ToString(), "-1.0");
    EXPECT_EQ(r.rows[1].meter_category, "VM");
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_THAT(r.errors[0].ToString(), HasSubstr("export.json.gz line 3, column UnitPrice: "
                                                  "\"1e309\""));
    EXPECT_THAT(r.errors[1].ToString(), HasSubstr("line 4: malformed JSON at column"));
    // The digest is of the bytes as they are (compressed or not), however the file is cut.
    EXPECT_EQ(r.digest, Sha256Hex(bytes));
    for (size_t chunk : {size_t{1}, size_t{50}, size_t{4} << 20}) {
      for (int threads : {1, 3}) {
        EXPECT_EQ(ReadAll(bytes, chunk, threads).digest, Sha256Hex(bytes)) << chunk;
        auto scan = ScanAll(bytes, chunk, threads);
        EXPECT_EQ(scan.digest, Sha256Hex(bytes)) << chunk << " " << threads;
        EXPECT_EQ(scan.rows.size(), 2u);
      }
    }
  }
}

// Hashing with the case folded word by word equals hashing a lower-case copy, for every length
// and for bytes outside ASCII.
TEST(UsageReaderTest, CaselessLineHashEqualsTheHashOfTheLowerCaseText) {
  const LineIdentityKey key{1, 2, 3, 4};
  std::string text;
  for (int i = 0; i < 300; ++i) {
    text += static_cast<char>((i * 37 + 11) % 256);
    std::string lower = text;
    for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    LineHash folded(key, "t"), copied(key, "t");
    folded.AddCaseless(text);
    copied.Add(lower);
    ASSERT_EQ(folded.Finish(1), copied.Finish(1)) << i;
  }
}

// The same usage lines from Partner Center's CSV download and from its API's JSON, which write
// dates, numbers and ids differently and leave values out, have the same identity; a line that
// differs in a value does not.
TEST(UsageReaderTest, LineIdentityIgnoresHowValuesAreWritten) {
  std::string csv =
      "CustomerId,EntitlementId,UsageDate,ChargeStartDate,MeterCategory,MeterId,ResourceURI,"
      "UnitPrice,Quantity,BillingPreTaxTotal,BillingCurrency,Tags,PCToBCExchangeRate\n"
      "CUST-1,AB12-CD,9/2/2024,9/1/2024,Storage,M-1,/Subscriptions/AB12-CD/rg/Disk1,0.50,24,"
      "12.000,usd,,1\n"
      "cust-1,ab12-cd,2024-09-02,2024-09-01,Storage,m-1,/subscriptions/ab12-cd/rg/disk2,0.5,2,"
      "1,USD,\"{\"\"a\"\":\"\"b\"\"}\",1.0\n";
  std::string jsonl =
      R"({"customerId":"cust-1","entitlementId":"ab12-cd","usageDate":"2024-09-02T00:00:00Z","chargeStartDate":"2024-09-01T00:00:00Z","meterCategory":"Storage","meterId":"m-1","resourceUri":"/subscriptions/ab12-cd/rg/disk1","unitPrice":5E-1,"quantity":24.0,"billingPreTaxTotal":12,"billingCurrency":"USD","tags":null,"pcToBCExchangeRate":1})"
      "\n"
      R"({"customerId":"cust-1","entitlementId":"ab12-cd","usageDate":"2024-09-02T00:00:00Z","chargeStartDate":"2024-09-01T00:00:00Z","meterCategory":"Storage","meterId":"m-1","resourceUri":"/subscriptions/ab12-cd/rg/disk2","unitPrice":0.5,"quantity":2.0,"billingPreTaxTotal":1.00,"billingCurrency":"USD","tags":"{\"a\":\"b\"}","pcToBCExchangeRate":1.000})"
      "\n"
      R"({"customerId":"cust-1","entitlementId":"ab12-cd","usageDate":"2024-09-02T00:00:00Z","chargeStartDate":"2024-09-01T00:00:00Z","meterCategory":"Storage","meterId":"m-1","resourceUri":"/subscriptions/ab12-cd/rg/disk2","unitPrice":0.5,"quantity":2.5,"billingPreTaxTotal":1.25,"billingCurrency":"USD","tags":"{\"a\":\"b\"}","pcToBCExchangeRate":1})"
      "\n";
  auto a = ReadAll(csv);
  auto b = ReadAll(jsonl, 4 << 20, 2, "export.json");
  ASSERT_FALSE(a.open_error) << a.open_error->message;
  ASSERT_FALSE(b.open_error) << b.open_error->message;
  ASSERT_EQ(a.rows.size(), 2u);
  ASSERT_EQ(b.rows.size(), 3u);
  EXPECT_EQ(a.rows[0].line_key, b.rows[0].line_key);
  EXPECT_EQ(a.rows[1].line_key, b.rows[1].line_key);
  EXPECT_NE(a.rows[0].line_key, a.rows[1].line_key);
  EXPECT_NE(b.rows[1].line_key, b.rows[2].line_key);  // another quantity: another line
}

TEST(UsageReaderTest, ReadsTheFocusSampleFile) {
  std::string path =
      test::FixturesDir() +
      "/FinOps-Open-Cost-and-Usage-Spec+FOCUS-Sample-Data/FOCUS-1.0/focus_sample.csv";
  PC_REQUIRE_FIXTURE(path);
  auto source = OpenFileSource(path);
  ASSERT_TRUE(source.ok()) << source.error().message;
  ReaderOptions options;
  options.file_name = "focus_sample.csv";
  auto reader = UsageReader::Open(std::move(source).value(), options);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ((*reader)->format(), UsageFormat::kFocusCsv);
  size_t rows = 0, errors = 0, microsoft = 0;
  while (true) {
    auto batch = (*reader)->Next();
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    if (!*batch) break;
    rows += (*batch)->rows.size();
    errors += (*batch)->errors.size();
    for (const auto& r : (*batch)->rows) {
      if (r.azure_subscription_id == "64e355d7-997c-491d-b0c1-8414dccfcf42") ++microsoft;
    }
  }
  EXPECT_EQ(rows + errors, 1000u);
  EXPECT_GT(rows, 900u);
  EXPECT_GT(microsoft, 0u);
}

}  // namespace
}  // namespace pc::billing

namespace pc::billing {
namespace {

// Issue 17 items 3 and 4: FOCUS ChargeCategory decides what the customer is charged; Partner
// Center's charge is in the billing currency at PCToBCExchangeRate.
TEST(UsageReaderChargeKindsTest, FocusCategoriesAndTheExchangeRate) {
  std::string focus =
      "BilledCost,ChargePeriodStart,SubAccountId,ListCost,PricingQuantity,BillingCurrency,"
      "ServiceName,ChargeCategory\n"
      "8,2024-09-01T00:00:00Z,S1,10,2,USD,VM,Usage\n"
      "50,2024-09-01T00:00:00Z,S1,60,1,USD,VM,Purchase\n"
      "1.5,2024-09-01T00:00:00Z,S1,1.5,0,USD,VM,Tax\n"
      "-3,2024-09-01T00:00:00Z,S1,-3,0,USD,VM,Credit\n"
      "-1,2024-09-01T00:00:00Z,S1,-1,0,USD,VM,Adjustment\n";
  auto f = ReadAll(focus, 4 << 20, 1);
  ASSERT_FALSE(f.open_error) << f.open_error->message;
  ASSERT_TRUE(f.errors.empty()) << f.errors[0].ToString();
  ASSERT_EQ(f.rows.size(), 5u);
  std::vector<std::string> charges, costs;
  for (const auto& r : f.rows) {
    charges.push_back(r.charge.ToString());
    costs.push_back(r.partner_cost.ToString());
  }
  EXPECT_EQ(charges, (std::vector<std::string>{"10", "60", "0", "0", "0"}));
  EXPECT_EQ(costs, (std::vector<std::string>{"8", "50", "0", "-3", "-1"}));

  std::string pc =
      "CustomerId,EntitlementId,UsageDate,MeterCategory,UnitPrice,Quantity,BillingPreTaxTotal,"
      "BillingCurrency,PCToBCExchangeRate\n"
      "c,s,2024-09-01,VM,0.096,24,1.82,GBP,0.7913\n"
      "c,s,2024-09-02,VM,0.096,24,2.30,USD,\n";
  auto p = ReadAll(pc, 4 << 20, 1);
  ASSERT_FALSE(p.open_error) << p.open_error->message;
  ASSERT_TRUE(p.errors.empty()) << p.errors[0].ToString();
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].charge.ToString(), "1.8231552");  // 0.096 × 24 × 0.7913
  EXPECT_EQ(p.rows[0].currency, "GBP");
  EXPECT_EQ(p.rows[1].charge.ToString(), "2.304");  // no rate: the same currency
  // An Azure credit row is the partner's; a refund is the customer's.
  auto credits = ReadAll(
      "CustomerId,EntitlementId,UsageDate,MeterCategory,UnitPrice,Quantity,BillingPreTaxTotal,"
      "BillingCurrency,ChargeType,CreditPercentage\n"
      "c,s,2024-09-01,VM,0.5,4,-2,USD,credit,100\n"
      "c,s,2024-09-01,VM,0.5,-4,-2,USD,Refund,\n"
      "c,s,2024-09-01,VM,0.5,4,2,USD,new,0\n",
      4 << 20, 1);
  ASSERT_TRUE(credits.errors.empty()) << credits.errors[0].ToString();
  ASSERT_EQ(credits.rows.size(), 3u);
  EXPECT_EQ(credits.rows[0].charge.ToString(), "0");
  EXPECT_EQ(credits.rows[0].partner_cost.ToString(), "-2");
  EXPECT_EQ(credits.rows[1].charge.ToString(), "-2.0");
  EXPECT_EQ(credits.rows[2].charge.ToString(), "2.0");
  auto bad = ReadAll(
      "CustomerId,EntitlementId,UsageDate,MeterCategory,UnitPrice,Quantity,BillingPreTaxTotal,"
      "BillingCurrency,PCToBCExchangeRate\nc,s,2024-09-01,VM,1,1,1,GBP,-0.8\n");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_THAT(bad.errors[0].ToString(), HasSubstr("PCToBCExchangeRate"));
}

}  // namespace
}  // namespace pc::billing
