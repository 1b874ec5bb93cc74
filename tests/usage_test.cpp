// End-to-end tests of usage import: `partnercloud usage import` and POST /api/v1/usage/imports
// against real SQLite and PostgreSQL databases, including a SIGKILL in the middle of an import.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "core/decimal.h"
#include "store/store.h"
#include "tests/harness.h"

extern char** environ;

namespace pc::test {
namespace {

namespace json = boost::json;

const std::string kHeader =
    "PartnerId,CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,"
    "BillingPreTaxTotal,BillingCurrency,Tags,BenefitId,ChargeType";

// n lines: each UnitPrice 0.125, Quantity 2.5 (every 10th a refund of -2.5), cost 0.31;
// subscriptions sub-a (alias ACME) and sub-x (unknown) alternate.
std::string UsageCsv(int n, int seed = 0) {
  std::string out = kHeader + "\r\n";
  out.reserve(out.size() + static_cast<size_t>(n) * 128);
  for (int i = 0; i < n; ++i) {
    out += "p,cust-1," + std::string(i % 2 ? "sub-x" : "sub-a") + ",2024-03-" +
           (1 + i % 28 < 10 ? "0" : "") + std::to_string(1 + i % 28) +
           "T00:00:00Z,\"Virtual Machines, Linux\",/r/" + std::to_string(seed) + "/" +
           std::to_string(i) + ",0.125," + (i % 10 == 0 ? "-2.5" : "2.5") + "," +
           (i % 10 == 0 ? "-0.31" : "0.31") + ",USD,\"{\"\"env\"\":\"\"prod\"\"}\",," +
           (i % 10 == 0 ? "Refund" : "Usage") + "\r\n";
  }
  return out;
}

std::string WriteTemp(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
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

class UsageTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(GetParam());
    ASSERT_FALSE(db_.url.empty());
    dir_ = TempDir("pc_usage_test");
    AddUser("ops@partner.example", "operator", "Partner Operations", "partner");
    AddUser("admin@acme.example", "org_admin", "Acme", "customer");
    auto db = store::Database::Open(db_.url);
    ASSERT_TRUE(db.ok()) << db.error().message;
    store_ = std::move(db).value();
    Exec(
        "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, billing_alias)"
        " VALUES ('sub-a', 'cust-1', 'ACME')");
  }

  void AddUser(const std::string& email, const std::string& role, const std::string& org,
               const std::string& kind) {
    test::AddUser(db_.url, email, role, org, kind);
  }

  void Exec(const std::string& sql) { test::Exec(*store_, sql); }

  // "charge|partner_cost|quantity|lines" summed over a rollup table, exact.
  std::string Totals(const std::string& table) {
    auto tx = store_->Begin();
    EXPECT_TRUE(tx.ok());
    auto rows = (*tx)->Query("SELECT charge, partner_cost, quantity, line_count FROM " + table);
    EXPECT_TRUE(rows.ok());
    Decimal sums[3];
    int64_t lines = 0;
    for (const auto& row : *rows) {
      for (int i = 0; i < 3; ++i) sums[i] = *sums[i].Add(*Decimal::Parse(row.Text(i)));
      lines += row.Int(3);
    }
    return sums[0].ToString() + "|" + sums[1].ToString() + "|" + sums[2].ToString() + "|" +
           std::to_string(lines);
  }

  int64_t ImportCount() {
    auto tx = store_->Begin();
    auto rows = (*tx)->Query("SELECT COUNT(*) FROM usage_imports");
    return rows.ok() ? (*rows)[0].Int(0) : -1;
  }

  std::string Login(const std::string& email) {
    return test::Login(server_.BaseUrl(), email).token;
  }

  TestDatabase db_;
  std::string dir_;
  std::unique_ptr<store::Database> store_;
  ServerProcess server_;
};

// The expected totals of UsageCsv(n) for alias ACME (the even lines), computed independently.
std::string ExpectedAcme(int n) {
  int64_t lines = 0, credits = 0;
  for (int i = 0; i < n; i += 2) {
    ++lines;
    if (i % 10 == 0) ++credits;
  }
  int64_t net = lines - 2 * credits;  // each credit is the negative of a charge line
  // charge per line 0.125 × 2.5 = 0.3125; partner cost 0.31; quantity 2.5
  auto times = [&](const char* unit) { return Decimal::Parse(unit)->Mul(Decimal::FromInt(net)); };
  return times("0.3125")->ToString() + "|" + times("0.31")->ToString() + "|" +
         times("2.5")->ToString() + "|" + std::to_string(lines);
}

TEST_P(UsageTest, CliImportsReportsRejectionsAndIsIdempotent) {
  std::string csv = UsageCsv(40);
  csv += "p,cust-1,sub-a,2024-03-02T00:00:00Z,VM,/r/bad,0.125,1e309,1,USD,,,\r\n";
  std::string path = WriteTemp(dir_, "usage.csv", csv);
  auto r = RunCommand({"usage", "import", "--database", db_.url, path});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("20 rows imported, 1 rejected, 20 of unknown customers"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("line 42, column Quantity: \"1e309\" is not a plain decimal number"),
            std::string::npos)
      << r.out;
  std::string totals = Totals("usage_rollups");
  EXPECT_EQ(totals, ExpectedAcme(40));

  auto again = RunCommand({"usage", "import", "--database", db_.url, path});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already imported"), std::string::npos) << again.out;
  EXPECT_EQ(Totals("usage_rollups"), totals);

  auto strict = RunCommand({"usage", "import", "--strict", "--database", db_.url,
                            WriteTemp(dir_, "strict.csv", UsageCsv(4, 7) + "p,x,sub-a,bad\r\n")});
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.err.find("line 6: has 4 fields, the header has 13"), std::string::npos)
      << strict.err;
  EXPECT_EQ(Totals("usage_rollups"), totals);

  auto garbage =
      RunCommand({"usage", "import", "--database", db_.url,
                  WriteTemp(dir_, "random.bin", std::string("\x89PNG\r\n\x1a\n\0\0", 10))});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_NE(garbage.err.find("random.bin"), std::string::npos) << garbage.err;
}

TEST_P(UsageTest, ApiImportsForOperatorsOnly) {
  server_.Start({"serve", "--database", db_.url});
  std::string url = server_.BaseUrl() + "/api/v1/usage/imports?name=march.csv";
  std::string csv = UsageCsv(20, 1);
  auto anonymous = Http("POST", url, csv, {"Content-Type: text/csv"});
  EXPECT_EQ(anonymous.status, 401);
  std::string admin = Login("admin@acme.example");
  auto forbidden =
      Http("POST", url, csv, {"Content-Type: text/csv", "Authorization: Bearer " + admin});
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;

  std::string ops = Login("ops@partner.example");
  std::vector<std::string> auth = {"Authorization: Bearer " + ops};
  auto h = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), auth.begin(), auth.end());
    return extra;
  };
  auto wrong_type = Http("POST", url, csv, h({"Content-Type: application/pdf"}));
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(wrong_type.body.find("text/csv"), std::string::npos);
  auto garbage = Http("POST", url, "total nonsense,\n\x01\x02", h({"Content-Type: text/csv"}));
  EXPECT_EQ(garbage.status, 400);
  EXPECT_NE(garbage.body.find("march.csv: line 1 is not the header"), std::string::npos)
      << garbage.body;
  auto not_gzip = Http("POST", url, csv, h({"Content-Type: text/csv", "Content-Encoding: gzip"}));
  EXPECT_EQ(not_gzip.status, 400);

  auto created =
      Http("POST", url, Gzip(csv), h({"Content-Type: text/csv", "Content-Encoding: gzip"}));
  ASSERT_EQ(created.status, 201) << created.body;
  auto v = Json(created.body);
  EXPECT_EQ(v.at("rowsImported").as_int64(), 10);
  EXPECT_EQ(v.at("rowsUnknownCustomer").as_int64(), 10);
  EXPECT_EQ(v.at("rowsRejected").as_int64(), 0);
  EXPECT_EQ(v.at("format").as_string(), "partner_center_csv");
  auto again =
      Http("POST", url, Gzip(csv), h({"Content-Type: text/csv", "Content-Encoding: gzip"}));
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(Json(again.body).at("alreadyImported").as_bool());
  EXPECT_EQ(Totals("usage_rollups"), ExpectedAcme(20));

  std::string jsonl =
      R"({"customerId":"cust-1","entitlementId":"sub-a","usageDate":"2024-03-05T00:00:00Z","meterCategory":"Storage","unitPrice":0.5,"quantity":3,"billingPreTaxTotal":1.5,"billingCurrency":"USD"})"
      "\n"
      R"({"customerId":"cust-1","entitlementId":"sub-a","quantity":NaN})"
      "\n";
  auto lines = Http("POST", url, jsonl, h({"Content-Type: application/x-ndjson"}));
  ASSERT_EQ(lines.status, 201) << lines.body;
  auto l = Json(lines.body);
  EXPECT_EQ(l.at("rowsImported").as_int64(), 1);
  EXPECT_EQ(l.at("rowsRejected").as_int64(), 1);
  EXPECT_NE(
      std::string(l.at("rejections").at(0).at("message").as_string()).find("march.csv line 2"),
      std::string::npos)
      << lines.body;
}

// A gzip "bomb": a header, then `mib` gzip members of 1 MiB of spaces and a line end each
// (about 1 KiB compressed apiece), so about 1 KiB per MiB it expands to.
std::string GzipBomb(int mib) {
  std::string out = Gzip(kHeader + "\r\n");
  std::string member = Gzip(std::string((1 << 20) - 1, ' ') + "\n");
  for (int i = 0; i < mib; ++i) out += member;
  return out;
}

// Finding: a 4 MB gzip that expanded to 4 GiB ran for 44 s. The expansion is now bounded: the
// read stops at the limit with 413 (API) or a clear error (CLI), and nothing is imported.
TEST_P(UsageTest, AGzipBombIsRefusedAtTheLimitNotAfterItsExpansion) {
  std::string bomb = GzipBomb(1024);  // 1 GiB expanded
  ASSERT_LT(bomb.size(), 2u << 20);
  server_.Start({"serve", "--database", db_.url});
  std::string ops = Login("ops@partner.example");
  auto started = std::chrono::steady_clock::now();
  auto refused =
      Http("POST", server_.BaseUrl() + "/api/v1/usage/imports?name=bomb.csv.gz", bomb,
           {"Content-Type: text/csv", "Content-Encoding: gzip", "Authorization: Bearer " + ops});
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(refused.status, 413) << refused.body.substr(0, 2000);
  auto error = Json(refused.body).at("error");
  EXPECT_EQ(error.at("code").as_string(), "PayloadTooLarge");
  EXPECT_NE(std::string(error.at("message").as_string())
                .find("bomb.csv.gz: the gzip data expands more than 200 times"),
            std::string::npos)
      << refused.body;
  // Bounded by the limit (about 16 MiB decoded), not by the 1 GiB expansion.
  EXPECT_LT(took, std::chrono::seconds(5))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_EQ(ImportCount(), 0);

  // The same file on the command line, and the expanded-size limit set by its key.
  std::string path = WriteTemp(dir_, "bomb.csv.gz", bomb);
  started = std::chrono::steady_clock::now();
  auto cli = RunCommand({"usage", "import", "--database", db_.url, path});
  took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(cli.exit_code, 1) << cli.out;
  EXPECT_NE(cli.err.find("bomb.csv.gz: the gzip data expands more than 200 times"),
            std::string::npos)
      << cli.err;
  EXPECT_LT(took, std::chrono::seconds(5));
  auto sized = RunCommand({"usage", "import", "--database", db_.url, "--set",
                           "billing.import_max_expansion_ratio=1000000", "--set",
                           "billing.import_max_expanded_bytes=33554432", path});
  EXPECT_EQ(sized.exit_code, 1);
  EXPECT_NE(sized.err.find("the gzip data expands to more than 32 MiB "
                           "(billing.import_max_expanded_bytes)"),
            std::string::npos)
      << sized.err;
  EXPECT_EQ(ImportCount(), 0);
}

// Finding: a quantity of -99999999999999999999 made a month-to-date of minus 10^20, a UsageDate
// 2026-11-20T25:61:61Z was accepted, and a row dated 9999-12-31 was stored where its month
// answers NoUsageYet. Each is now a rejected row with its line and column; the good rows count.
TEST_P(UsageTest, RowsOutsideWhatPartnerCenterSendsAreRejectedWithLineAndColumn) {
  server_.Start({"serve", "--database", db_.url});
  std::string ops = Login("ops@partner.example");
  std::string csv = kHeader + "\r\n";
  auto row = [](const std::string& day, const std::string& id, const std::string& quantity,
                const std::string& charge_type) {
    return "p,cust-1,sub-a," + day + ",Storage,/r/" + id + ",0.5," + quantity + ",1,USD,,," +
           charge_type + "\r\n";
  };
  csv += row("2024-03-01T00:00:00Z", "good", "2", "Usage");
  csv += row("2024-03-01T00:00:00Z", "huge", "-99999999999999999999", "Refund");
  csv += row("2024-03-01T00:00:00Z", "neg", "-3", "Usage");
  csv += row("2026-11-20T25:61:61Z", "time", "1", "Usage");
  csv += row("9999-12-31T00:00:00Z", "far", "1", "Usage");
  auto created = Http("POST", server_.BaseUrl() + "/api/v1/usage/imports?name=march.csv", csv,
                      {"Content-Type: text/csv", "Authorization: Bearer " + ops});
  ASSERT_EQ(created.status, 201) << created.body;
  auto v = Json(created.body);
  EXPECT_EQ(v.at("rowsImported").as_int64(), 1);
  EXPECT_EQ(v.at("rowsRejected").as_int64(), 4);
  std::vector<std::string> messages;
  for (const auto& r : v.at("rejections").as_array()) {
    messages.emplace_back(r.at("message").as_string());
  }
  ASSERT_EQ(messages.size(), 4u) << created.body;
  EXPECT_EQ(messages[0],
            "march.csv line 3, column Quantity: \"-99999999999999999999\" is out of range for "
            "Quantity: allowed is -10^12 < value < 10^12");
  EXPECT_NE(messages[1].find("march.csv line 4, column Quantity: \"-3\" is negative; a negative "
                             "Quantity is allowed only on a credit or refund row"),
            std::string::npos)
      << messages[1];
  EXPECT_EQ(messages[2],
            "march.csv line 5, column UsageDate: \"2026-11-20T25:61:61Z\" is not a real date "
            "and time: the time of day 25:61:61 does not exist (hours 00-23, minutes and "
            "seconds 00-59)");
  EXPECT_NE(messages[3].find("march.csv line 6, column UsageDate: \"9999-12-31T00:00:00Z\" is "
                             "outside the usage dates accepted, 2000-01-01 through "),
            std::string::npos)
      << messages[3];
  EXPECT_EQ(Totals("usage_rollups"), "1.0|1|2|1");  // the good row only
}

// Operators read back every import (who, when, rejected rows with line and column) and the
// usage kept aside for subscriptions the platform does not know, summed exactly.
TEST_P(UsageTest, ImportRecordsAndKeptAsideUsageForOperators) {
  server_.Start({"serve", "--database", db_.url});
  std::string ops = Login("ops@partner.example");
  std::string admin = Login("admin@acme.example");
  auto get = [&](const std::string& path, const std::string& token) {
    return Http("GET", server_.BaseUrl() + path, "", {"Authorization: Bearer " + token});
  };
  EXPECT_EQ(get("/api/v1/usage/imports", admin).status, 403);
  EXPECT_EQ(get("/api/v1/usage/kept-aside", admin).status, 403);
  EXPECT_EQ(Http("GET", server_.BaseUrl() + "/api/v1/usage/imports").status, 401);
  EXPECT_EQ(get("/api/v1/usage/imports?limit=abc", ops).status, 400);

  // One file from the command line, one through the API with a bad row.
  auto cli = RunCommand(
      {"usage", "import", "--database", db_.url, WriteTemp(dir_, "cli.csv", UsageCsv(20, 1))});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  std::string bad = UsageCsv(4, 2) +
                    "p,cust-1,sub-a,2024-03-09T00:00:00Z,Storage,/r/x,0.1,"
                    "lots,0.1,USD,,,Usage\r\n";
  auto posted = Http("POST", server_.BaseUrl() + "/api/v1/usage/imports?name=april.csv", bad,
                     {"Content-Type: text/csv", "Authorization: Bearer " + ops});
  ASSERT_EQ(posted.status, 201) << posted.body;

  auto list = get("/api/v1/usage/imports", ops);
  ASSERT_EQ(list.status, 200) << list.body;
  auto items = Json(list.body).at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  const auto& api = items[0];  // newest first
  EXPECT_EQ(api.at("fileName").as_string(), "april.csv");
  EXPECT_EQ(api.at("createdBy").as_string(), "ops@partner.example");
  EXPECT_EQ(api.at("rowsRejected").as_int64(), 1);
  EXPECT_EQ(api.at("digest").as_string(), Json(posted.body).at("digest").as_string());
  ASSERT_EQ(api.at("rejections").as_array().size(), 1u);
  const auto& rejection = api.at("rejections").at(0);
  EXPECT_EQ(rejection.at("line").as_int64(), 6);
  EXPECT_EQ(rejection.at("column").as_string(), "Quantity") << list.body;
  EXPECT_NE(std::string(rejection.at("message").as_string()).find("april.csv line 6"),
            std::string::npos);
  EXPECT_TRUE(api.at("createdAt").is_string());
  EXPECT_TRUE(std::string(items[1].at("fileName").as_string()).ends_with("/cli.csv")) << list.body;
  EXPECT_TRUE(items[1].at("createdBy").is_null());
  EXPECT_EQ(items[1].at("rowsImported").as_int64(), 10);
  EXPECT_EQ(Json(get("/api/v1/usage/imports?limit=1", ops).body).at("items").as_array().size(), 1u);

  // Kept aside: sub-x of both files (the odd lines), one row per customer, subscription, month.
  auto kept = get("/api/v1/usage/kept-aside", ops);
  ASSERT_EQ(kept.status, 200) << kept.body;
  auto kept_items = Json(kept.body).at("items").as_array();
  ASSERT_EQ(kept_items.size(), 1u) << kept.body;
  const auto& k = kept_items[0];
  EXPECT_EQ(k.at("customerId").as_string(), "cust-1");
  EXPECT_EQ(k.at("subscriptionId").as_string(), "sub-x");
  EXPECT_EQ(k.at("month").as_string(), "2024-03");
  EXPECT_EQ(k.at("currency").as_string(), "USD");
  EXPECT_EQ(k.at("lines").as_int64(), 12);  // 10 + 2
  // 12 lines of 0.125 × 2.5, exact (never a float).
  auto amount = Decimal::Parse(std::string(k.at("amount").as_string()));
  ASSERT_TRUE(amount.ok()) << kept.body;
  EXPECT_TRUE(*amount == *Decimal::Parse("3.75")) << kept.body;
}

// A SIGKILL in the middle of an import commits nothing; importing again gives the totals of one
// clean import.
TEST_P(UsageTest, SigkillMidImportCommitsNothing) {
  const int n = 200000;
  std::string path = WriteTemp(dir_, "big.csv", UsageCsv(n, 9));
  std::string binary = BinaryPath();
  std::vector<std::string> args = {binary, "usage", "import", "--database", db_.url, path};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  // Killed once it has read half the file (/proc/PID/io rchar), whatever the machine's speed.
  const int64_t half = static_cast<int64_t>(std::filesystem::file_size(path) / 2);
  int status = 0;
  auto read_so_far = [pid] {
    std::ifstream io("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    int64_t value = 0;
    while (io >> key >> value) {
      if (key == "rchar:") return value;
    }
    return int64_t{0};
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (read_so_far() < half && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "the import finished before the kill";
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));

  EXPECT_EQ(ImportCount(), 0);
  EXPECT_EQ(Totals("usage_rollups"), "0|0|0|0");

  auto r = RunCommand({"usage", "import", "--database", db_.url, path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ImportCount(), 1);
  EXPECT_EQ(Totals("usage_rollups"), ExpectedAcme(n));
}

// UsageCsv(n, seed) restated: ACME's lines with i % 20 == 2 now have quantity 3.5 (cost 0.44).
std::string RestatedUsageCsv(int n, int seed) {
  std::string out = UsageCsv(n, seed);
  for (int i = 2; i < n; i += 20) {
    std::string from = "/r/" + std::to_string(seed) + "/" + std::to_string(i) + ",0.125,2.5,0.31,";
    size_t at = out.find(from);
    if (at != std::string::npos) {
      out.replace(at, from.size(),
                  "/r/" + std::to_string(seed) + "/" + std::to_string(i) + ",0.125,3.5,0.44,");
    }
  }
  return out;
}

// The totals RestatedUsageCsv(n) alone gives ACME, computed independently.
std::string ExpectedRestatedAcme(int n) {
  Decimal charge, cost, quantity;
  int64_t lines = 0;
  for (int i = 0; i < n; i += 2) {
    ++lines;
    const char* q = i % 10 == 0 ? "-2.5" : i % 20 == 2 ? "3.5" : "2.5";
    const char* c = i % 10 == 0 ? "-0.31" : i % 20 == 2 ? "0.44" : "0.31";
    charge = *charge.Add(*Decimal::Parse("0.125")->Mul(*Decimal::Parse(q)));
    cost = *cost.Add(*Decimal::Parse(c));
    quantity = *quantity.Add(*Decimal::Parse(q));
  }
  return charge.ToString() + "|" + cost.ToString() + "|" + quantity.ToString() + "|" +
         std::to_string(lines);
}

// A SIGKILL while a snapshot replaces an earlier one (the file read, the replace under way)
// leaves the old state or the new one, never a mix; the snapshot imported again gives the new
// state alone.
TEST_P(UsageTest, SigkillMidSnapshotReplaceLeavesTheOldOrTheNewState) {
  const int n = 100000;
  std::string first = WriteTemp(dir_, "pull-1.csv", UsageCsv(n, 9));
  std::string second = WriteTemp(dir_, "pull-2.csv", RestatedUsageCsv(n, 9));
  auto r = RunCommand({"usage", "import", "--mode", "snapshot", "--database", db_.url, first});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("snapshot of partner-center"), std::string::npos) << r.out;
  const std::string old_state = Totals("usage_rollups");
  ASSERT_EQ(old_state, ExpectedAcme(n));
  const std::string new_state = ExpectedRestatedAcme(n);
  ASSERT_NE(old_state, new_state);

  std::string binary = BinaryPath();
  std::vector<std::string> args = {binary,     "usage",      "import", "--mode",
                                   "snapshot", "--database", db_.url,  second};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  // Killed once it has read the whole file (/proc/PID/io rchar): it is then replacing.
  const int64_t size = static_cast<int64_t>(std::filesystem::file_size(second));
  auto read_so_far = [pid] {
    std::ifstream io("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    int64_t value = 0;
    while (io >> key >> value) {
      if (key == "rchar:") return value;
    }
    return int64_t{0};
  };
  int status = 0;
  bool finished = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (read_so_far() < size && std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      finished = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  if (!finished) {
    kill(pid, SIGKILL);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
  }
  std::string after = Totals("usage_rollups");
  EXPECT_TRUE(after == old_state || after == new_state) << after;
  std::cout << "killed " << (WIFSIGNALED(status) ? "mid-import" : "after the import ended")
            << ": state is " << (after == old_state ? "the old one" : "the new one") << "\n";

  auto again = RunCommand({"usage", "import", "--mode", "snapshot", "--database", db_.url, second});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Totals("usage_rollups"), new_state);
}

// The server's peak memory (VmHWM, reset through /proc/PID/clear_refs), in bytes.
int64_t PeakRss(pid_t pid, bool reset) {
  if (reset) std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

// A usage file sent as a request body goes to a temporary file, not to memory: the server's
// peak memory grows by far less than the body.
TEST_P(UsageTest, ApiImportOfALargeBodyUsesDiskNotMemory) {
  if (GetParam() != Backend::kSqlite)
    GTEST_SKIP() << "the body is spooled before any database work";
  // Under AddressSanitizer freed memory is held in quarantine (256 MiB by default), which would
  // count as peak memory here.
  std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
  server_.Start({"serve", "--database", db_.url},
                {{"ASAN_OPTIONS", asan + (asan.empty() ? "" : ":") + "quarantine_size_mb=1"}});
  const int n = 1100000;
  std::string csv = UsageCsv(n, 5);
  ASSERT_GT(csv.size(), 120u << 20);
  std::string ops = Login("ops@partner.example");
  int64_t before = PeakRss(server_.pid(), /*reset=*/true);
  ASSERT_GT(before, 0);
  auto created = Http("POST", server_.BaseUrl() + "/api/v1/usage/imports?name=big.csv", csv,
                      {"Content-Type: text/csv", "Authorization: Bearer " + ops});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Json(created.body).at("rowsImported").as_int64(), n / 2);
  int64_t growth = PeakRss(server_.pid(), false) - before;
  // What the import itself needs (chunks, groups, hashes; more under AddressSanitizer) is
  // well under half of this body.
  EXPECT_LT(growth, static_cast<int64_t>(csv.size() / 2))
      << "peak memory grew by " << growth << " bytes for a body of " << csv.size();
  EXPECT_EQ(Totals("usage_rollups"), ExpectedAcme(n));
}

INSTANTIATE_TEST_SUITE_P(Backends, UsageTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace pc::test
