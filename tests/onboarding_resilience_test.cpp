// Onboarding under injected faults, crashes and scale-out: many providers, the real service
// processes and the real sandbox; sandbox state read only through its control API.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

// A service process (or several) against one sandbox, with the demo-like users.
class Fleet {
 public:
  explicit Fleet(Backend backend) {
    sandbox.Start({"sandbox"});
    db = MakeDatabase(backend);
    dir = TempDir("pc-fleet");
    AddUser(db.url, "admin@acme.example", "org_admin", "Acme");
  }

  std::vector<std::string> ServeArgs(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {"serve",
                                     "--database",
                                     db.url,
                                     "--set",
                                     "upstream.sandbox_url=" + sandbox.BaseUrl(),
                                     "--set",
                                     "security.secret_key_file=" + dir + "/secret.key",
                                     "--set",
                                     "upstream.partner_center_requests_per_minute=100000",
                                     "--set",
                                     "upstream.arm_requests_per_minute=100000",
                                     "--set",
                                     "log.level=warn"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::string Url(ServerProcess& s, const std::string& path) { return s.BaseUrl() + path; }

  std::vector<std::string> Login(ServerProcess& s) {
    return test::Login(s.BaseUrl(), "admin@acme.example").Bearer();
  }

  // Connects acme.admin and creates `n` providers round-robin on ACME, ACMD, ACMT.
  std::vector<std::string> CreateProviders(ServerProcess& s, const std::vector<std::string>& auth,
                                           int n) {
    auto connected = Http("POST", Url(s, "/api/v1/clc/connections"),
                          R"({"username":"acme.admin","password":"sandbox"})", auth);
    EXPECT_EQ(connected.status, 201) << connected.body;
    std::string connection = Str(Json(connected.body).at("connectionId"));
    std::string template_id;
    for (int i = 0; i < 50 && template_id.empty(); ++i) {
      auto terms = Http("GET", Url(s, "/api/v1/terms"), "", auth);
      if (terms.status == 200) template_id = Str(Json(terms.body).at("microsoft").at("templateId"));
    }
    EXPECT_FALSE(template_id.empty());
    const char* aliases[] = {"ACME", "ACMD", "ACMT"};
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      std::string body =
          R"({"name":"p)" + std::to_string(i) +
          R"(","type":"azure-resource-manager","mode":"new-customer","connectionId":")" +
          connection + R"(","billingAlias":")" + aliases[i % 3] +
          R"(","terms":{"centurylink":"2017-01","microsoft":{"templateId":")" + template_id +
          R"(","contact":{"firstName":"Ada","lastName":"Admin","email":"ada@acme.example"}}}})";
      auto res = Http("POST", Url(s, "/api/v1/providers"), body, auth);
      EXPECT_EQ(res.status, 202) << res.body;
      if (res.status == 202) ids.push_back(Str(Json(res.body).at("id")));
    }
    return ids;
  }

  // Polls until every provider is ready (or the deadline); returns how many are ready.
  size_t WaitAllReady(ServerProcess& s, const std::vector<std::string>& auth, size_t n,
                      std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    size_t ready = 0;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = Http("GET", Url(s, "/api/v1/providers"), "", auth);
      if (res.status == 200) {
        ready = 0;
        last = res.body;
        auto listing = Json(res.body);
        for (const auto& p : listing.at("items").as_array()) {
          if (Str(p.at("state")) == "ready") ++ready;
          EXPECT_NE(Str(p.at("state")), "unavailable") << json::serialize(p);
        }
        if (ready == n) return ready;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    ADD_FAILURE() << ready << " of " << n << " ready; last listing: " << last.substr(0, 3000);
    return ready;
  }

  json::value SandboxState() {
    auto res = Http("GET", sandbox.BaseUrl() + "/sandbox/control/state");
    EXPECT_EQ(res.status, 200);
    return Json(res.body);
  }

  // Exactly one customer per alias, one subscription per provider, and one of each
  // per-subscription object.
  void ExpectNoDuplicates(size_t providers) {
    auto state = SandboxState();
    EXPECT_EQ(state.at("customers").as_array().size(), 3u);
    EXPECT_EQ(state.at("subscriptions").as_array().size(), 3u);
    EXPECT_EQ(state.at("azureSubscriptions").as_array().size(), providers);
    EXPECT_EQ(state.at("roleAssignments").as_array().size(), providers);
    EXPECT_EQ(state.at("policyAssignments").as_array().size(), providers);
    EXPECT_EQ(state.at("applicationConsents").as_array().size(), 3u);
    std::set<std::string> domains;
    for (const auto& c : state.at("customers").as_array()) {
      domains.insert(Str(c.at("companyProfile").at("domain")));
    }
    EXPECT_EQ(domains, (std::set<std::string>{"acme.onmicrosoft.com", "acmd.onmicrosoft.com",
                                              "acmt.onmicrosoft.com"}));
  }

  ServerProcess sandbox;
  TestDatabase db;
  std::string dir;
};

TEST(OnboardingResilienceTest, FiftyProvidersReachReadyThroughThrottlingErrorsTimeoutsAndDelays) {
  Fleet fleet(Backend::kSqlite);
  auto faults = Http("POST", fleet.sandbox.BaseUrl() + "/sandbox/control/faults", R"json({
    "seed": 11, "consistencyDelaySeconds": 30,
    "rules": [
      {"route": "^[A-Z]+ /partnercenter/v1/customers(\\?|$)", "errorRate": 0.05,
       "throttleRate": 0.2, "retryAfterSeconds": 1, "timeoutRate": 0.02, "timeoutMs": 15000},
      {"route": "^[A-Z]+ /partnercenter/", "errorRate": 0.05, "throttleRate": 0.2,
       "retryAfterSeconds": 2, "timeoutRate": 0.02, "timeoutMs": 15000},
      {"route": "^[A-Z]+ /arm/", "errorRate": 0.05, "throttleRate": 0.2,
       "retryAfterSeconds": 3, "timeoutRate": 0.02, "timeoutMs": 15000}]})json");
  ASSERT_EQ(faults.status, 200) << faults.body;
  ServerProcess server;
  server.Start(fleet.ServeArgs({"--set", "jobs.workers=24", "--set", "upstream.timeout_seconds=5",
                                "--set", "server.threads=8"}));
  auto auth = fleet.Login(server);
  auto ids = fleet.CreateProviders(server, auth, 50);
  ASSERT_EQ(ids.size(), 50u);
  EXPECT_EQ(fleet.WaitAllReady(server, auth, 50, std::chrono::seconds(400)), 50u);
  fleet.ExpectNoDuplicates(50);

  // Faults happened, and every retry after a 429 waited at least the Retry-After.
  auto state = fleet.SandboxState();
  int64_t faulted = 0;
  for (const auto& [route, n] : state.at("requestCounts").as_object()) {
    if (std::string(route).find("(fault)") != std::string::npos) faulted += n.as_int64();
  }
  EXPECT_GT(faulted, 50);
  const auto& retries = state.at("retriesAfterThrottle").as_array();
  EXPECT_GT(retries.size(), 20u);
  for (const auto& r : retries) {
    EXPECT_GE(r.at("waitedMs").as_int64(), r.at("retryAfterMs").as_int64() - 20)
        << json::serialize(r);
  }
}

TEST(OnboardingResilienceTest, KillingTheServerTwentyTimesLosesAndDuplicatesNothing) {
  Fleet fleet(Backend::kSqlite);
  std::vector<std::string> args =
      fleet.ServeArgs({"--set", "jobs.workers=8", "--set", "jobs.lease_seconds=2"});
  auto server = std::make_unique<ServerProcess>();
  server->Start(args);
  auto auth = fleet.Login(*server);
  auto ids = fleet.CreateProviders(*server, auth, 50);
  ASSERT_EQ(ids.size(), 50u);
  std::mt19937 rng(20261122);
  std::uniform_int_distribution<int> pause_ms(50, 700);
  for (int kill = 0; kill < 20; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    server->Signal(SIGKILL);
    EXPECT_EQ(server->Wait(), 128 + SIGKILL);
    server = std::make_unique<ServerProcess>();
    server->Start(args);
  }
  auth = fleet.Login(*server);
  EXPECT_EQ(fleet.WaitAllReady(*server, auth, 50, std::chrono::seconds(300)), 50u);
  fleet.ExpectNoDuplicates(50);
}

TEST(OnboardingResilienceTest, TwoProcessesOnPostgresShareTheWorkAndRunEachStepOnce) {
  Fleet fleet(Backend::kPostgres);
  ServerProcess a, b;
  a.Start(fleet.ServeArgs({"--set", "jobs.workers=6", "--set", "log.level=info"}));
  b.Start(fleet.ServeArgs({"--set", "jobs.workers=6", "--set", "log.level=info"}));
  auto auth = fleet.Login(a);
  auto ids = fleet.CreateProviders(a, auth, 100);
  ASSERT_EQ(ids.size(), 100u);
  EXPECT_EQ(fleet.WaitAllReady(b, auth, 100, std::chrono::seconds(300)), 100u);
  fleet.ExpectNoDuplicates(100);
  auto state = fleet.SandboxState();
  const auto& counts = state.at("requestCounts").as_object();
  auto count = [&](const std::string& route) {
    auto it = counts.find(route);
    return it == counts.end() ? int64_t{0} : it->value().as_int64();
  };
  EXPECT_EQ(count("POST /partnercenter/v1/customers"), 3);
  EXPECT_EQ(count("POST /partnercenter/v1/customers/{cid}/agreements"), 3);
  EXPECT_EQ(count("POST /partnercenter/v1/customers/{cid}/orders"), 3);
  for (const auto& [route, n] : counts) {
    std::string r(route);
    if (r.starts_with("PUT /arm/") && r.find("roleAssignments") != std::string::npos) {
      EXPECT_EQ(n.as_int64(), 100) << r;
    }
    if (r.starts_with("PUT /arm/") && r.find("policyAssignments") != std::string::npos) {
      EXPECT_EQ(n.as_int64(), 100) << r;
    }
  }
  // Both processes called the upstreams (each logs its upstream calls).
  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  EXPECT_EQ(a.Wait(), 0);
  EXPECT_EQ(b.Wait(), 0);
  EXPECT_NE(a.Stderr().find("\"upstream\":\"arm\""), std::string::npos);
  EXPECT_NE(b.Stderr().find("\"upstream\":\"arm\""), std::string::npos);
}

}  // namespace
}  // namespace pc::test
