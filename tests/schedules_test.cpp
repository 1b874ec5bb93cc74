// Schedules as leased recurring jobs (jobs/recurring.h): two `partnercloud serve` processes on one
// PostgreSQL database run each tick of the usage pull once, and close a month once. Counted from
// the sandbox's own state (its request counts and its CLC invoice sink), not from our logs.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <set>

#include "store/store.h"
#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

constexpr std::string_view kPullRoute = "GET /partnercenter/v1/invoices/unbilled/lineitems";

class SchedulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(Backend::kPostgres);
    ASSERT_FALSE(db_.url.empty());
    dir_ = TempDir("pc-schedules");
    AddUser(db_.url, "ops@partner.example", "operator", "Partner Operations", "partner");
    AddUser(db_.url, "admin@acme.example", "org_admin", "Acme", "customer");
    auto db = store::Database::Open(db_.url);
    ASSERT_TRUE(db.ok()) << db.error().message;
    store_ = std::move(db).value();
    // March 2024 usage on ACME: an ended month for the month close to close.
    Exec(*store_,
         "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
         "account_snapshot, created_at, updated_at) SELECT 'ACME', id, 'x', 'US', '{}', '', '' "
         "FROM organizations WHERE name = 'Acme'");
    Exec(*store_,
         "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, "
         "billing_alias) VALUES ('sub-a', 'cust-1', 'ACME')");
    std::string path = dir_ + "/march.csv";
    std::ofstream(path, std::ios::binary)
        << "PartnerId,CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,"
           "Quantity,BillingPreTaxTotal,BillingCurrency,Tags,BenefitId\r\n"
           "p,cust-1,sub-a,2024-03-05T00:00:00Z,\"Storage\",/r/m1,0.125,10.05,0,USD,,\r\n";
    auto imported = RunCommand({"usage", "import", "--database", db_.url, path});
    ASSERT_EQ(imported.exit_code, 0) << imported.err << imported.out;
    sandbox_.Start({"sandbox"});
  }

  std::vector<std::string> ServeArgs(const std::string& name) const {
    return {"serve",
            "--database",
            db_.url,
            "--set",
            "upstream.sandbox_url=" + sandbox_.BaseUrl(),
            "--set",
            "security.secret_key_file=" + dir_ + "/secret.key",
            "--set",
            "jobs.instance_file=" + dir_ + "/" + name + ".id",
            "--set",
            "billing.usage_pull_seconds=1",
            "--set",
            "billing.auto_close=true",
            "--set",
            "billing.close_check_seconds=1"};
  }

  json::object SandboxState() {
    auto res = Http("GET", sandbox_.BaseUrl() + "/sandbox/control/state");
    EXPECT_EQ(res.status, 200);
    auto v = Json(res.body);
    return v.is_object() ? v.as_object() : json::object{};
  }
  // Partner Center usage requests the sandbox answered: each tick of the pull asks once for the
  // previous and once for the current period (no usage: one page each).
  int64_t PullRequests() {
    auto state = SandboxState();
    const auto* counts = state.if_contains("requestCounts");
    if (!counts || !counts->is_object()) return 0;
    const auto* n = counts->as_object().if_contains(kPullRoute);
    return n ? n->as_int64() : 0;
  }
  size_t InvoiceLines() {
    auto state = SandboxState();
    const auto* lines = state.if_contains("invoiceLines");
    return lines && lines->is_array() ? lines->as_array().size() : 0;
  }

  TestDatabase db_;
  std::string dir_;
  std::unique_ptr<store::Database> store_;
  ServerProcess sandbox_;
};

TEST_F(SchedulesTest, TwoProcessesOnPostgresRunEachTickOnceAndCloseAMonthOnce) {
  auto began = std::chrono::steady_clock::now();
  ServerProcess a, b;
  a.Start(ServeArgs("a"));
  b.Start(ServeArgs("b"));

  // A dozen ticks of the pull (one second apart), while both processes run.
  ASSERT_TRUE(WaitUntil([&] { return PullRequests() >= 24; }, std::chrono::seconds(120)))
      << PullRequests() << " pull requests";
  // The month close ran: March 2024 posted ACME's line to CLC's invoice sink.
  ASSERT_TRUE(WaitUntil([&] { return InvoiceLines() >= 1; }, std::chrono::seconds(60)));

  // Both processes see the recurring jobs in GET /api/v1/jobs.
  auto ops = Login(b.BaseUrl(), "ops@partner.example");
  auto jobs = Http("GET", b.BaseUrl() + "/api/v1/jobs", "", ops.Bearer());
  ASSERT_EQ(jobs.status, 200) << jobs.body;
  std::set<std::string> kinds;
  auto listing = Json(jobs.body);
  for (const auto& j : listing.at("items").as_array()) kinds.insert(Str(j.at("kind")));
  EXPECT_TRUE(kinds.contains("usage-pull")) << jobs.body;
  EXPECT_TRUE(kinds.contains("month-close")) << jobs.body;

  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  EXPECT_EQ(a.Wait(), 0);
  EXPECT_EQ(b.Wait(), 0);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

  // Each tick is one pull: two requests (previous and current period), never a request alone.
  int64_t requests = PullRequests();
  EXPECT_EQ(requests % 2, 0) << requests;
  // Ticks are at least a second apart (the next is due a second after one ends), so in
  // `seconds` there were at most seconds + 1 of them. Two processes pulling on their own would
  // make about twice as many.
  EXPECT_LE(requests / 2, static_cast<int64_t>(seconds) + 1)
      << requests << " pull requests in " << seconds << " s";
  // Our own record agrees with the sandbox: every tick counted once.
  auto rows = [&] {
    auto tx = store_->Begin();
    EXPECT_TRUE(tx.ok());
    auto r = (*tx)->Query("SELECT data FROM jobs WHERE id = 'recurring:usage-pull'");
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : store::Rows{};
  }();
  ASSERT_EQ(rows.size(), 1u);
  auto data = Json(rows[0].Text("data"));
  EXPECT_EQ(data.at("runs").as_int64() * 2, requests) << json::serialize(data);

  // One close of March 2024: one line for ACME, however many ticks each process ran.
  EXPECT_EQ(InvoiceLines(), 1u);
}

}  // namespace
}  // namespace pc::test
