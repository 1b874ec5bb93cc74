// End-to-end tests of the service skeleton: a real `partnercloud serve` process on an ephemeral
// port, on SQLite and on the real PostgreSQL server, driven over HTTP.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <thread>

#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

const std::string kPassword = "Corr3ct-Horse-Battery";

// Asserts the project's error body and returns its code.
std::string ErrorCode(const HttpResponse& res) {
  auto v = Json(res.body);
  if (!v.is_object() || !v.as_object().contains("error")) {
    ADD_FAILURE() << "no error body: " << res.body;
    return "";
  }
  const auto& err = v.at("error").as_object();
  EXPECT_TRUE(err.contains("message") && err.at("message").is_string()) << res.body;
  EXPECT_FALSE(err.at("message").as_string().empty());
  return std::string(err.at("code").as_string());
}

struct Session {
  std::string token;
  std::string csrf;
  std::string user_id;
  std::string organization_id;
  std::vector<std::string> Bearer() const { return {"Authorization: Bearer " + token}; }
};

class ApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(GetParam());
    ASSERT_FALSE(db_.url.empty());
    AddUser("admin@acme.example", "org_admin", "Acme", "customer");
    AddUser("dev@acme.example", "org_member", "Acme", "customer");
    AddUser("admin@globex.example", "org_admin", "Globex", "customer");
    AddUser("ops@partner.example", "operator", "Partner Operations", "partner");
    server_.Start({"serve", "--database", db_.url});
  }

  void AddUser(const std::string& email, const std::string& role, const std::string& org,
               const std::string& kind) {
    auto r = RunCommand(
        {"user", "add", "--database", db_.url, "--email", email, "--role", role, "--organization",
         org, "--create-organization", "--organization-kind", kind, "--password-stdin"},
        kPassword + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_NE(r.out.find("created " + email), std::string::npos) << r.out;
  }

  std::string Url(const std::string& path) const { return server_.BaseUrl() + path; }

  Session Login(const std::string& email, const std::string& password = kPassword) {
    auto res = Http("POST", Url("/api/v1/session"),
                    R"({"email":")" + email + R"(","password":")" + password + R"("})");
    EXPECT_EQ(res.status, 200) << res.body;
    Session s;
    if (res.status != 200) return s;
    auto v = Json(res.body);
    s.token = std::string(v.at("token").as_string());
    s.csrf = std::string(v.at("csrfToken").as_string());
    s.user_id = std::string(v.at("user").at("id").as_string());
    s.organization_id = std::string(v.at("organization").at("id").as_string());
    EXPECT_NE(res.Header("set-cookie").find("HttpOnly"), std::string::npos);
    EXPECT_NE(res.Header("set-cookie").find("SameSite=Strict"), std::string::npos);
    return s;
  }

  void ExpectServing() {
    auto res = Http("GET", Url("/healthz"));
    std::string err = server_.Stderr();
    size_t report = err.find("ERROR: AddressSanitizer");
    if (report == std::string::npos) report = err.size() > 4000 ? err.size() - 4000 : 0;
    EXPECT_EQ(res.status, 200) << "server stopped serving: " << err.substr(report, 6000);
  }

  TestDatabase db_;
  ServerProcess server_;
};

TEST_P(ApiTest, LoginShowsOrganizationAndRole) {
  Session s = Login("admin@acme.example");
  auto me = Http("GET", Url("/api/v1/me"), "", s.Bearer());
  ASSERT_EQ(me.status, 200) << me.body;
  auto v = Json(me.body);
  EXPECT_EQ(v.at("organization").at("name").as_string(), "Acme");
  EXPECT_EQ(v.at("role").as_string(), "org_admin");
  EXPECT_EQ(v.at("user").at("email").as_string(), "admin@acme.example");

  // The cookie works too, and reads need no CSRF header.
  auto by_cookie = Http("GET", Url("/api/v1/me"), "", {"Cookie: pc_session=" + s.token});
  EXPECT_EQ(by_cookie.status, 200);
  // Logging out ends the session.
  auto out = Http("DELETE", Url("/api/v1/session"), "", s.Bearer());
  EXPECT_EQ(out.status, 204) << out.body;
  auto after = Http("GET", Url("/api/v1/me"), "", s.Bearer());
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(ErrorCode(after), "Unauthenticated");
}

TEST_P(ApiTest, WrongPasswordIs401ThenThrottledWith429) {
  auto first = Http("POST", Url("/api/v1/session"),
                    R"({"email":"dev@acme.example","password":"wrong-password"})");
  EXPECT_EQ(first.status, 401);
  EXPECT_EQ(ErrorCode(first), "Unauthenticated");
  for (int i = 0; i < 4; ++i) {
    auto r = Http("POST", Url("/api/v1/session"),
                  R"({"email":"dev@acme.example","password":"wrong-password"})");
    EXPECT_EQ(r.status, 401);
  }
  // Locked: even the right password is refused until Retry-After has passed.
  auto locked = Http("POST", Url("/api/v1/session"),
                     R"({"email":"dev@acme.example","password":")" + kPassword + R"("})");
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_EQ(ErrorCode(locked), "TooManyRequests");
  ASSERT_FALSE(locked.Header("retry-after").empty());
  EXPECT_GE(std::stoi(locked.Header("retry-after")), 1);
  // Another account is not affected.
  Login("admin@acme.example");
}

TEST_P(ApiTest, BadRequestsGetJsonErrorsAndServerKeepsServing) {
  Session s = Login("admin@acme.example");
  auto malformed = Http("POST", Url("/api/v1/session"), R"({"email": "a@b.c", )");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(ErrorCode(malformed), "InvalidArgument");
  ExpectServing();

  auto wrong_type = Http("POST", Url("/api/v1/session"), R"({"email": 5, "password": "x"})");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(wrong_type.body.find("email"), std::string::npos);
  ExpectServing();

  std::string huge(2 * 1024 * 1024, 'x');
  // With Expect: 100-continue the client waits for the 413 instead of racing to send the body.
  auto bearer_expect = s.Bearer();
  bearer_expect.push_back("Expect: 100-continue");
  auto too_big = Http("POST", Url("/api/v1/tokens"), huge, bearer_expect);
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(ErrorCode(too_big), "PayloadTooLarge");
  ExpectServing();

  auto unknown = Http("GET", Url("/api/v1/no-such-thing"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(ErrorCode(unknown), "NotFound");
  ExpectServing();

  auto wrong_method = Http("PUT", Url("/api/v1/me"), "{}", s.Bearer());
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(ErrorCode(wrong_method), "MethodNotAllowed");
  EXPECT_EQ(wrong_method.Header("allow"), "GET");
  ExpectServing();

  // Not HTTP at all.
  {
    RawConnection raw(server_.port());
    raw.Send("HELLO THERE\r\n\r\n");
    std::string reply = raw.ReadAll();
    EXPECT_NE(reply.find("400 Bad Request"), std::string::npos) << reply;
    EXPECT_NE(reply.find("\"error\""), std::string::npos) << reply;
  }
  ExpectServing();
}

TEST_P(ApiTest, CookieWritesNeedCsrfTokenAndApiTokensWork) {
  Session s = Login("admin@acme.example");
  std::string cookie = "Cookie: pc_session=" + s.token;
  auto no_csrf = Http("POST", Url("/api/v1/tokens"), R"({"name":"ci"})", {cookie});
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(ErrorCode(no_csrf), "PermissionDenied");
  auto bad_csrf = Http("POST", Url("/api/v1/tokens"), R"({"name":"ci"})",
                       {cookie, "X-CSRF-Token: not-the-token"});
  EXPECT_EQ(bad_csrf.status, 403);
  auto created = Http("POST", Url("/api/v1/tokens"), R"({"name":"ci","expiresInDays":30})",
                      {cookie, "X-CSRF-Token: " + s.csrf});
  ASSERT_EQ(created.status, 201) << created.body;
  auto token = Json(created.body);
  std::string api_token(token.at("token").as_string());
  EXPECT_EQ(api_token.rfind("pct_", 0), 0u);

  auto me = Http("GET", Url("/api/v1/me"), "", {"Authorization: Bearer " + api_token});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Json(me.body).at("authenticatedVia").as_string(), "api_token");
  // The token is listed without its secret, then revoked.
  auto list = Http("GET", Url("/api/v1/tokens"), "", s.Bearer());
  EXPECT_EQ(list.body.find(api_token), std::string::npos);
  std::string id(token.at("id").as_string());
  EXPECT_EQ(Http("DELETE", Url("/api/v1/tokens/" + id), "", s.Bearer()).status, 204);
  EXPECT_EQ(Http("GET", Url("/api/v1/me"), "", {"Authorization: Bearer " + api_token}).status, 401);
}

TEST_P(ApiTest, OrganizationsCannotReachEachOthersUsersOrAudit) {
  Session acme = Login("admin@acme.example");
  Session globex = Login("admin@globex.example");
  Session ops = Login("ops@partner.example");

  // Acme's admin creates a user; it shows in Acme's list.
  auto created =
      Http("POST", Url("/api/v1/users"),
           R"({"email":"new@acme.example","role":"org_member","password":"another-pass-1"})",
           acme.Bearer());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string acme_user(Json(created.body).at("id").as_string());

  // Globex's admin sees only Globex users and cannot name Acme's organization.
  auto globex_list = Http("GET", Url("/api/v1/users"), "", globex.Bearer());
  ASSERT_EQ(globex_list.status, 200);
  EXPECT_EQ(globex_list.body.find("acme.example"), std::string::npos) << globex_list.body;
  auto list_other =
      Http("GET", Url("/api/v1/users?organizationId=" + acme.organization_id), "", globex.Bearer());
  EXPECT_EQ(list_other.status, 404);
  // ... cannot read, change or create Acme's users ...
  EXPECT_EQ(Http("GET", Url("/api/v1/users/" + acme_user), "", globex.Bearer()).status, 404);
  auto patch =
      Http("PATCH", Url("/api/v1/users/" + acme_user), R"({"disabled":true})", globex.Bearer());
  EXPECT_EQ(patch.status, 404);
  EXPECT_EQ(ErrorCode(patch), "NotFound");
  auto create_other =
      Http("POST", Url("/api/v1/users"),
           R"({"organizationId":")" + acme.organization_id +
               R"(","email":"evil@globex.example","role":"org_admin","password":"another-pass-1"})",
           globex.Bearer());
  EXPECT_EQ(create_other.status, 404);
  // ... nor read Acme's organization or audit entries.
  EXPECT_EQ(
      Http("GET", Url("/api/v1/organizations/" + acme.organization_id), "", globex.Bearer()).status,
      404);
  EXPECT_EQ(
      Http("GET", Url("/api/v1/audit?organizationId=" + acme.organization_id), "", globex.Bearer())
          .status,
      404);
  auto globex_audit = Http("GET", Url("/api/v1/audit"), "", globex.Bearer());
  ASSERT_EQ(globex_audit.status, 200);
  auto globex_entries = Json(globex_audit.body);
  for (const auto& e : globex_entries.at("items").as_array()) {
    EXPECT_EQ(e.at("organizationId").as_string(), globex.organization_id);
  }
  EXPECT_EQ(globex_audit.body.find(acme_user), std::string::npos);

  // Acme's audit log has the user creation, with who and from where.
  auto acme_audit = Http("GET", Url("/api/v1/audit"), "", acme.Bearer());
  ASSERT_EQ(acme_audit.status, 200);
  bool found = false;
  auto acme_entries = Json(acme_audit.body);
  for (const auto& e : acme_entries.at("items").as_array()) {
    if (e.at("action").as_string() == "user.created" && e.at("targetId").as_string() == acme_user) {
      found = true;
      EXPECT_EQ(e.at("actorEmail").as_string(), "admin@acme.example");
      EXPECT_EQ(e.at("clientAddr").as_string(), "127.0.0.1");
    }
  }
  EXPECT_TRUE(found) << acme_audit.body;

  // A member cannot list users; an org admin cannot grant partner roles.
  Session dev = Login("dev@acme.example");
  EXPECT_EQ(Http("GET", Url("/api/v1/users"), "", dev.Bearer()).status, 403);
  EXPECT_EQ(Http("GET", Url("/api/v1/audit"), "", dev.Bearer()).status, 403);
  auto grant = Http("POST", Url("/api/v1/users"),
                    R"({"email":"x@acme.example","role":"operator","password":"another-pass-1"})",
                    acme.Bearer());
  EXPECT_EQ(grant.status, 403);

  // The operator sees every organization and Acme's audit entries.
  auto orgs = Http("GET", Url("/api/v1/organizations"), "", ops.Bearer());
  ASSERT_EQ(orgs.status, 200);
  EXPECT_EQ(Json(orgs.body).at("items").as_array().size(), 3u);
  auto ops_audit =
      Http("GET", Url("/api/v1/audit?organizationId=" + acme.organization_id), "", ops.Bearer());
  EXPECT_EQ(ops_audit.status, 200);
  EXPECT_NE(ops_audit.body.find(acme_user), std::string::npos);
  // Only operators create organizations.
  EXPECT_EQ(
      Http("POST", Url("/api/v1/organizations"), R"({"name":"Initech"})", acme.Bearer()).status,
      403);
  EXPECT_EQ(
      Http("POST", Url("/api/v1/organizations"), R"({"name":"Initech"})", ops.Bearer()).status,
      201);
}

TEST_P(ApiTest, NoPlaintextPasswordInDatabaseOrLogs) {
  const std::string secret = "Zebra-Unique-Secret-8812";
  Session acme = Login("admin@acme.example");
  auto created =
      Http("POST", Url("/api/v1/users"),
           R"({"email":"pw@acme.example","role":"org_member","password":")" + secret + R"("})",
           acme.Bearer());
  ASSERT_EQ(created.status, 201) << created.body;
  Login("pw@acme.example", secret);
  Http("POST", Url("/api/v1/session"),
       R"({"email":"pw@acme.example","password":")" + secret + R"(-wrong"})");
  server_.Signal(SIGTERM);
  EXPECT_EQ(server_.Wait(), 0);
  std::string rows = db_.DumpAllRows();
  ASSERT_FALSE(rows.empty());
  EXPECT_NE(rows.find("pw@acme.example"), std::string::npos) << "the dump should hold the user";
  EXPECT_EQ(rows.find(secret), std::string::npos) << "password found in the database";
  EXPECT_EQ(rows.find(kPassword), std::string::npos) << "password found in the database";
  EXPECT_EQ(rows.find(acme.token), std::string::npos) << "session token stored in clear";
  std::string logs = server_.Stdout() + server_.Stderr();
  EXPECT_FALSE(logs.empty());
  EXPECT_EQ(logs.find(secret), std::string::npos) << "password found in the logs";
  EXPECT_EQ(logs.find(acme.token), std::string::npos) << "token found in the logs";
}

TEST_P(ApiTest, SigtermLetsASlowRequestFinishThenExitsZero) {
  std::string body = R"({"email":"admin@acme.example","password":")" + kPassword + R"("})";
  RawConnection conn(server_.port());
  conn.Send(
      "POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
      "application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server_.Signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  conn.Send(body.substr(10));
  std::string reply = conn.ReadAll();
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK", 0), 0u) << reply;
  EXPECT_NE(reply.find("\"token\""), std::string::npos);
  EXPECT_EQ(server_.Wait(), 0);
}

TEST_P(ApiTest, HealthReadinessMetricsAndAccessLog) {
  EXPECT_EQ(Http("GET", Url("/healthz")).status, 200);
  auto ready = Http("GET", Url("/readyz"));
  EXPECT_EQ(ready.status, 200) << ready.body;
  Http("GET", Url("/api/v1/nothing-here"));
  auto metrics = Http("GET", Url("/metrics"));
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find(
                R"(partnercloud_http_requests_total{method="GET",route="/readyz",status="200"} 1)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(
      metrics.body.find("partnercloud_http_request_duration_seconds_bucket{route=\"/healthz\""),
      std::string::npos);
  // The /metrics request itself is in flight.
  auto gauge = metrics.body.find("\npartnercloud_http_requests_in_flight ");
  ASSERT_NE(gauge, std::string::npos);
  EXPECT_EQ(std::stoi(metrics.body.substr(gauge + 38)), 1);
  auto openapi = Http("GET", Url("/api/v1/openapi.json"));
  EXPECT_EQ(openapi.status, 200);
  EXPECT_EQ(std::string(Json(openapi.body).at("openapi").as_string()).substr(0, 2), "3.");
  // One JSON access-log line per request on stdout.
  server_.Signal(SIGTERM);
  ASSERT_EQ(server_.Wait(), 0);
  std::istringstream out(server_.Stdout());
  int lines = 0;
  bool saw_404 = false;
  for (std::string line; std::getline(out, line);) {
    auto v = Json(line);
    ++lines;
    if (v.at("path").as_string() == "/api/v1/nothing-here") {
      saw_404 = v.at("status").as_int64() == 404;
    }
  }
  EXPECT_EQ(lines, 5);
  EXPECT_TRUE(saw_404);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

// The demo seeds its users and prints them with a warning.
TEST(DemoTest, DemoLoginsWork) {
  std::string data = TempDir("pc-demo");
  ServerProcess demo;
  demo.Start({"demo", "--data", data});
  auto res = Http("POST", demo.BaseUrl() + "/api/v1/session",
                  R"({"email":"admin@acme.example","password":"demo"})");
  ASSERT_EQ(res.status, 200) << res.body;
  std::string token(Json(res.body).at("token").as_string());
  auto me = Http("GET", demo.BaseUrl() + "/api/v1/me", "", {"Authorization: Bearer " + token});
  EXPECT_EQ(Json(me.body).at("organization").at("name").as_string(), "Acme");
  EXPECT_EQ(Json(me.body).at("role").as_string(), "org_admin");
  for (const char* who : {"dev@acme.example", "ops@partner.example", "agent@partner.example"}) {
    EXPECT_EQ(Http("POST", demo.BaseUrl() + "/api/v1/session",
                   std::string(R"({"email":")") + who + R"(","password":"demo"})")
                  .status,
              200)
        << who;
  }
  demo.Signal(SIGTERM);
  EXPECT_EQ(demo.Wait(), 0);
  EXPECT_NE(demo.Stderr().find("admin@acme.example"), std::string::npos);
  EXPECT_NE(demo.Stderr().find("local use only"), std::string::npos);
  // A second start on the same data keeps the users (no duplicates, no error).
  ServerProcess again;
  again.Start({"demo", "--data", data});
  EXPECT_EQ(Http("POST", again.BaseUrl() + "/api/v1/session",
                 R"({"email":"admin@acme.example","password":"demo"})")
                .status,
            200);
}

}  // namespace
}  // namespace pc::test
