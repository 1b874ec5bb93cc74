// End-to-end onboarding against the sandbox: the real service and the real sandbox, each its own
// process, talking HTTP on loopback; sandbox state read only through its control API.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <thread>

#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

class OnboardingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_.Start({"sandbox"});
    db_ = MakeDatabase(Backend::kSqlite);
    dir_ = TempDir("pc-onboarding");
    AddUser("admin@acme.example", "org_admin", "Acme", "customer");
    AddUser("ops@partner.example", "operator", "Partner Operations", "partner");
  }

  void StartServer(const std::vector<std::string>& extra = {}) {
    int64_t smtp_port = SandboxState().at("smtpPort").as_int64();
    std::vector<std::string> args = {"serve",
                                     "--database",
                                     db_.url,
                                     "--set",
                                     "upstream.sandbox_url=" + sandbox_.BaseUrl(),
                                     "--set",
                                     "security.secret_key_file=" + dir_ + "/secret.key",
                                     "--set",
                                     "smtp.url=smtp://127.0.0.1:" + std::to_string(smtp_port)};
    args.insert(args.end(), extra.begin(), extra.end());
    server_.Start(args);
  }

  void AddUser(const std::string& email, const std::string& role, const std::string& org,
               const std::string& kind) {
    test::AddUser(db_.url, email, role, org, kind);
  }

  std::vector<std::string> Login(const std::string& email) {
    return test::Login(server_.BaseUrl(), email).Bearer();
  }

  HttpResponse Connect(const std::vector<std::string>& auth, const std::string& user,
                       const std::string& password = "sandbox") {
    return Http("POST", server_.BaseUrl() + "/api/v1/clc/connections",
                R"({"username":")" + user + R"(","password":")" + password + R"("})", auth);
  }

  std::string TemplateId(const std::vector<std::string>& auth) {
    auto terms = Http("GET", server_.BaseUrl() + "/api/v1/terms", "", auth);
    EXPECT_EQ(terms.status, 200) << terms.body;
    return Str(Json(terms.body).at("microsoft").at("templateId"));
  }

  HttpResponse CreateProvider(const std::vector<std::string>& auth, const std::string& connection,
                              const std::string& alias, const std::string& name,
                              bool with_terms = true) {
    std::string terms =
        with_terms
            ? R"(,"terms":{"centurylink":"2017-01","microsoft":{"templateId":")" +
                  TemplateId(auth) +
                  R"(","contact":{"firstName":"Ada","lastName":"Admin","email":"ada@acme.example","phoneNumber":"4255550101"}}})"
            : "";
    return Http(
        "POST", server_.BaseUrl() + "/api/v1/providers",
        R"({"name":")" + name +
            R"(","description":"test","type":"azure-resource-manager","mode":"new-customer","connectionId":")" +
            connection + R"(","billingAlias":")" + alias + "\"" + terms + "}",
        auth);
  }

  json::value WaitForState(const std::vector<std::string>& auth, const std::string& id,
                           const std::string& state, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    json::value last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = Http("GET", server_.BaseUrl() + "/api/v1/providers/" + id, "", auth);
      if (res.status == 200) {
        last = Json(res.body);
        if (Str(last.at("state")) == state) return last;
        if (Str(last.at("state")) == "unavailable") break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "provider " << id << " did not become " << state << ": "
                  << json::serialize(last);
    return last;
  }

  json::value SandboxState() {
    auto res = Http("GET", sandbox_.BaseUrl() + "/sandbox/control/state");
    EXPECT_EQ(res.status, 200);
    return Json(res.body);
  }

  // POSTs/PUTs the sandbox saw on a route pattern prefix.
  int64_t Writes(const json::value& state, const std::string& prefix) {
    int64_t n = 0;
    for (const auto& [route, count] : state.at("requestCounts").as_object()) {
      std::string r(route);
      if ((r.rfind("POST ", 0) == 0 || r.rfind("PUT ", 0) == 0) &&
          r.find(prefix) != std::string::npos) {
        n += count.as_int64();
      }
    }
    return n;
  }

  ServerProcess sandbox_;
  ServerProcess server_;
  TestDatabase db_;
  std::string dir_;
};

TEST_F(OnboardingTest, HappyPathThenASecondSubscriptionUnderTheSameCustomer) {
  StartServer();
  auto admin = Login("admin@acme.example");
  auto connected = Connect(admin, "acme.admin");
  ASSERT_EQ(connected.status, 201) << connected.body;
  auto conn = Json(connected.body);
  std::vector<std::string> aliases;
  for (const auto& a : conn.at("billingAliases").as_array()) {
    aliases.push_back(Str(a.at("alias")));
    EXPECT_TRUE(a.at("billable").as_bool()) << json::serialize(a);
  }
  EXPECT_EQ(aliases, (std::vector<std::string>{"ACME", "ACMD", "ACMT"}));
  std::string connection = Str(conn.at("connectionId"));

  auto started = std::chrono::steady_clock::now();
  auto created = CreateProvider(admin, connection, "ACME", "Acme Azure");
  ASSERT_EQ(created.status, 202) << created.body;
  auto provider = Json(created.body);
  EXPECT_EQ(Str(provider.at("state")), "processing");
  ASSERT_EQ(provider.at("steps").as_array().size(), 5u);
  EXPECT_EQ(Str(provider.at("steps").at(0).at("label")), "Provides Microsoft your account details");
  std::string id = Str(provider.at("id"));
  auto ready = WaitForState(admin, id, "ready", std::chrono::seconds(60));
  auto took = std::chrono::steady_clock::now() - started;
  std::cerr << "time to ready: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  for (const auto& s : ready.at("steps").as_array()) EXPECT_EQ(Str(s.at("state")), "done");
  std::string customer = Str(ready.at("azure").at("customerId"));
  EXPECT_FALSE(customer.empty());
  EXPECT_EQ(Str(ready.at("azure").at("tenantDomain")), "acme.onmicrosoft.com");
  ASSERT_EQ(ready.at("azure").at("subscriptionIds").as_array().size(), 1u);
  std::string sub = Str(ready.at("azure").at("subscriptionIds").at(0));

  auto state = SandboxState();
  EXPECT_EQ(state.at("customers").as_array().size(), 1u);
  EXPECT_EQ(state.at("subscriptions").as_array().size(), 1u);  // one Azure plan
  EXPECT_EQ(state.at("azureSubscriptions").as_array().size(), 1u);
  int custom_roles = 0;
  for (const auto& r : state.at("roleDefinitions").as_array()) {
    if (Str(r.at("properties").at("type")) == "CustomRole") ++custom_roles;
  }
  EXPECT_EQ(custom_roles, 1);
  ASSERT_EQ(state.at("roleAssignments").as_array().size(), 1u);
  // The custom role went to the application's service principal, not to its appId.
  ASSERT_EQ(state.at("servicePrincipals").as_array().size(), 1u);
  EXPECT_EQ(Str(state.at("roleAssignments").at(0).at("properties").at("principalId")),
            Str(state.at("servicePrincipals").at(0).at("id")));
  ASSERT_EQ(state.at("policyAssignments").as_array().size(), 1u);
  const auto& allowed = state.at("policyAssignments")
                            .at(0)
                            .at("properties")
                            .at("parameters")
                            .at("listOfResourceTypesAllowed")
                            .at("value")
                            .as_array();
  EXPECT_GT(allowed.size(), 10u);
  for (const auto& [ns, st] : state.at("azureSubscriptions").at(0).at("providers").as_object()) {
    if (ns == "Microsoft.Compute" || ns == "Microsoft.Network" || ns == "Microsoft.Storage") {
      EXPECT_EQ(Str(st), "Registered") << ns;
    }
  }

  // The creator is told by email (the sandbox's SMTP mailbox).
  bool mailed = false;
  for (int i = 0; i < 100 && !mailed; ++i) {
    auto mail_state = SandboxState();
    for (const auto& m : mail_state.at("mailbox").as_array()) {
      if (Str(m.at("subject")) == "Your Azure provider is ready" &&
          Str(m.at("to")).find("admin@acme.example") != std::string::npos) {
        mailed = true;
      }
    }
    if (!mailed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(mailed) << json::serialize(SandboxState().at("mailbox"));

  // The initial admin login: shown once, then wiped.
  auto creds =
      Http("GET", server_.BaseUrl() + "/api/v1/providers/" + id + "/admin-credentials", "", admin);
  ASSERT_EQ(creds.status, 200) << creds.body;
  EXPECT_EQ(Str(Json(creds.body).at("userName")), "admin@acme.onmicrosoft.com");
  EXPECT_FALSE(Str(Json(creds.body).at("password")).empty());
  EXPECT_EQ(
      Http("GET", server_.BaseUrl() + "/api/v1/providers/" + id + "/admin-credentials", "", admin)
          .status,
      409);

  // A second provider on ACME: terms are current, so they may be omitted.
  auto second = CreateProvider(admin, connection, "ACME", "Acme Azure 2", false);
  ASSERT_EQ(second.status, 202) << second.body;
  auto ready2 =
      WaitForState(admin, Str(Json(second.body).at("id")), "ready", std::chrono::seconds(60));
  EXPECT_EQ(Str(ready2.at("azure").at("customerId")), customer);
  std::string sub2 = Str(ready2.at("azure").at("subscriptionIds").at(0));
  EXPECT_NE(sub2, sub);
  state = SandboxState();
  EXPECT_EQ(state.at("customers").as_array().size(), 1u);
  EXPECT_EQ(state.at("azureSubscriptions").as_array().size(), 2u);
  EXPECT_EQ(state.at("policyAssignments").as_array().size(), 2u);

  // The sandbox's policy denies a resource type outside the catalog.
  auto token =
      Http("POST", sandbox_.BaseUrl() + "/login/" + customer + "/oauth2/v2.0/token",
           "grant_type=client_credentials&client_id=22222222-2222-4222-8222-222222222222"
           "&client_secret=sandbox-secret&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
           {"Content-Type: application/x-www-form-urlencoded"});
  ASSERT_EQ(token.status, 200) << token.body;
  std::vector<std::string> arm = {"Authorization: Bearer " +
                                  Str(Json(token.body).at("access_token"))};
  auto denied =
      Http("PUT",
           sandbox_.BaseUrl() + "/arm/subscriptions/" + sub +
               "/resourceGroups/rg1/providers/Microsoft.Sql/servers/sql1?api-version=2021-11-01",
           R"({"location":"eastus","tags":{},"properties":{}})", arm);
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_NE(denied.body.find("RequestDisallowedByPolicy"), std::string::npos);
  auto allowed_vm = Http("PUT",
                         sandbox_.BaseUrl() + "/arm/subscriptions/" + sub +
                             "/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/"
                             "vm1?api-version=2023-03-01",
                         R"({"location":"eastus","tags":{},"properties":{}})", arm);
  EXPECT_LT(allowed_vm.status, 300) << allowed_vm.body;
}

// The production TLS path: every connector (Entra ID, Partner Center, Graph, ARM, CLC) reaches
// the sandbox over HTTPS, verifying its certificate against tls.ca_file; without that CA the
// certificate is refused.
TEST_F(OnboardingTest, ConnectorsReachTheSandboxOverHttpsTrustingItsCa) {
  static const std::regex kHttps(R"(HTTPS on (https://127\.0\.0\.1:\d+) .*CA file (\S+),)");
  std::smatch m;
  std::string err = sandbox_.Stderr();
  ASSERT_TRUE(std::regex_search(err, m, kHttps)) << err;
  std::string https = m[1], ca = m[2];
  ASSERT_TRUE(std::filesystem::exists(ca)) << ca;

  {
    ServerProcess untrusting;
    untrusting.Start({"serve", "--database", db_.url, "--set", "upstream.sandbox_url=" + https,
                      "--set", "security.secret_key_file=" + dir_ + "/secret.key"});
    auto auth = test::Login(untrusting.BaseUrl(), "admin@acme.example").Bearer();
    auto refused = Http("POST", untrusting.BaseUrl() + "/api/v1/clc/connections",
                        R"({"username":"acme.admin","password":"sandbox"})", auth);
    EXPECT_GE(refused.status, 500) << refused.body;
  }

  StartServer({"--set", "upstream.sandbox_url=" + https, "--set", "tls.ca_file=" + ca});
  auto admin = Login("admin@acme.example");
  auto connected = Connect(admin, "acme.admin");
  ASSERT_EQ(connected.status, 201) << connected.body;
  auto created = CreateProvider(admin, Str(Json(connected.body).at("connectionId")), "ACME",
                                "Acme Azure over HTTPS");
  ASSERT_EQ(created.status, 202) << created.body;
  auto ready =
      WaitForState(admin, Str(Json(created.body).at("id")), "ready", std::chrono::seconds(60));
  for (const auto& s : ready.at("steps").as_array()) EXPECT_EQ(Str(s.at("state")), "done");
  auto state = SandboxState();
  EXPECT_EQ(state.at("azureSubscriptions").as_array().size(), 1u);
  EXPECT_EQ(state.at("roleAssignments").as_array().size(), 1u);
  EXPECT_EQ(state.at("policyAssignments").as_array().size(), 1u);
}

TEST_F(OnboardingTest, IneligibleAccountsGetTheOriginalMessagesAndNothingIsWritten) {
  StartServer();
  auto admin = Login("admin@acme.example");
  auto bad = Connect(admin, "acme.admin", "wrong");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("We didn't recognize the username or password you entered."),
            std::string::npos)
      << bad.body;
  auto billing = Connect(admin, "acme.billing");
  EXPECT_EQ(billing.status, 403);
  EXPECT_NE(billing.body.find("A centuryLink Cloud account administrator for your account as the "
                              "ability to provide access to you."),
            std::string::npos)
      << billing.body;
  for (const char* user : {"rslr.admin", "demo.admin"}) {
    auto r = Connect(admin, user);
    EXPECT_EQ(r.status, 403) << user;
    EXPECT_NE(r.body.find("we are not able to provide this functionality for your account"),
              std::string::npos)
        << r.body;
  }
  auto brit = Connect(admin, "brit.admin");
  EXPECT_EQ(brit.status, 403);
  EXPECT_NE(brit.body.find("we are not able to provide that functionality for your account"),
            std::string::npos)
      << brit.body;
  auto state = SandboxState();
  EXPECT_EQ(state.at("customers").as_array().size(), 0u);
  EXPECT_EQ(Writes(state, "/partnercenter/"), 0);
  EXPECT_EQ(Writes(state, "/arm/"), 0);

  // A member cannot connect or create providers.
  auto providers = Http("GET", server_.BaseUrl() + "/api/v1/providers", "", admin);
  EXPECT_EQ(Json(providers.body).at("items").as_array().size(), 0u);
}

TEST_F(OnboardingTest, TerritoryFollowsConfiguration) {
  StartServer({"--set", "onboarding.allowed_territories=US,GB"});
  auto admin = Login("admin@acme.example");
  auto brit = Connect(admin, "brit.admin");
  ASSERT_EQ(brit.status, 201) << brit.body;
  auto conn = Json(brit.body);
  EXPECT_TRUE(conn.at("billingAliases").at(0).at("billable").as_bool());
  // RSC1 is a sub-account of a reseller: listed, disabled, with the reason.
  auto rslr = Connect(admin, "rslr.admin");
  EXPECT_EQ(rslr.status, 403);
}

TEST_F(OnboardingTest, OperatorResumesAProviderThatStoppedAndTheClcPasswordIsNowhere) {
  // Created while GB is allowed, with no workers running...
  StartServer({"--set", "onboarding.allowed_territories=US,GB", "--set", "jobs.workers=0"});
  auto admin = Login("admin@acme.example");
  const std::string unique_password = "Wr0ng-Unique-Clc-Pa55-7731";
  EXPECT_EQ(Connect(admin, "brit.admin", unique_password).status, 400);
  auto connected = Connect(admin, "brit.admin");
  ASSERT_EQ(connected.status, 201) << connected.body;
  auto created =
      CreateProvider(admin, Str(Json(connected.body).at("connectionId")), "BRIT", "Brit");
  ASSERT_EQ(created.status, 202) << created.body;
  std::string id = Str(Json(created.body).at("id"));
  {  // BRIT's CLC account is in GB: the alias bills in GBP, recorded when it was connected.
    auto db = store::Database::Open(db_.url);
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto rows = (*db)->InTransaction<store::Rows>([](store::Transaction& tx) {
      return tx.Query("SELECT currency FROM billing_aliases WHERE alias = 'BRIT'");
    });
    ASSERT_TRUE(rows.ok() && rows->size() == 1u);
    EXPECT_EQ(rows->at(0).Text(0), "GBP");
  }
  server_.Signal(SIGTERM);
  ASSERT_EQ(server_.Wait(), 0);
  std::string logs = server_.Stdout() + server_.Stderr();

  // ... then run where GB is not allowed: the workflow stops with the territory message.
  StartServer();
  auto stopped = WaitForState(admin, id, "unavailable", std::chrono::seconds(30));
  EXPECT_NE(Str(stopped.at("stateReason")).find("not able to provide that functionality"),
            std::string::npos)
      << json::serialize(stopped);
  EXPECT_EQ(Str(stopped.at("steps").at(0).at("state")), "failed");
  // Only operators resume.
  EXPECT_EQ(
      Http("POST", server_.BaseUrl() + "/api/v1/providers/" + id + "/resume", "", admin).status,
      403);
  // The operators' jobs list shows it stopped, at the step that failed, with the reason.
  auto stopped_jobs = Http("GET", server_.BaseUrl() + "/api/v1/jobs?state=stopped", "",
                           Login("ops@partner.example"));
  ASSERT_EQ(stopped_jobs.status, 200) << stopped_jobs.body;
  auto jobs = Json(stopped_jobs.body);
  ASSERT_EQ(jobs.at("items").as_array().size(), 1u) << stopped_jobs.body;
  const auto& job = jobs.at("items").at(0);
  EXPECT_EQ(Str(job.at("providerId")), id);
  EXPECT_EQ(Str(job.at("state")), "stopped");
  EXPECT_EQ(Str(job.at("stepTitle")), "Provides Microsoft your account details");
  EXPECT_NE(Str(job.at("lastError")).find("not able to provide that functionality"),
            std::string::npos)
      << stopped_jobs.body;
  server_.Signal(SIGTERM);
  ASSERT_EQ(server_.Wait(), 0);
  logs += server_.Stdout() + server_.Stderr();

  // Fixed (GB allowed again), an operator resumes it where it stopped.
  StartServer({"--set", "onboarding.allowed_territories=US,GB"});
  auto ops = Login("ops@partner.example");
  auto resumed = Http("POST", server_.BaseUrl() + "/api/v1/providers/" + id + "/resume", "", ops);
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(Str(Json(resumed.body).at("state")), "processing");
  WaitForState(admin, id, "ready", std::chrono::seconds(60));
  server_.Signal(SIGTERM);
  ASSERT_EQ(server_.Wait(), 0);
  logs += server_.Stdout() + server_.Stderr();

  // The CLC password and the CLC token (a JWT) are in no database row, file or log line.
  std::string everything = db_.DumpAllRows() + logs;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (entry.is_regular_file()) everything += ReadFile(entry.path().string());
  }
  EXPECT_NE(everything.find("brit.admin"), std::string::npos);  // the search does see data
  EXPECT_EQ(everything.find(unique_password), std::string::npos);
  EXPECT_EQ(everything.find("\"password\":\"sandbox\""), std::string::npos);
  EXPECT_EQ(everything.find("eyJ0eXAiOiJKV1Qi"), std::string::npos);  // a JWT header
  EXPECT_EQ(everything.find("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"), std::string::npos);
}

TEST_F(OnboardingTest, ScheduledPullBillsTheNewSubscriptionsUsageToItsAlias) {
  StartServer({"--set", "billing.usage_pull_seconds=1"});
  auto admin = Login("admin@acme.example");
  auto connected = Connect(admin, "acme.admin");
  ASSERT_EQ(connected.status, 201) << connected.body;
  auto created = CreateProvider(admin, Str(Json(connected.body).at("connectionId")), "ACMT", "T");
  ASSERT_EQ(created.status, 202) << created.body;
  WaitForState(admin, Str(Json(created.body).at("id")), "ready", std::chrono::seconds(60));
  // Two days of usage on the sandbox clock, then the pull brings it in.
  auto advanced =
      Http("POST", sandbox_.BaseUrl() + "/sandbox/control/clock", R"({"advanceSeconds":172800})");
  ASSERT_EQ(advanced.status, 200) << advanced.body;
  std::string month = Str(SandboxState().at("now")).substr(0, 7);
  HttpResponse bill;
  for (int i = 0; i < 200; ++i) {
    bill = Http("GET", server_.BaseUrl() + "/api/v1/billing/ACMT?month=" + month, "", admin);
    if (bill.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(bill.status, 200) << bill.body;
  auto v = Json(bill.body);
  EXPECT_FALSE(v.at("byAzureSubscription").as_array().empty()) << bill.body;
}

}  // namespace
}  // namespace pc::test
