// Onboarding benchmark (not a test): time to ready for one provider with no injected latency,
// then 1,000 providers created at once, against the real sandbox over loopback.
//   bench/onboarding.sh [N] [sqlite|postgresql] [limited|unlimited]   (builds Release, runs this)
// limited (the default): the sandbox enforces Partner Center's 500 requests a minute on
// customers, orders and subscriptions and ARM's write limits (sandbox/rate_limits.h), the
// service paces itself with its defaults (upstream.*_requests_per_minute, shared through the
// database; on PostgreSQL two service instances share the work and the pace). Reports the time
// against the lower bound (the limited calls the sandbox counted / the limit) and the 429s the
// sandbox answered. unlimited: no limit on either side (the earlier benchmark).
#include <signal.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/harness.h"

namespace json = boost::json;
using pc::test::Http;
using pc::test::Json;
using pc::test::ServerProcess;
using pc::test::Str;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kPassword = "Bench-Password-123";

double Seconds(Clock::duration d) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) /
         1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  std::string backend = argc > 2 ? argv[2] : "sqlite";
  bool limited = !(argc > 3 && std::string(argv[3]) == "unlimited");
  ServerProcess sandbox;
  sandbox.Start({"sandbox"});
  auto limits = Http("POST", sandbox.BaseUrl() + "/sandbox/control/rate-limits",
                     limited ? R"({"partnerCenterPerMinute":500,"armWritesPerHour":1200})"
                             : R"({"partnerCenterPerMinute":0,"armWritesPerHour":0})");
  if (limits.status != 200) {
    std::cerr << "sandbox rate limits: " << limits.status << " " << limits.body << "\n";
    return 1;
  }
  auto db = pc::test::MakeDatabase(backend == "postgresql" ? pc::test::Backend::kPostgres
                                                           : pc::test::Backend::kSqlite);
  std::string dir = pc::test::TempDir("pc-bench");
  auto added = pc::test::RunCommand(
      {"user", "add", "--database", db.url, "--email", "admin@acme.example", "--role", "org_admin",
       "--organization", "Acme", "--create-organization", "--password-stdin"},
      kPassword + "\n");
  if (added.exit_code != 0) {
    std::cerr << added.err;
    return 1;
  }
  // jobs.workers of each instance: BENCH_WORKERS, 64 (the most the service allows) unless set.
  // Workers mostly wait on upstreams; on PostgreSQL each step's database work takes longer, and
  // 16 per instance were what bound (150 s against the bound's 122 s).
  const char* workers_env = std::getenv("BENCH_WORKERS");
  std::string workers = workers_env && *workers_env ? workers_env : "64";
  std::vector<std::string> serve = {"serve",
                                    "--database",
                                    db.url,
                                    "--set",
                                    "upstream.sandbox_url=" + sandbox.BaseUrl(),
                                    "--set",
                                    "security.secret_key_file=" + dir + "/secret.key",
                                    "--set",
                                    "jobs.workers=" + workers,
                                    "--set",
                                    "log.level=warn",
                                    "--set",
                                    "server.threads=8"};
  // BENCH_SETS: more --set key=value for the service, space-separated (experiments).
  if (const char* sets = std::getenv("BENCH_SETS")) {
    std::istringstream words(sets);
    for (std::string w; words >> w;) {
      serve.push_back("--set");
      serve.push_back(w);
    }
  }
  if (!limited) {
    for (const char* s : {"upstream.partner_center_requests_per_minute=1000000",
                          "upstream.arm_requests_per_minute=1000000"}) {
      serve.push_back("--set");
      serve.push_back(s);
    }
  }
  ServerProcess server;
  server.Start(serve);
  // On PostgreSQL, a second instance on the same database shares the jobs and the pace.
  ServerProcess second;
  bool two = limited && backend == "postgresql";
  if (two) second.Start(serve);
  std::string base = server.BaseUrl();
  auto login = Http("POST", base + "/api/v1/session",
                    R"({"email":"admin@acme.example","password":")" + kPassword + R"("})");
  std::vector<std::string> auth = {"Authorization: Bearer " + Str(Json(login.body).at("token"))};
  auto conn = Http("POST", base + "/api/v1/clc/connections",
                   R"({"username":"acme.admin","password":"sandbox"})", auth);
  std::string connection = Str(Json(conn.body).at("connectionId"));
  std::string template_id = Str(
      Json(Http("GET", base + "/api/v1/terms", "", auth).body).at("microsoft").at("templateId"));
  const char* aliases[] = {"ACME", "ACMD", "ACMT"};
  auto create = [&](int i) {
    std::string body =
        R"({"name":"bench)" + std::to_string(i) +
        R"(","type":"azure-resource-manager","mode":"new-customer","connectionId":")" + connection +
        R"(","billingAlias":")" + aliases[i % 3] +
        R"(","terms":{"centurylink":"2017-01","microsoft":{"templateId":")" + template_id +
        R"(","contact":{"firstName":"Ada","lastName":"Admin","email":"ada@acme.example"}}}})";
    auto res = Http("POST", base + "/api/v1/providers", body, auth);
    return Str(Json(res.body).at("id"));
  };
  auto ready_count = [&]() {
    auto res = Http("GET", base + "/api/v1/providers", "", auth);
    size_t ready = 0;
    auto listing = Json(res.body);
    if (!listing.is_object()) return ready;
    for (const auto& p : listing.at("items").as_array()) ready += Str(p.at("state")) == "ready";
    return ready;
  };

  // One provider, nothing else running.
  auto t0 = Clock::now();
  std::string first = create(0);
  while (Str(Json(Http("GET", base + "/api/v1/providers/" + first, "", auth).body).at("state")) !=
         "ready") {
    if (Clock::now() - t0 > std::chrono::seconds(60)) {
      std::cerr << "the first provider did not become ready\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double one = Seconds(Clock::now() - t0);

  // N providers at once (the listing endpoint returns at most 500, so count through it only up
  // to that and then through the sandbox's state).
  auto t1 = Clock::now();
  for (int i = 1; i <= n; ++i) create(i);
  double submitted = Seconds(Clock::now() - t1);
  size_t subs = 0;
  json::value state;
  while (Clock::now() - t1 < std::chrono::minutes(limited ? 60 : 10)) {
    state = Json(Http("GET", sandbox.BaseUrl() + "/sandbox/control/state").body);
    subs = 0;
    for (const auto& s : state.at("policyAssignments").as_array()) (void)s, ++subs;
    if (subs >= static_cast<size_t>(n + 1) && ready_count() >= std::min<size_t>(n + 1, 500)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  double all = Seconds(Clock::now() - t1);
  size_t customers = state.at("customers").as_array().size();
  size_t azure = state.at("azureSubscriptions").as_array().size();
  size_t assignments = state.at("roleAssignments").as_array().size();
  std::cout << "backend: " << backend << "\n"
            << "one provider, time to ready: " << one << " s (target < 1 s)\n"
            << n << " providers: submitted in " << submitted << " s, all ready in " << all
            << " s (target < 30 s)\n"
            << "sandbox state: " << customers << " customers (expected 3), " << azure
            << " Azure subscriptions (expected " << n + 1 << "), " << assignments
            << " role assignments, " << subs << " policy assignments\n"
            << (customers == 3 && azure == static_cast<size_t>(n + 1) &&
                        assignments == static_cast<size_t>(n + 1)
                    ? "zero duplicates\n"
                    : "DUPLICATES OR MISSING\n");
  if (limited) {
    auto counted = Json(Http("GET", sandbox.BaseUrl() + "/sandbox/control/rate-limits").body);
    double pc_limited = static_cast<double>(counted.at("partnerCenterAdmitted").as_int64());
    double arm_writes = static_cast<double>(counted.at("armWritesAdmitted").as_int64());
    int64_t answered_429 =
        counted.at("partnerCenter429").as_int64() + counted.at("arm429").as_int64();
    // Every call the service made to each upstream (the client paces all of them).
    double pc_all = 0, arm_all = 0;
    for (const auto& [route, count] : state.at("requestCounts").as_object()) {
      std::string r(route);
      double c = static_cast<double>(count.as_int64());
      if (r.find(" /partnercenter/") != std::string::npos) pc_all += c;
      if (r.find(" /arm/") != std::string::npos) arm_all += c;
    }
    // The calls of the one-provider phase came before t1: count them out at the same share.
    double share = static_cast<double>(n) / (n + 1);
    // Microsoft's limits: 500/min on the limited Partner Center paths; ARM's hourly write
    // budgets (a bucket that starts full) bind only beyond 1,200 writes in a subscription or
    // outside subscriptions, which one onboarding each does not reach.
    double bound = pc_limited * share / (500.0 / 60.0);
    // The service's own pace (upstream.*_requests_per_minute: 500 and 1,200, on every call).
    double pace_bound =
        std::max(pc_all * share / (500.0 / 60.0), arm_all * share / (1200.0 / 60.0));
    std::cout << "under the limits (Partner Center 500/min on customers, orders and "
                 "subscriptions; ARM 1,200 writes/h per subscription"
              << (two ? "; two service instances" : "") << "):\n"
              << "  calls: Partner Center " << pc_all << " (" << pc_limited
              << " on limited paths), ARM " << arm_all << " (" << arm_writes << " writes)\n"
              << "  lower bound under Microsoft's limits (limited calls / rate): " << bound
              << " s; took " << all << " s = " << (bound > 0 ? all / bound : 0)
              << "x (target within 5%: " << (bound > 0 && all <= bound * 1.05 ? "met" : "MISSED")
              << ")\n"
              << "  bound at the service's own client pace (all calls / 500 and 1,200 a minute): "
              << pace_bound << " s = " << (pace_bound > 0 ? all / pace_bound : 0) << "x\n"
              << "  429 answered by the sandbox: " << answered_429
              << " (target 0: " << (answered_429 == 0 ? "met" : "MISSED") << ")\n";
  }
  if (two) {
    second.Signal(SIGTERM);
    second.Wait();
  }
  server.Signal(SIGTERM);
  server.Wait();
  return 0;
}
