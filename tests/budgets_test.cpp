// End-to-end budgets (issue 16), on SQLite and PostgreSQL: the real service, the real sandbox
// (its SMTP mailbox) and `partnercloud usage import`. A usage import taking an alias from 70% to
// 95% of its budget, with thresholds 80 (actual) and 100 (forecast), alerts exactly those two,
// once, by email and by signed webhook with the billing page's figures; the same file again
// alerts nothing. And budgets of one organization are invisible to another.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/time.h"
#include "store/store.h"
#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

const std::string kHeader =
    "PartnerId,CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,"
    "BillingPreTaxTotal,BillingCurrency,Tags,BenefitId\r\n";

class BudgetsE2eTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(GetParam());
    ASSERT_FALSE(db_.url.empty());
    dir_ = TempDir("pc_budgets_test");
    test::AddUser(db_.url, "ops@partner.example", "operator", "Partner Operations", "partner");
    test::AddUser(db_.url, "admin@acme.example", "org_admin", "Acme");
    test::AddUser(db_.url, "dev@acme.example", "org_member", "Acme");
    test::AddUser(db_.url, "admin@brit.example", "org_admin", "Britannia");
    auto db = store::Database::Open(db_.url);
    ASSERT_TRUE(db.ok()) << db.error().message;
    store_ = std::move(db).value();
    for (auto [alias, org] : {std::pair{"ACME", "Acme"}, {"BRIT", "Britannia"}}) {
      Exec(*store_,
           "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
           "account_snapshot, created_at, updated_at) SELECT ?, id, 'x', 'US', '{}', '', '' "
           "FROM organizations WHERE name = ?",
           {std::string(alias), std::string(org)});
    }
    Exec(*store_,
         "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
         "billing_alias) VALUES ('sub-a', 'cust-1', 'ACME'), ('sub-b', 'cust-2', 'BRIT')");
    sandbox_.Start({"sandbox"});
    int64_t smtp_port = SandboxState().at("smtpPort").as_int64();
    server_.Start({"serve", "--database", db_.url, "--set",
                   "upstream.sandbox_url=" + sandbox_.BaseUrl(), "--set",
                   "security.secret_key_file=" + dir_ + "/secret.key", "--set",
                   "smtp.url=smtp://127.0.0.1:" + std::to_string(smtp_port), "--set",
                   "billing.auto_close=false", "--set", "webhooks.allow_http_loopback=true",
                   "--set", "jobs.instance_file=" + dir_ + "/instance.id"});
    month_ = YearMonth::Containing(Now());
  }

  json::object SandboxState() {
    auto r = Http("GET", sandbox_.BaseUrl() + "/sandbox/control/state");
    EXPECT_EQ(r.status, 200);
    return Json(r.body).as_object();
  }

  // The mailbox's messages to `to`.
  std::vector<json::object> Mail(const std::string& to) {
    std::vector<json::object> out;
    json::object state = SandboxState();
    for (const auto& m : state.at("mailbox").as_array()) {
      if (Str(m.at("to")) == to) out.push_back(m.as_object());
    }
    return out;
  }

  std::string Day(int d) const {
    return month_.ToString() + (d < 10 ? "-0" : "-") + std::to_string(d);
  }
  std::string Line(int d, const std::string& id, const std::string& charge) const {
    return "p,cust-1,sub-a," + Day(d) + "T00:00:00Z,Storage,/r/" + id + "," + charge +
           ",1,0,USD,,\r\n";
  }

  // `partnercloud usage import` (another process than the server), as an operator would.
  std::string Import(const std::string& name, const std::string& csv) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << csv;
    auto r = RunCommand({"usage", "import", "--database", db_.url, path});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return r.out;
  }

  HttpResponse Call(const std::string& method, const std::string& path, const Session& who,
                    const std::string& body = "") {
    auto headers = who.Bearer();
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    return Http(method, server_.BaseUrl() + path, body, headers);
  }

  int64_t Count(const std::string& sql) {
    auto rows =
        store_->InTransaction<store::Rows>([&](store::Transaction& tx) { return tx.Query(sql); });
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? (*rows)[0].Int(0) : -1;
  }

  TestDatabase db_;
  std::string dir_;
  std::unique_ptr<store::Database> store_;
  ServerProcess sandbox_, server_;
  YearMonth month_;
};

TEST_P(BudgetsE2eTest, AnImportFrom70To95PercentAlertsTwiceOnceByEmailAndWebhookWithPageFigures) {
  Session admin = Login(server_.BaseUrl(), "admin@acme.example");
  // Acme's admin subscribes an endpoint to the budget event.
  WebhookReceiver receiver;
  auto endpoint = Call("POST", "/api/v1/webhooks", admin,
                       R"({"url":")" + receiver.Url() +
                           R"(","events":["budget.threshold_crossed"],"description":"budgets"})");
  ASSERT_EQ(endpoint.status, 201) << endpoint.body;
  receiver.Control("secret", Str(Json(endpoint.body).at("secret")));
  std::string endpoint_id = Str(Json(endpoint.body).at("id"));
  auto created = Call("POST", "/api/v1/budgets", admin,
                      R"({"alias":"ACME","name":"Acme monthly","amount":"1000.00",
                          "thresholds":[{"percent":"80","kind":"actual"},
                                        {"percent":"100","kind":"forecast"}],
                          "recipients":["finance@acme.example"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = Str(Json(created.body).at("id"));
  EXPECT_EQ(Str(Json(created.body).at("amount")), "1000.00");
  EXPECT_TRUE(Json(created.body).at("status").at("asOf").is_null());  // no usage yet

  // 70%: 693.00 on the 1st and 1.00 a day from the 15th to the 21st (forecast 700 + the days
  // left after the 21st, under 100% in any month).
  std::string seventy = kHeader + Line(1, "big", "693");
  for (int d = 15; d <= 21; ++d) seventy += Line(d, "d" + std::to_string(d), "1");
  Import("seventy.csv", seventy);
  auto budget = Json(Call("GET", "/api/v1/budgets/" + id, admin).body);
  EXPECT_EQ(Str(budget.at("status").at("actual")), "700.00");
  EXPECT_EQ(Str(budget.at("status").at("percentActual")), "70.00");
  EXPECT_TRUE(budget.at("alerts").as_array().empty());

  // 95%: 250.00 on the 22nd; the forecast passes 100% (256.00 over the last 7 days).
  std::string ninety_five = kHeader + Line(22, "late", "250");
  Import("ninety-five.csv", ninety_five);
  auto page = Json(Call("GET", "/api/v1/billing/ACME?month=" + month_.ToString(), admin).body);
  ASSERT_EQ(Str(page.at("mtd")), "950.00");
  budget = Json(Call("GET", "/api/v1/budgets/" + id, admin).body);
  EXPECT_EQ(Str(budget.at("status").at("actual")), Str(page.at("mtd")));
  EXPECT_EQ(Str(budget.at("status").at("forecast")), Str(page.at("forecast")));
  EXPECT_EQ(Str(budget.at("status").at("asOf")), Str(page.at("asOf")));
  const auto& alerts = budget.at("alerts").as_array();
  ASSERT_EQ(alerts.size(), 2u) << budget;
  std::map<std::string, json::object> by_kind;
  for (const auto& a : alerts) by_kind[Str(a.at("kind"))] = a.as_object();
  ASSERT_TRUE(by_kind.contains("actual") && by_kind.contains("forecast")) << budget;
  EXPECT_EQ(Str(by_kind["actual"].at("percent")), "80");
  EXPECT_EQ(Str(by_kind["actual"].at("amount")), Str(page.at("mtd")));
  EXPECT_EQ(Str(by_kind["forecast"].at("percent")), "100");
  EXPECT_EQ(Str(by_kind["forecast"].at("amount")), Str(page.at("forecast")));
  for (auto& [kind, a] : by_kind) {
    EXPECT_EQ(Str(a.at("budgetAmount")), "1000.00");
    EXPECT_EQ(Str(a.at("asOf")), Str(page.at("asOf")));
    EXPECT_EQ(Str(a.at("month")), month_.ToString());
  }

  // The two emails arrive in the sandbox's mailbox, with the page's figures and as-of time.
  ASSERT_TRUE(WaitUntil([&] { return Mail("finance@acme.example").size() >= 2; }))
      << server_.Stderr();
  auto mail = Mail("finance@acme.example");
  ASSERT_EQ(mail.size(), 2u);
  std::set<std::string> subjects;
  for (const auto& m : mail) {
    subjects.insert(Str(m.at("subject")));
    std::string body = Str(m.at("body"));
    EXPECT_NE(body.find("Month-to-date: 950.00 USD (95.00% of the budget)"), std::string::npos)
        << body;
    EXPECT_NE(body.find("Forecast for the month: " + Str(page.at("forecast")) + " USD"),
              std::string::npos)
        << body;
    EXPECT_NE(body.find("As of: " + Str(page.at("asOf"))), std::string::npos) << body;
  }
  EXPECT_TRUE(subjects.contains(
      "Budget alert: Acme monthly (ACME) reached 80% of its budget (950.00 of 1000.00 USD)"))
      << *subjects.begin();
  EXPECT_TRUE(
      subjects.contains("Budget alert: Acme monthly (ACME) is forecast to reach 100% of "
                        "its budget (forecast " +
                        Str(page.at("forecast")) + " of 1000.00 USD)"));

  // And the two webhook events, signed (checked by the receiver's own HMAC), same figures.
  ASSERT_TRUE(WaitUntil([&] { return receiver.Requests().size() >= 2; })) << server_.Stderr();
  auto requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 2u);
  std::set<std::string> hook_kinds;
  for (const auto& r : requests) {
    EXPECT_TRUE(r.at("verified").as_bool()) << r;
    auto event = Json(Str(r.at("body")));
    EXPECT_EQ(Str(event.at("type")), "budget.threshold_crossed");
    const auto& alert = event.at("data").at("alert");
    hook_kinds.insert(Str(alert.at("kind")));
    EXPECT_EQ(Str(alert.at("actual")), Str(page.at("mtd")));
    EXPECT_EQ(Str(alert.at("forecast")), Str(page.at("forecast")));
    EXPECT_EQ(Str(alert.at("asOf")), Str(page.at("asOf")));
    EXPECT_EQ(Str(event.at("data").at("budgetId")), id);
  }
  EXPECT_EQ(hook_kinds, (std::set<std::string>{"actual", "forecast"}));

  // The same file again: already imported, no alert, nothing more queued or sent.
  EXPECT_NE(Import("ninety-five.csv", ninety_five).find("already imported"), std::string::npos);
  budget = Json(Call("GET", "/api/v1/budgets/" + id, admin).body);
  EXPECT_EQ(budget.at("alerts").as_array().size(), 2u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox_emails"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox_emails WHERE sent_at IS NULL"), 0);
  EXPECT_EQ(Mail("finance@acme.example").size(), 2u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM webhook_deliveries"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'"), 0);
  EXPECT_EQ(receiver.Requests().size(), 2u);
}

TEST_P(BudgetsE2eTest, OneOrganizationsBudgetsAreInvisibleToAnother) {
  Session admin = Login(server_.BaseUrl(), "admin@acme.example");
  Session member = Login(server_.BaseUrl(), "dev@acme.example");
  Session brit = Login(server_.BaseUrl(), "admin@brit.example");
  Session ops = Login(server_.BaseUrl(), "ops@partner.example");
  const std::string body =
      R"({"alias":"ACME","name":"Acme","amount":"10","thresholds":[{"percent":"50","kind":"actual"}]})";
  auto created = Call("POST", "/api/v1/budgets", admin, body);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string path = "/api/v1/budgets/" + Str(Json(created.body).at("id"));

  // Another organization: 404 for the budget and the alias, an empty list.
  EXPECT_EQ(Call("GET", path, brit).status, 404);
  EXPECT_EQ(Call("PATCH", path, brit, R"({"amount":"1"})").status, 404);
  EXPECT_EQ(Call("DELETE", path, brit).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/budgets", brit, body).status, 404);
  auto list = Json(Call("GET", "/api/v1/budgets?alias=ACME", brit).body);
  EXPECT_TRUE(list.at("items").as_array().empty()) << list;
  // A member reads, does not manage; operators see every organization's.
  EXPECT_EQ(Call("GET", path, member).status, 200);
  EXPECT_EQ(Call("PATCH", path, member, R"({"amount":"1"})").status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/budgets", member, body).status, 403);
  EXPECT_EQ(Json(Call("GET", "/api/v1/budgets", ops).body).at("items").as_array().size(), 1u);
  EXPECT_EQ(Http("GET", server_.BaseUrl() + "/api/v1/budgets").status, 401);
  // Bad input is a 400 a person can act on.
  auto bad = Call("POST", "/api/v1/budgets", admin,
                  R"({"alias":"ACME","name":"x","amount":12.5,"thresholds":[]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("decimal string"), std::string::npos) << bad.body;
  EXPECT_EQ(Call("PATCH", path, admin, R"({"alias":"BRIT"})").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/budgets/no-such-budget", admin).status, 404);
  // The admin changes and deletes it.
  auto patched = Call("PATCH", path, admin, R"({"amount":"20","name":"Acme, raised"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Str(Json(patched.body).at("amount")), "20.00");
  EXPECT_EQ(Call("DELETE", path, admin).status, 204);
  EXPECT_EQ(Call("GET", path, admin).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, BudgetsE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace pc::test
