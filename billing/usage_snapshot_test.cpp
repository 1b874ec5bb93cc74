// Restated usage replaces (issue 17 item 1): snapshot imports on SQLite and PostgreSQL
// (PARTNERCLOUD_TEST_PG_URL), checked against an independent exact computation.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "billing/charges.h"
#include "billing/month_close.h"
#include "billing/usage_import.h"
#include "store/scratch_database.h"

namespace pc::billing {
namespace {

using store::TestBackend;

// Independent exact arithmetic: values as integers of 10^-8 units, products of 10^-16.
__extension__ typedef __int128 Wide;
constexpr int kScale = 8;
Wide Scaled(const std::string& text) {
  bool negative = text[0] == '-';
  std::string digits = negative ? text.substr(1) : text;
  size_t dot = digits.find('.');
  std::string whole = digits.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : digits.substr(dot + 1);
  frac.resize(kScale, '0');
  Wide v = 0;
  for (char c : whole + frac) v = v * 10 + (c - '0');
  return negative ? -v : v;
}
// Cents of a 10^-16 amount, rounded half away from zero.
Wide Cents(Wide v) {
  constexpr Wide kUnit = Wide(100000000) * 100000000 / 100;  // 10^14
  Wide q = (v < 0 ? -v : v) / kUnit, r = (v < 0 ? -v : v) % kUnit;
  if (r * 2 >= kUnit) ++q;
  return v < 0 ? -q : q;
}
std::string CentsText(Wide c) {
  bool negative = c < 0;
  if (negative) c = -c;
  std::string whole = std::to_string(static_cast<int64_t>(c / 100));
  int frac = static_cast<int>(c % 100);
  return (negative ? "-" : "") + whole + "." + (frac < 10 ? "0" : "") + std::to_string(frac);
}

struct Line {
  std::string customer, subscription, day, category, resource, price, quantity;
};

std::string Csv(const std::vector<Line>& lines, bool bom_crlf = false) {
  std::string nl = bom_crlf ? "\r\n" : "\n";
  std::string out = std::string(bom_crlf ? "\xef\xbb\xbf" : "") +
                    "CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,"
                    "Quantity,BillingPreTaxTotal,BillingCurrency,ChargeType" +
                    nl;
  for (const auto& l : lines) {
    out += l.customer + "," + l.subscription + "," + l.day + "," + l.category + "," + l.resource +
           "," + l.price + "," + l.quantity + ",1.00,USD,Usage" + nl;
  }
  return out;
}

// A month of usage: `n` lines of ACME's sub-a and of an unknown subscription, January 2024.
std::vector<Line> Pull(int n) {
  std::vector<Line> lines;
  for (int i = 0; i < n; ++i) {
    int day = 3 + i % 10;
    lines.push_back({i % 7 == 6 ? "cust-9" : "cust-1", i % 7 == 6 ? "sub-unknown" : "sub-a",
                     "2024-01-" + std::string(day < 10 ? "0" : "") + std::to_string(day),
                     i % 3 ? "Storage" : "Virtual Machines", "/r/" + std::to_string(i),
                     "0." + std::to_string(10000001 + (i * 7919) % 89999999),
                     std::to_string(1 + i % 37) + "." + std::to_string(10 + i % 89)});
  }
  return lines;
}

// The same pull with every 20th line (5%) restated: a new quantity.
std::vector<Line> Restated(std::vector<Line> lines, std::set<std::string>* days = nullptr) {
  for (size_t i = 0; i < lines.size(); i += 20) {
    lines[i].quantity = std::to_string(40 + i % 13) + ".375";
    if (days && lines[i].subscription == "sub-a") days->insert(lines[i].day);
  }
  return lines;
}

// ACME's charge of the lines, in 10^-16 (what the month should hold: the lines alone).
Wide AcmeCharge(const std::vector<Line>& lines) {
  Wide sum = 0;
  for (const auto& l : lines) {
    if (l.subscription == "sub-a") sum += Scaled(l.price) * Scaled(l.quantity);
  }
  return sum;
}

class UsageSnapshotTest : public testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    auto created = scratch_.Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.error().message;
    auto db = store::Database::Open(scratch_.url());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate().ok());
    auto st = db_->InTransaction([](store::Transaction& tx) -> Status {
      PC_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
                     "billing_alias) VALUES ('sub-a', 'cust-1', 'ACME')"));
      return {};
    });
    ASSERT_TRUE(st.ok()) << st.error().message;
  }
  void TearDown() override { db_.reset(); }

  Result<ImportReport> Import(const std::string& bytes, ImportMode mode) {
    ImportOptions options;
    options.file_name = "pull.csv";
    options.mode = mode;
    return ImportUsage(
        *db_, identity::SystemPrincipal(),
        [&bytes]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(bytes); }, options);
  }

  // ACME's exact month-to-date of January 2024, as the billing summary computes it.
  Decimal Mtd() {
    auto s = db_->InTransaction<BillingSummary>([](store::Transaction& tx) {
      return SummarizeMonth(tx, "ACME", YearMonth::Parse("2024-01").value());
    });
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? s->estimate.mtd : Decimal();
  }

  std::string One(const std::string& sql) {
    auto rows =
        db_->InTransaction<store::Rows>([&](store::Transaction& tx) { return tx.Query(sql); });
    EXPECT_TRUE(rows.ok() && !rows->empty());
    return rows.ok() && !rows->empty() ? rows->front().Text(0) : "";
  }

  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
};

TEST_P(UsageSnapshotTest, ASecondPullWithRestatedLinesReplacesTheFirst) {
  auto first = Pull(400);
  std::set<std::string> restated_days;
  auto second = Restated(first, &restated_days);
  ASSERT_NE(AcmeCharge(first), AcmeCharge(second));

  auto a = Import(Csv(first), ImportMode::kSnapshot);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->source, "partner-center");
  EXPECT_EQ(Mtd(), *Decimal::FromParts(AcmeCharge(first), 16));

  auto b = Import(Csv(second), ImportMode::kSnapshot);
  ASSERT_TRUE(b.ok()) << b.error().message;
  // The month holds the second pull alone, computed independently.
  EXPECT_EQ(Mtd(), *Decimal::FromParts(AcmeCharge(second), 16));
  // ACME's days with a restated line, and the unknown subscription's (every 20th line of
  // sub-unknown), were replaced; the others are left untouched.
  EXPECT_GE(b->partitions_replaced, static_cast<int64_t>(restated_days.size()));
  EXPECT_EQ(b->partitions_replaced + b->partitions_unchanged, 20);     // 2 subscriptions × 10 days
  EXPECT_EQ(One("SELECT SUM(line_count) FROM usage_rollups"), "343");  // 400 - 57 unknown

  // The same snapshot again (other bytes: BOM and CRLF) changes nothing, not even a timestamp.
  std::string stamp = One("SELECT MAX(updated_at) FROM usage_rollups");
  auto again = Import(Csv(second, true), ImportMode::kSnapshot);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->already_imported);
  EXPECT_EQ(again->partitions_replaced, 0);
  EXPECT_EQ(again->partitions_unchanged, 20);
  EXPECT_EQ(again->rows_imported, 0);
  EXPECT_EQ(One("SELECT MAX(updated_at) FROM usage_rollups"), stamp);
  EXPECT_EQ(Mtd(), *Decimal::FromParts(AcmeCharge(second), 16));

  // The same file byte for byte: already imported.
  auto same = Import(Csv(second), ImportMode::kSnapshot);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->already_imported);

  // An additive file with lines the snapshots counted counts none of them again.
  std::vector<Line> reordered(second.rbegin(), second.rend());
  auto additive = Import(Csv(reordered), ImportMode::kAdditive);
  ASSERT_TRUE(additive.ok()) << additive.error().message;
  EXPECT_EQ(additive->rows_imported, 0);
  EXPECT_EQ(Mtd(), *Decimal::FromParts(AcmeCharge(second), 16));

  // Going back to the first pull restores it exactly (a snapshot can also remove lines).
  std::vector<Line> fewer(first.begin() + 1, first.end());  // line 0 (day 3) is gone
  auto c = Import(Csv(fewer), ImportMode::kSnapshot);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(Mtd(), *Decimal::FromParts(AcmeCharge(fewer), 16));
}

TEST_P(UsageSnapshotTest, LinesAnAdditiveImportCountedStayCountedOnce) {
  auto lines = Pull(140);
  std::vector<Line> early(lines.begin(), lines.begin() + 70);
  ASSERT_TRUE(Import(Csv(early), ImportMode::kAdditive).ok());
  auto pull = Import(Csv(lines), ImportMode::kSnapshot);
  ASSERT_TRUE(pull.ok()) << pull.error().message;
  EXPECT_EQ(Mtd(), *Decimal::FromParts(AcmeCharge(lines), 16));
  auto restated = Restated(lines);
  ASSERT_TRUE(Import(Csv(restated), ImportMode::kSnapshot).ok());
  // Restated lines that the additive file had counted are not the snapshot's to replace: the
  // month holds the additive file's lines plus the snapshot's others.
  Wide expected = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].subscription != "sub-a") continue;
    expected += Scaled(lines[i].price) * Scaled(lines[i].quantity) * (i < 70 ? 1 : 0);
    if (i >= 70) expected += Scaled(restated[i].price) * Scaled(restated[i].quantity);
    // A restated line of the additive file's part is a new line: the snapshot counts it.
    if (i < 70 && restated[i].quantity != lines[i].quantity) {
      expected += Scaled(restated[i].price) * Scaled(restated[i].quantity);
    }
  }
  EXPECT_EQ(Mtd(), *Decimal::FromParts(expected, 16));
}

TEST_P(UsageSnapshotTest, ARestatedClosedMonthGetsExactlyOneReconciliationLine) {
  auto first = Pull(400);
  auto second = Restated(first);
  std::map<std::string, InvoiceLine> sink;
  LinePoster post = [&sink](const InvoiceLine& l) -> Status {
    sink.emplace(l.key, l);
    return {};
  };
  ASSERT_TRUE(Import(Csv(first), ImportMode::kSnapshot).ok());
  auto january = CloseMonth(*db_, identity::SystemPrincipal(), YearMonth::Parse("2024-01").value(),
                            ParseTimestamp("2024-02-01T00:00:00Z").value(), post);
  ASSERT_TRUE(january.ok()) << january.error().message;
  ASSERT_EQ(january->created.size(), 1u);
  EXPECT_EQ(january->created[0].amount, CentsText(Cents(AcmeCharge(first))));

  ASSERT_TRUE(Import(Csv(second), ImportMode::kSnapshot).ok());
  ASSERT_TRUE(Import(Csv(second, true), ImportMode::kSnapshot).ok());  // the same state again
  auto february = CloseMonth(*db_, identity::SystemPrincipal(), YearMonth::Parse("2024-02").value(),
                             ParseTimestamp("2024-03-01T00:00:00Z").value(), post);
  ASSERT_TRUE(february.ok()) << february.error().message;
  ASSERT_EQ(february->created.size(), 1u);
  const auto& update = february->created[0];
  EXPECT_EQ(update.kind, "update");
  EXPECT_EQ(update.usage_month, "2024-01");
  EXPECT_EQ(update.amount, CentsText(Cents(AcmeCharge(second)) - Cents(AcmeCharge(first))));
  EXPECT_EQ(sink.size(), 2u);

  // Nothing changed since: the next close bills nothing more for January.
  auto march = CloseMonth(*db_, identity::SystemPrincipal(), YearMonth::Parse("2024-03").value(),
                          ParseTimestamp("2024-04-01T00:00:00Z").value(), post);
  ASSERT_TRUE(march.ok()) << march.error().message;
  EXPECT_TRUE(march->created.empty());
}

TEST(ImportModeTest, ParsesTheTwoModesAndNamesThemInErrors) {
  EXPECT_EQ(ParseImportMode("snapshot").value(), ImportMode::kSnapshot);
  EXPECT_EQ(ParseImportMode("Additive").value(), ImportMode::kAdditive);
  auto bad = ParseImportMode("replace");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'snapshot'"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, UsageSnapshotTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::billing
