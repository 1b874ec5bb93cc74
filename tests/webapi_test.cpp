// End-to-end tests of the endpoints the web UI needs, against the real service and the real
// sandbox on SQLite and PostgreSQL: existing-customer providers (checked with Entra and ARM),
// deleting a provider, the onboarding jobs list, and a provider's server-sent events (also with
// 200 idle streams open at once).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <thread>

#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

const std::string kPassword = "Corr3ct-Horse-Battery";
// The sandbox's application and partner tenant (README, Sandbox).
const std::string kClientId = "22222222-2222-4222-8222-222222222222";
const std::string kTenantId = "11111111-1111-4111-8111-111111111111";
const std::string kSecret = "sandbox-secret";
const std::string kSubscription = "5e1d7c2a-0f4b-4c1e-9a7d-3b2f6e8d9c01";

class WebApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(GetParam());
    ASSERT_FALSE(db_.url.empty());
    dir_ = TempDir("pc-webapi");
    sandbox_.Start({"sandbox"});
    AddUser("admin@acme.example", "org_admin", "Acme", "customer");
    AddUser("dev@acme.example", "org_member", "Acme", "customer");
    AddUser("admin@brit.example", "org_admin", "Britannia", "customer");
    AddUser("ops@partner.example", "operator", "Partner Operations", "partner");
    AddUser("agent@partner.example", "support_agent", "Partner Operations", "partner");
  }

  void StartServer(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"serve",
                                     "--database",
                                     db_.url,
                                     "--set",
                                     "upstream.sandbox_url=" + sandbox_.BaseUrl(),
                                     "--set",
                                     "security.secret_key_file=" + dir_ + "/secret.key"};
    args.insert(args.end(), extra.begin(), extra.end());
    server_.Start(args);
  }

  void AddUser(const std::string& email, const std::string& role, const std::string& org,
               const std::string& kind) {
    auto r = RunCommand(
        {"user", "add", "--database", db_.url, "--email", email, "--role", role, "--organization",
         org, "--create-organization", "--organization-kind", kind, "--password-stdin"},
        kPassword + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::vector<std::string> Login(const std::string& email) {
    auto res = Http("POST", server_.BaseUrl() + "/api/v1/session",
                    R"({"email":")" + email + R"(","password":")" + kPassword + R"("})");
    EXPECT_EQ(res.status, 200) << res.body;
    return {"Authorization: Bearer " + Str(Json(res.body).at("token"))};
  }

  HttpResponse Get(const std::string& path, const std::vector<std::string>& auth) {
    return Http("GET", server_.BaseUrl() + path, "", auth);
  }

  // A subscription the sandbox knows, in the partner tenant (the sandbox's control API).
  void AddSandboxSubscription(const std::string& sub) {
    auto res = Http("POST", sandbox_.BaseUrl() + "/sandbox/control/azure-subscriptions",
                    R"({"subscriptionId":")" + sub + R"(","tenantId":")" + kTenantId +
                        R"(","displayName":"Contoso Pay-As-You-Go"})");
    ASSERT_LT(res.status, 300) << res.body;
  }

  HttpResponse CreateExisting(const std::vector<std::string>& auth, const std::string& name,
                              const std::string& sub, const std::string& secret) {
    return Http(
        "POST", server_.BaseUrl() + "/api/v1/providers",
        R"({"name":")" + name +
            R"(","description":"Manage Microsoft services using Azure Resource Manager","type":"azure-resource-manager","mode":"existing-customer","existingAccount":{"subscriptionId":")" +
            sub + R"(","tenantId":")" + kTenantId + R"(","clientId":")" + kClientId +
            R"(","clientSecret":")" + secret + R"("}})",
        auth);
  }

  // Connects acme.admin and creates a new-customer provider on ACME; returns its id.
  std::string CreateNewCustomer(const std::vector<std::string>& admin, const std::string& name) {
    auto connected = Http("POST", server_.BaseUrl() + "/api/v1/clc/connections",
                          R"({"username":"acme.admin","password":"sandbox"})", admin);
    EXPECT_EQ(connected.status, 201) << connected.body;
    auto terms = Get("/api/v1/terms", admin);
    EXPECT_EQ(terms.status, 200) << terms.body;
    std::string template_id = Str(Json(terms.body).at("microsoft").at("templateId"));
    auto created = Http(
        "POST", server_.BaseUrl() + "/api/v1/providers",
        R"({"name":")" + name +
            R"(","type":"azure-resource-manager","mode":"new-customer","connectionId":")" +
            Str(Json(connected.body).at("connectionId")) +
            R"(","billingAlias":"ACME","terms":{"centurylink":"2017-01","microsoft":{"templateId":")" +
            template_id +
            R"(","contact":{"firstName":"Ada","lastName":"Admin","email":"ada@acme.example","phoneNumber":"4255550101"}}}})",
        admin);
    EXPECT_EQ(created.status, 202) << created.body;
    return Str(Json(created.body).at("id"));
  }

  json::value WaitForState(const std::vector<std::string>& auth, const std::string& id,
                           const std::string& state) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    json::value last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = Get("/api/v1/providers/" + id, auth);
      if (res.status == 200) {
        last = Json(res.body);
        if (Str(last.at("state")) == state) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "provider " << id << " did not become " << state << ": "
                  << json::serialize(last);
    return last;
  }

  // The `data:` of every `event: provider` in an event stream, parsed.
  static std::vector<json::value> ProviderEvents(const std::string& stream) {
    std::vector<json::value> out;
    size_t at = 0;
    while ((at = stream.find("event: provider\ndata: ", at)) != std::string::npos) {
      at += 22;
      size_t end = stream.find('\n', at);
      out.push_back(Json(stream.substr(at, end - at)));
    }
    return out;
  }

  TestDatabase db_;
  std::string dir_;
  ServerProcess sandbox_, server_;
};

TEST_P(WebApiTest, ExistingCustomerAccountIsCheckedWithEntraAndArmAndNotBilled) {
  StartServer();
  AddSandboxSubscription(kSubscription);
  auto admin = Login("admin@acme.example");

  // A secret Entra refuses: 400 with a message a person can act on; nothing is written.
  const std::string wrong = "Wr0ng-Unique-Secret-5531";
  auto refused = CreateExisting(admin, "Contoso", kSubscription, wrong);
  ASSERT_EQ(refused.status, 400) << refused.body;
  auto error = Json(refused.body).at("error");
  EXPECT_EQ(Str(error.at("code")), "ExistingAccountRejected");
  EXPECT_NE(Str(error.at("message")).find("Entra ID"), std::string::npos) << refused.body;
  EXPECT_NE(Str(error.at("message")).find("Secret"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.body.find(wrong), std::string::npos);

  // A subscription ARM does not show to the application.
  auto unknown = CreateExisting(admin, "Contoso", "0badc0de-0000-4000-8000-000000000000", kSecret);
  ASSERT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(Str(Json(unknown.body).at("error").at("code")), "ExistingAccountRejected");
  EXPECT_NE(unknown.body.find("Subscription ID"), std::string::npos) << unknown.body;

  // Bad input and the wrong role.
  EXPECT_EQ(CreateExisting(admin, "Contoso", "not-a-guid", kSecret).status, 400);
  EXPECT_EQ(CreateExisting(Login("dev@acme.example"), "Contoso", kSubscription, kSecret).status,
            403);
  EXPECT_EQ(Json(Get("/api/v1/providers", admin).body).at("items").as_array().size(), 0u);

  // The sandbox application's credentials: ready at once, not billed, not supported.
  auto created = CreateExisting(admin, "Contoso", kSubscription, kSecret);
  ASSERT_EQ(created.status, 201) << created.body;
  auto p = Json(created.body);
  EXPECT_EQ(Str(p.at("state")), "ready");
  EXPECT_EQ(Str(p.at("mode")), "existing-customer");
  EXPECT_FALSE(p.at("billed").as_bool());
  EXPECT_FALSE(p.at("supported").as_bool());
  EXPECT_TRUE(p.at("billingAlias").is_null());
  EXPECT_EQ(Str(p.at("existingAccount").at("subscriptionId")), kSubscription);
  EXPECT_EQ(Str(p.at("existingAccount").at("subscriptionName")), "Contoso Pay-As-You-Go");
  EXPECT_EQ(created.body.find(kSecret), std::string::npos);
  std::string id = Str(p.at("id"));
  EXPECT_EQ(CreateExisting(admin, "Again", kSubscription, kSecret).status, 409);

  // Seen by its organization and the partner's staff only.
  EXPECT_EQ(Get("/api/v1/providers/" + id, admin).status, 200);
  EXPECT_EQ(Get("/api/v1/providers/" + id, Login("ops@partner.example")).status, 200);
  EXPECT_EQ(Get("/api/v1/providers/" + id, Login("admin@brit.example")).status, 404);
  EXPECT_EQ(Json(Get("/api/v1/providers", Login("admin@brit.example")).body)
                .at("items")
                .as_array()
                .size(),
            0u);

  // No Partner Center call was made; nothing is billed: no alias, no subscription mapping.
  auto state = Json(Http("GET", sandbox_.BaseUrl() + "/sandbox/control/state").body);
  for (const auto& [route, count] : state.at("requestCounts").as_object()) {
    EXPECT_EQ(std::string(route).find("/partnercenter/"), std::string::npos) << route;
  }
  EXPECT_EQ(Json(Get("/api/v1/billing", admin).body).at("items").as_array().size(), 0u);

  // The secret is sealed at rest: neither it nor the refused one is in any row in clear.
  std::string rows = db_.DumpAllRows();
  EXPECT_NE(rows.find(kSubscription), std::string::npos);  // the dump does see the account
  EXPECT_EQ(rows.find(kSecret), std::string::npos);
  EXPECT_EQ(rows.find(wrong), std::string::npos);
  std::string logs = server_.Stdout() + server_.Stderr();
  EXPECT_EQ(logs.find(kSecret), std::string::npos);
  EXPECT_EQ(logs.find(wrong), std::string::npos);
}

TEST_P(WebApiTest, DeleteHidesTheProviderForAdminsAndOperatorsOnlyAndIsAudited) {
  StartServer();
  AddSandboxSubscription(kSubscription);
  AddSandboxSubscription("5e1d7c2a-0f4b-4c1e-9a7d-3b2f6e8d9c02");
  auto admin = Login("admin@acme.example");
  auto first = CreateExisting(admin, "First", kSubscription, kSecret);
  ASSERT_EQ(first.status, 201) << first.body;
  auto second = CreateExisting(admin, "Second", "5e1d7c2a-0f4b-4c1e-9a7d-3b2f6e8d9c02", kSecret);
  ASSERT_EQ(second.status, 201) << second.body;
  std::string id = Str(Json(first.body).at("id"));
  std::string id2 = Str(Json(second.body).at("id"));
  auto del = [&](const std::string& pid, const std::vector<std::string>& auth) {
    return Http("DELETE", server_.BaseUrl() + "/api/v1/providers/" + pid, "", auth);
  };
  EXPECT_EQ(del(id, {}).status, 401);
  EXPECT_EQ(del(id, Login("admin@brit.example")).status, 404);
  EXPECT_EQ(del(id, Login("dev@acme.example")).status, 403);
  EXPECT_EQ(del(id, Login("agent@partner.example")).status, 403);
  auto deleted = del(id, admin);
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(Get("/api/v1/providers/" + id, admin).status, 404);
  EXPECT_EQ(del(id, admin).status, 404);
  auto ops = Login("ops@partner.example");
  EXPECT_EQ(del(id2, ops).status, 204);
  EXPECT_EQ(Json(Get("/api/v1/providers", admin).body).at("items").as_array().size(), 0u);
  EXPECT_EQ(Json(Get("/api/v1/providers", ops).body).at("items").as_array().size(), 0u);

  auto audit = Json(Get("/api/v1/audit", admin).body);
  int deletions = 0;
  for (const auto& e : audit.at("items").as_array()) {
    if (Str(e.at("action")) == "provider.deleted") {
      ++deletions;
      EXPECT_NE(json::serialize(e.at("detail")).find("Nothing in Azure was stopped"),
                std::string::npos);
    }
  }
  EXPECT_EQ(deletions, 2);
  // Stops nothing in Azure: the sandbox still has both subscriptions.
  auto state = Json(Http("GET", sandbox_.BaseUrl() + "/sandbox/control/state").body);
  EXPECT_EQ(state.at("azureSubscriptions").as_array().size(), 2u);
}

TEST_P(WebApiTest, JobsForPartnerStaffAndEventsUntilReady) {
  StartServer();
  auto admin = Login("admin@acme.example");
  std::string id = CreateNewCustomer(admin, "Acme Azure");
  ASSERT_FALSE(id.empty());

  // The event stream: the provider now and after each change, ending once it is ready.
  EXPECT_EQ(Get("/api/v1/providers/" + id + "/events", Login("admin@brit.example")).status, 404);
  EXPECT_EQ(Get("/api/v1/providers/" + id + "/events", {}).status, 401);
  auto started = std::chrono::steady_clock::now();
  auto events = Get("/api/v1/providers/" + id + "/events", admin);
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  EXPECT_EQ(events.Header("content-type").rfind("text/event-stream", 0), 0u)
      << events.Header("content-type");
  auto seen = ProviderEvents(events.body);
  ASSERT_GE(seen.size(), 1u) << events.body;
  EXPECT_EQ(Str(seen.back().at("state")), "ready") << events.body;
  EXPECT_EQ(Str(seen.back().at("id")), id);
  for (const auto& s : seen.back().at("steps").as_array()) EXPECT_EQ(Str(s.at("state")), "done");
  // Each event differs from the one before (sent on change only).
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_NE(json::serialize(seen[i]), json::serialize(seen[i - 1]));
  }
  // A ready provider's stream is its one event.
  auto again = Get("/api/v1/providers/" + id + "/events", admin);
  EXPECT_EQ(ProviderEvents(again.body).size(), 1u);

  // Jobs: operators and support agents; customers are refused.
  EXPECT_EQ(Get("/api/v1/jobs", admin).status, 403);
  EXPECT_EQ(Get("/api/v1/jobs", {}).status, 401);
  auto ops = Login("ops@partner.example");
  EXPECT_EQ(Get("/api/v1/jobs?state=finished", ops).status, 400);
  EXPECT_EQ(Get("/api/v1/jobs?limit=0", ops).status, 400);
  for (const auto& who : {ops, Login("agent@partner.example")}) {
    auto jobs = Get("/api/v1/jobs", who);
    ASSERT_EQ(jobs.status, 200) << jobs.body;
    // The provider's onboarding job, and the month close's recurring job (jobs/recurring.h).
    json::array items;
    bool month_close = false;
    auto listing = Json(jobs.body);
    for (const auto& j : listing.at("items").as_array()) {
      if (Str(j.at("kind")) == "onboarding") items.push_back(j);
      if (Str(j.at("kind")) == "month-close") {
        month_close = true;
        EXPECT_TRUE(j.at("providerId").is_null()) << jobs.body;
        EXPECT_EQ(Str(j.at("step")), "tick");
      }
    }
    EXPECT_TRUE(month_close) << jobs.body;
    ASSERT_EQ(items.size(), 1u) << jobs.body;
    const auto& j = items[0];
    EXPECT_EQ(Str(j.at("providerId")), id);
    EXPECT_EQ(Str(j.at("providerName")), "Acme Azure");
    EXPECT_EQ(Str(j.at("billingAlias")), "ACME");
    EXPECT_EQ(Str(j.at("kind")), "onboarding");
    EXPECT_EQ(Str(j.at("state")), "done");
    EXPECT_EQ(Str(j.at("stepTitle")),
              "Grants the platform the appropriate permissions to work on your behalf");
    EXPECT_TRUE(j.at("lastError").is_null());
    EXPECT_TRUE(j.at("nextAttemptAt").is_null());
  }
  EXPECT_EQ(Json(Get("/api/v1/jobs?state=done", ops).body).at("items").as_array().size(), 1u);
  EXPECT_EQ(Json(Get("/api/v1/jobs?state=stopped", ops).body).at("items").as_array().size(), 0u);

  // Billing aliases: the organization's own, or all for the partner's staff.
  auto aliases = Json(Get("/api/v1/billing", admin).body).at("items").as_array();
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(Str(aliases[0].at("billingAlias")), "ACME");
  EXPECT_EQ(aliases[0].at("providerCount").as_int64(), 1);
  EXPECT_EQ(
      Json(Get("/api/v1/billing", Login("admin@brit.example")).body).at("items").as_array().size(),
      0u);
  EXPECT_EQ(Json(Get("/api/v1/billing", ops).body).at("items").as_array().size(), 1u);

  // Deleted: gone from the jobs list and the alias's count.
  ASSERT_EQ(Http("DELETE", server_.BaseUrl() + "/api/v1/providers/" + id, "", admin).status, 204);
  // (The month close's recurring job stays: it is never done.)
  EXPECT_EQ(Json(Get("/api/v1/jobs?state=done", ops).body).at("items").as_array().size(), 0u);
  EXPECT_EQ(Json(Get("/api/v1/billing", admin).body).at("items").at(0).at("providerCount"), 0);
}

// Sends a request for a provider's events on a raw socket; returns the socket once the first
// event has arrived (-1 on failure).
int OpenEventStream(uint16_t port, const std::string& id, const std::string& token) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  std::string req = "GET /api/v1/providers/" + id +
                    "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                    "Authorization: Bearer " +
                    token + "\r\n\r\n";
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return -1;
  }
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buf[4096];
  while (got.find("event: provider") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  if (got.rfind("HTTP/1.1 200", 0) != 0 || got.find("event: provider") == std::string::npos) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_P(WebApiTest, TwoHundredIdleEventStreamsLeaveTheServerResponsive) {
  // No workers: the provider stays processing, so every stream stays open and idle.
  StartServer({"--set", "jobs.workers=0"});
  auto admin = Login("admin@acme.example");
  std::string id = CreateNewCustomer(admin, "Waiting");
  std::string token = admin[0].substr(std::string("Authorization: Bearer ").size());
  std::vector<int> streams;
  for (int i = 0; i < 200; ++i) {
    int fd = OpenEventStream(server_.port(), id, token);
    if (fd < 0) break;
    streams.push_back(fd);
  }
  EXPECT_EQ(streams.size(), 200u);
  // With all of them open (each looked at four times a second), other requests are answered
  // quickly.
  for (int i = 0; i < 5; ++i) {
    auto started = std::chrono::steady_clock::now();
    auto me = Get("/api/v1/me", admin);
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(me.status, 200);
    EXPECT_LT(took, std::chrono::seconds(2))
        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  }
  auto provider = Get("/api/v1/providers/" + id, admin);
  EXPECT_EQ(Str(Json(provider.body).at("state")), "processing");
  for (int fd : streams) close(fd);
  // The server shuts down promptly with streams open (they end at the next tick).
  std::vector<int> more;
  for (int i = 0; i < 10; ++i) more.push_back(OpenEventStream(server_.port(), id, token));
  server_.Signal(SIGTERM);
  EXPECT_EQ(server_.Wait(std::chrono::seconds(15)), 0);
  for (int fd : more) {
    if (fd >= 0) close(fd);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, WebApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace pc::test
