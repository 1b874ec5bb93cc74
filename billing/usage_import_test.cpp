// Usage import into the database, on SQLite and on PostgreSQL (PARTNERCLOUD_TEST_PG_URL).
#include "billing/usage_import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "store/scratch_database.h"

namespace pc::billing {
namespace {

using testing::HasSubstr;

using store::TestBackend;

// An independent exact computation: values as integers of 10^-kScale units.
constexpr int kScale = 8;
__extension__ typedef __int128 Wide;
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
// `v` (of 10^-scale units) as a Decimal, for a numeric comparison.
Decimal FromScaled(Wide v, int scale) { return *Decimal::FromParts(v, scale); }

struct Line {
  std::string customer, subscription, day, category, resource, price, quantity, total, tags;
};

const std::string kHeader =
    "CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,"
    "BillingPreTaxTotal,BillingCurrency,Tags,BenefitType";

std::string Csv(const std::vector<Line>& lines, bool bom_crlf = false) {
  std::string nl = bom_crlf ? "\r\n" : "\n";
  std::string out = (bom_crlf ? "\xef\xbb\xbf" : "") + kHeader + nl;
  for (const auto& l : lines) {
    out += l.customer + "," + l.subscription + "," + l.day + "," + l.category + "," + l.resource +
           "," + l.price + "," + l.quantity + "," + l.total + ",USD,\"" + l.tags + "\",Charge" + nl;
  }
  return out;
}

// Deterministic lines with credits (negative quantities) and quoted tags.
std::vector<Line> MakeLines(int n, int seed) {
  std::vector<Line> lines;
  const char* subs[] = {"sub-a", "sub-b", "sub-unknown"};
  const char* customers[] = {"cust-1", "cust-1", "cust-9"};
  for (int i = 0; i < n; ++i) {
    int k = (i + seed) % 3;
    int q = (i * 7919 + seed) % 2000 - 300;  // some negative
    std::string quantity = (q < 0 ? "-" : "") + std::to_string(std::abs(q) / 100) + "." +
                           std::to_string(std::abs(q) % 100 / 10) +
                           std::to_string(std::abs(q) % 10);
    if (quantity == "-0.00") quantity = "0.00";
    std::string price = "0." + std::to_string(10000000 + (i * 104729) % 89999999);
    lines.push_back({customers[k], subs[k], "2024-02-" + std::to_string(10 + i % 19),
                     i % 2 ? "Storage" : "Virtual Machines",
                     "/r/" + std::to_string(seed) + "/" + std::to_string(i), price, quantity,
                     std::to_string(i % 50) + ".25", "{\"\"env\"\": \"\"prod, eu\"\"}"});
  }
  return lines;
}

class UsageImportTest : public testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    auto created = scratch_.Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.error().message;
    url_ = scratch_.url();
    auto db = store::Database::Open(url_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate().ok());
    Exec(
        "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
        "billing_alias) VALUES ('sub-a', 'cust-1', 'ACME'), ('sub-b', '', 'ACMD')");
  }

  void TearDown() override { db_.reset(); }

  void Exec(const std::string& sql) {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    auto r = (*tx)->Execute(sql);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  store::Rows Query(const std::string& sql) {
    auto tx = db_->Begin();
    EXPECT_TRUE(tx.ok());
    auto rows = (*tx)->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? *rows : store::Rows{};
  }

  Result<ImportReport> Import(const std::string& bytes, bool strict = false,
                              identity::Principal who = identity::SystemPrincipal(),
                              size_t hash_memory_bytes = ImportOptions().hash_memory_bytes) {
    ImportOptions options;
    options.file_name = "usage.csv";
    options.strict = strict;
    options.hash_memory_bytes = hash_memory_bytes;
    return ImportUsage(
        *db_, who,
        [&bytes]() -> Result<std::unique_ptr<ByteSource>> { return MemorySource(bytes); }, options);
  }

  // alias → (charge, partner cost, quantity, lines), summed over the rollups as Decimals.
  std::map<std::string, std::array<std::string, 4>> Totals(const std::string& table) {
    bool billed = table == "usage_rollups";
    std::map<std::string, std::array<Decimal, 3>> sums;
    std::map<std::string, int64_t> lines;
    for (const auto& row :
         Query(std::string("SELECT ") + (billed ? "billing_alias" : "customer_id") +
               ", charge, partner_cost, quantity, line_count FROM " + table)) {
      auto& s = sums[row.Text(0)];
      for (int i = 0; i < 3; ++i) s[i] = *s[i].Add(*Decimal::Parse(row.Text(i + 1)));
      lines[row.Text(0)] += row.Int(4);
    }
    std::map<std::string, std::array<std::string, 4>> out;
    for (const auto& [k, s] : sums) {
      out[k] = {s[0].ToString(), s[1].ToString(), s[2].ToString(), std::to_string(lines[k])};
    }
    return out;
  }

  store::ScratchDatabase scratch_;  // dropped after db_ is closed
  std::string url_;
  std::unique_ptr<store::Database> db_;
};

TEST_P(UsageImportTest, TotalsEqualAnIndependentExactComputation) {
  auto lines = MakeLines(400, 1);
  std::map<std::string, Wide> charge, cost;  // by alias; charge in 10^-16, cost in 10^-8
  std::map<std::string, int> count;
  for (const auto& l : lines) {
    std::string alias = l.subscription == "sub-a"   ? "ACME"
                        : l.subscription == "sub-b" ? "ACMD"
                                                    : "";
    charge[alias] += Scaled(l.price) * Scaled(l.quantity);
    cost[alias] += Scaled(l.total);
    ++count[alias];
  }
  auto report = Import(Csv(lines, /*bom_crlf=*/true));
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->rows_rejected, 0);
  EXPECT_EQ(report->rows_imported, count["ACME"] + count["ACMD"]);
  EXPECT_EQ(report->rows_unknown, count[""]);
  auto totals = Totals("usage_rollups");
  ASSERT_EQ(totals.size(), 2u);
  for (const std::string alias : {"ACME", "ACMD"}) {
    EXPECT_EQ(*Decimal::Parse(totals[alias][0]), FromScaled(charge[alias], 2 * kScale)) << alias;
    EXPECT_EQ(*Decimal::Parse(totals[alias][1]), FromScaled(cost[alias], kScale)) << alias;
    EXPECT_EQ(Decimal::Parse(totals[alias][0])->RoundHalfUp(2),
              FromScaled(charge[alias], 2 * kScale).RoundHalfUp(2));
    EXPECT_EQ(totals[alias][3], std::to_string(count[alias]));
  }
  // Unknown customers are kept aside, never in the billed rollups.
  auto aside = Totals("usage_unknown_rollups");
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(*Decimal::Parse(aside["cust-9"][0]), FromScaled(charge[""], 2 * kScale));

  // The same lines with LF and no BOM are a different file with the same lines: no change.
  auto again = Import(Csv(lines, false));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->already_imported);
  EXPECT_EQ(again->rows_imported, 0);
  EXPECT_EQ(again->rows_duplicate, 400);
  EXPECT_EQ(Totals("usage_rollups"), totals);
}

TEST_P(UsageImportTest, LineHashesBeyondTheMemoryBudgetGoToDiskWithTheSameResult) {
  auto lines = MakeLines(400, 1);
  std::map<std::string, Wide> charge;
  std::map<std::string, int> count;
  for (const auto& l : lines) {
    std::string alias = l.subscription == "sub-a"   ? "ACME"
                        : l.subscription == "sub-b" ? "ACMD"
                                                    : "";
    charge[alias] += Scaled(l.price) * Scaled(l.quantity);
    ++count[alias];
  }
  // 64 bytes: each parsing thread spills after every 4 lines. The first file holds half the
  // lines; the second all of them, twice: only the other half counts, each line once.
  const size_t tiny = 64;
  std::vector<Line> half(lines.begin(), lines.begin() + 200), twice = lines;
  twice.insert(twice.end(), lines.begin(), lines.end());
  auto first = Import(Csv(half), false, identity::SystemPrincipal(), tiny);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->rows_imported + first->rows_unknown, 200);
  auto second = Import(Csv(twice, true), false, identity::SystemPrincipal(), tiny);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->rows_imported + second->rows_unknown, 200);
  EXPECT_EQ(second->rows_duplicate, 600);
  auto totals = Totals("usage_rollups");
  for (const std::string alias : {"ACME", "ACMD"}) {
    EXPECT_EQ(*Decimal::Parse(totals[alias][0]), FromScaled(charge[alias], 2 * kScale)) << alias;
    EXPECT_EQ(totals[alias][3], std::to_string(count[alias]));
  }
}

TEST_P(UsageImportTest, ImportingTheSameFileTwiceOrAnOverlappingFileChangesNothing) {
  auto lines = MakeLines(120, 2);
  std::string file = Csv(lines);
  auto first = Import(file);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto totals = Totals("usage_rollups");
  auto aside = Totals("usage_unknown_rollups");
  auto second = Import(file);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->already_imported);
  EXPECT_EQ(second->digest, first->digest);
  EXPECT_EQ(Totals("usage_rollups"), totals);
  EXPECT_EQ(Totals("usage_unknown_rollups"), aside);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM usage_imports")[0].Int(0), 1);

  // Half old lines, half new ones: only the new ones count.
  std::vector<Line> overlap(lines.begin() + 60, lines.end());
  auto extra = MakeLines(30, 3);
  overlap.insert(overlap.end(), extra.begin(), extra.end());
  auto third = Import(Csv(overlap));
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_EQ(third->rows_duplicate, 60);
  EXPECT_EQ(third->rows_imported + third->rows_unknown, 30);

  auto combined = lines;
  combined.insert(combined.end(), extra.begin(), extra.end());
  // A fresh database with the union imported once has the same totals.
  Exec("DELETE FROM usage_rollups");
  Exec("DELETE FROM usage_unknown_rollups");
  Exec("DELETE FROM usage_partitions");
  Exec("DELETE FROM usage_imports");
  auto expected_before = Totals("usage_rollups");
  EXPECT_TRUE(expected_before.empty());
  auto union_import = Import(Csv(combined));
  ASSERT_TRUE(union_import.ok());
  auto union_totals = Totals("usage_rollups");
  // ...which equals first + third (checked by re-running the pair on the emptied tables).
  Exec("DELETE FROM usage_rollups");
  Exec("DELETE FROM usage_unknown_rollups");
  Exec("DELETE FROM usage_partitions");
  Exec("DELETE FROM usage_imports");
  ASSERT_TRUE(Import(file).ok());
  ASSERT_TRUE(Import(Csv(overlap)).ok());
  EXPECT_EQ(Totals("usage_rollups"), union_totals);
}

// What a customer who knows the line hash key can do (the key every installation had before
// keys were random): choose resource tags that cancel the hash state, so that two lines of one
// subscription and day that differ before the tags hash alike. The tags are 33 printable bytes:
// "cc=" and a 13-character counter (the first 16-byte block), then a block whose first half is
// k1 ^ state, which makes the multiply-mix zero whatever came before, then "ZZZZZZZZ!".
std::string CancellingTags(const LineIdentityKey& key, const Line& l) {
  using line_identity::Mum;
  LineHash hash(key, "pc");
  // The Partner Center columns in line identity order, up to Tags (usage_reader.cpp kPcColumns):
  // the ones this file has, the others absent.
  // As the line identity reads them: dates as yyyymmdd, currency codes in lower case.
  std::string day = l.day.substr(0, 4) + l.day.substr(5, 2) + l.day.substr(8, 2);
  for (const std::string& v : {l.customer, l.subscription, l.category, day, l.price, l.quantity,
                               l.total, std::string("usd")}) {
    hash.Add(v);
  }
  for (int i = 0; i < 13; ++i) hash.AddAbsent();  // PricingCurrency ... ResourceGroup
  hash.Add(l.resource);                           // ResourceURI
  hash.AddAbsent();                               // ChargeType
  hash.AddAbsent();                               // UnitType
  auto printable = [](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      unsigned char c = static_cast<unsigned char>(v >> (8 * i));
      if (c < 0x20 || c > 0x7e || c == '"') return false;
    }
    return true;
  };
  for (uint64_t counter = 0;; ++counter) {
    std::string first = "cc=" + std::to_string(counter);
    first.resize(16, '.');
    uint64_t a, b;
    std::memcpy(&a, first.data(), 8);
    std::memcpy(&b, first.data() + 8, 8);
    uint64_t state = Mum(a ^ key.k1 ^ hash.state(), b ^ key.k2);
    uint64_t cancel = key.k1 ^ state;
    if (!printable(cancel)) continue;
    std::string block(8, '\0');
    std::memcpy(block.data(), &cancel, 8);
    return first + block + "ZZZZZZZZ!";
  }
}

TEST_P(UsageImportTest, CraftedTagsCannotMakeTwoLinesCountOnce) {
  Line vm1{"cust-1", "sub-a", "2024-02-10", "Virtual Machines", "/r/vm-1", "0.5", "24", "12", ""};
  Line vm2{"cust-1", "sub-a", "2024-02-10", "Virtual Machines", "/r/vm-2", "0.5", "2", "1", ""};
  const LineIdentityKey known = LineIdentityKey::Public();
  vm1.tags = CancellingTags(known, vm1);
  vm2.tags = CancellingTags(known, vm2);
  std::string file = Csv({vm1, vm2});
  // Read with the public constants, the two lines have one identity.
  auto reader = UsageReader::Open(MemorySource(file), ReaderOptions());
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  auto batch = (*reader)->Next();
  ASSERT_TRUE(batch.ok() && *batch);
  ASSERT_EQ((*batch)->rows.size(), 2u);
  EXPECT_EQ((*batch)->rows[0].line_key, (*batch)->rows[1].line_key);

  // This installation's key is random: both lines are billed.
  auto report = Import(file);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->rows_imported, 2);
  EXPECT_EQ(report->rows_duplicate, 0);
  EXPECT_EQ(*Decimal::Parse(Totals("usage_rollups")["ACME"][0]), *Decimal::Parse("13"));
  auto key = Query("SELECT value FROM billing_keys WHERE name = 'usage_line_identity'");
  ASSERT_EQ(key.size(), 1u);
  EXPECT_GE(key[0].Text(0).size(), 32u);
  EXPECT_NE(key[0].Text(0), "legacy");

  // With the public constants the tags do what they were made for: one line is lost. (This is
  // what a 'legacy' installation, one that counted lines before keys existed, is exposed to.)
  for (const char* table : {"usage_rollups", "usage_partitions", "usage_imports", "billing_keys"}) {
    Exec(std::string("DELETE FROM ") + table);
  }
  Exec(
      "INSERT INTO billing_keys (name, value, created_at) VALUES ('usage_line_identity', "
      "'legacy', '2026-01-01T00:00:00Z')");
  auto legacy = Import(file);
  ASSERT_TRUE(legacy.ok()) << legacy.error().message;
  EXPECT_EQ(legacy->rows_imported, 1);
  EXPECT_EQ(legacy->rows_duplicate, 1);
}

TEST_P(UsageImportTest, BadRowsAreRejectedGoodRowsKeptStrictModeRejectsTheFile) {
  auto lines = MakeLines(10, 4);
  lines[3].quantity = "1e309";
  lines[6].price = "\"1,234.5\"";
  std::string file = Csv(lines);
  auto strict = Import(file, /*strict=*/true);
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(strict.error().message,
              HasSubstr("usage.csv line 5, column Quantity: \"1e309\" is not a plain decimal"));
  EXPECT_EQ(Query("SELECT COUNT(*) FROM usage_partitions")[0].Int(0), 0);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM usage_imports")[0].Int(0), 0);

  auto lenient = Import(file);
  ASSERT_TRUE(lenient.ok()) << lenient.error().message;
  EXPECT_EQ(lenient->rows_rejected, 2);
  EXPECT_EQ(lenient->rows_imported + lenient->rows_unknown, 8);
  ASSERT_EQ(lenient->rejections.size(), 2u);
  EXPECT_EQ(lenient->rejections[1].line, 8);
  EXPECT_EQ(lenient->rejections[1].column, "UnitPrice");

  auto garbage = Import("\x01\x02 not a usage file\n");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(garbage.error().message, HasSubstr("usage.csv: line 1 is not the header"));
}

TEST_P(UsageImportTest, OnlyOperatorsImport) {
  identity::Principal admin;
  admin.user.role = identity::Role::kOrgAdmin;
  auto r = Import(Csv(MakeLines(2, 5)), false, admin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
}

INSTANTIATE_TEST_SUITE_P(Backends, UsageImportTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::billing
