// Webhooks end to end (issue 16), on SQLite and PostgreSQL: the real binary delivering to a
// receiver written in Node (tests/webhook_receiver.js) that checks every signature with its own
// HMAC code; retries after failures, SIGKILL of the service during deliveries, the refusal of
// private targets, disabling after the retry window, and who sees which endpoints.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

class WebhooksTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(GetParam());
    ASSERT_FALSE(db_.url.empty());
    data_ = TempDir("pc-webhooks-data");
    AddUser(db_.url, "admin@acme.example", "org_admin", "Acme");
    AddUser(db_.url, "dev@acme.example", "org_member", "Acme");
    AddUser(db_.url, "admin@globex.example", "org_admin", "Globex");
    AddUser(db_.url, "ops@partner.example", "operator", "Partner Operations", "partner");
  }

  // `serve` on the test database; `sets` are --set key=value.
  void Start(std::vector<std::string> sets) {
    server_ = std::make_unique<ServerProcess>();
    std::vector<std::string> args = {"serve",
                                     "--database",
                                     db_.url,
                                     "--set",
                                     "security.secret_key_file=" + data_ + "/secret.key",
                                     "--set",
                                     "jobs.instance_file=" + data_ + "/instance.id"};
    for (const auto& s : sets) args.insert(args.end(), {"--set", s});
    server_->Start(args);
  }
  std::string Url(const std::string& path) const { return server_->BaseUrl() + path; }

  // A bearer token per user (signed in once: sessions outlive a restart of the service).
  std::vector<std::string> Auth(const std::string& email) {
    auto& h = sessions_[email];
    if (h.empty()) {
      Session s = Login(server_->BaseUrl(), email);
      h = s.Bearer();
      h.push_back("Content-Type: application/json");
    }
    return h;
  }

  // Creates an endpoint as Acme's admin; returns its JSON (with the secret).
  json::object CreateEndpoint(const std::string& url, const std::string& events) {
    auto r = Http("POST", Url("/api/v1/webhooks"),
                  R"({"url":")" + url + R"(","events":)" + events + R"(,"description":"test"})",
                  Auth("admin@acme.example"));
    EXPECT_EQ(r.status, 201) << r.body;
    return Json(r.body).as_object();
  }

  std::string SendTest(const std::string& id) {
    auto r = Http("POST", Url("/api/v1/webhooks/" + id + "/test"), "", Auth("admin@acme.example"));
    EXPECT_EQ(r.status, 202) << r.body;
    return Str(Json(r.body).at("deliveryId"));
  }

  std::vector<json::object> Deliveries(const std::string& id) {
    auto r = Http("GET", Url("/api/v1/webhooks/" + id + "/deliveries?limit=500"), "",
                  Auth("admin@acme.example"));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<json::object> out;
    json::value answer = Json(r.body);
    if (!answer.is_object()) return out;
    for (const auto& d : answer.at("items").as_array()) out.push_back(d.as_object());
    return out;
  }

  TestDatabase db_;
  std::string data_;
  std::unique_ptr<ServerProcess> server_;
  std::map<std::string, std::vector<std::string>> sessions_;
};

TEST_P(WebhooksTest, SignaturesVerifyWithAnIndependentImplementation) {
  WebhookReceiver receiver;
  Start({"webhooks.allow_http_loopback=true"});
  auto endpoint = CreateEndpoint(receiver.Url(), R"(["ticket.updated"])");
  std::string id = Str(endpoint.at("id"));
  std::string secret = Str(endpoint.at("secret"));
  ASSERT_TRUE(secret.starts_with("whsec_")) << secret;
  receiver.Control("secret", secret);

  std::string delivery = SendTest(id);
  ASSERT_TRUE(WaitUntil([&] { return receiver.Requests().size() == 1; }, std::chrono::seconds(30)));
  auto got = receiver.Requests()[0];
  EXPECT_TRUE(got.at("verified").as_bool()) << json::serialize(got);
  EXPECT_TRUE(Str(got.at("id")).starts_with("msg_"));
  auto body = Json(Str(got.at("body"))).as_object();
  EXPECT_EQ(Str(body.at("type")), "webhook.test");
  EXPECT_EQ(Str(body.at("data").at("endpointId")), id);
  // A wrong secret does not verify: the receiver's check is a real one.
  receiver.Control("secret",
                   "whsec_" + std::string("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="));
  SendTest(id);
  ASSERT_TRUE(WaitUntil([&] { return receiver.Requests().size() == 2; }, std::chrono::seconds(30)));
  EXPECT_FALSE(receiver.Requests()[1].at("verified").as_bool());

  // The log shows the delivery and its answer.
  ASSERT_TRUE(WaitUntil([&] {
    for (const auto& d : Deliveries(id)) {
      if (Str(d.at("id")) == delivery) return Str(d.at("status")) == "delivered";
    }
    return false;
  }));
  for (const auto& d : Deliveries(id)) {
    if (Str(d.at("id")) != delivery) continue;
    EXPECT_EQ(d.at("attempts").as_int64(), 1);
    EXPECT_EQ(d.at("lastStatusCode").as_int64(), 200);
    EXPECT_TRUE(d.at("lastLatencyMs").is_int64());
    EXPECT_EQ(Str(d.at("type")), "webhook.test");
  }
  // The secret is shown once: not in later answers, not in the database in clear.
  auto again = Http("GET", Url("/api/v1/webhooks/" + id), "", Auth("admin@acme.example"));
  EXPECT_EQ(again.body.find("whsec_"), std::string::npos) << again.body;
  auto list = Http("GET", Url("/api/v1/webhooks"), "", Auth("admin@acme.example"));
  EXPECT_EQ(list.body.find("whsec_"), std::string::npos) << list.body;
  EXPECT_EQ(db_.DumpAllRows().find(secret.substr(6)), std::string::npos);
}

TEST_P(WebhooksTest, AReceiverFailingThreeTimesGetsTheEventExactlyOnceMore) {
  WebhookReceiver receiver;
  Start({"webhooks.allow_http_loopback=true", "webhooks.retry_base_ms=100"});
  auto endpoint = CreateEndpoint(receiver.Url(), R"(["ticket.updated"])");
  std::string id = Str(endpoint.at("id"));
  receiver.Control("secret", Str(endpoint.at("secret")));
  receiver.Control("fail", "3");
  std::string first = SendTest(id);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto d = Deliveries(id);
        return !d.empty() && Str(d[0].at("status")) == "delivered";
      },
      std::chrono::seconds(60)));
  auto d = Deliveries(id);
  EXPECT_EQ(d[0].at("attempts").as_int64(), 4);
  EXPECT_EQ(d[0].at("lastStatusCode").as_int64(), 200);
  // A second event delivered after it: by then the first was not sent again.
  SendTest(id);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto all = Deliveries(id);
        return all.size() == 2 && Str(all[0].at("status")) == "delivered";
      },
      std::chrono::seconds(30)));
  auto requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 5u);
  std::string message = Str(requests[0].at("id"));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Str(requests[i].at("id")), message) << "retries carry the same webhook-id";
    EXPECT_EQ(requests[i].at("status").as_int64(), i < 3 ? 500 : 200);
    EXPECT_TRUE(requests[i].at("verified").as_bool());
  }
  EXPECT_NE(Str(requests[4].at("id")), message);
}

TEST_P(WebhooksTest, SigkillDuringDeliveriesLosesNone) {
  WebhookReceiver receiver;
  receiver.Control("delay", "150");
  std::vector<std::string> sets = {"webhooks.allow_http_loopback=true",
                                   "webhooks.retry_base_ms=200", "webhooks.delivery_threads=2"};
  Start(sets);
  auto endpoint = CreateEndpoint(receiver.Url(), R"(["ticket.updated"])");
  std::string id = Str(endpoint.at("id"));
  receiver.Control("secret", Str(endpoint.at("secret")));
  constexpr size_t kEvents = 30;
  for (size_t i = 0; i < kEvents; ++i) SendTest(id);
  // Killed while deliveries are in flight: some received, most not.
  ASSERT_TRUE(WaitUntil([&] { return receiver.Requests().size() >= 4; }, std::chrono::seconds(30)));
  server_->Signal(SIGKILL);
  server_->Wait();
  size_t before = receiver.Requests().size();
  EXPECT_LT(before, kEvents) << "the kill came too late to show anything";
  Start(sets);
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::set<std::string> ids;
        for (const auto& r : receiver.Requests()) ids.insert(Str(r.at("id")));
        return ids.size() == kEvents;
      },
      std::chrono::seconds(90)))
      << receiver.Requests().size() << " requests";
  ASSERT_TRUE(WaitUntil([&] {
    auto all = Deliveries(id);
    return all.size() == kEvents && std::all_of(all.begin(), all.end(), [](const auto& d) {
             return Str(d.at("status")) == "delivered";
           });
  }));
  for (const auto& r : receiver.Requests()) EXPECT_TRUE(r.at("verified").as_bool());
  std::cout << "[ killed   ] after " << before << " of " << kEvents << " received; "
            << receiver.Requests().size() << " requests in all\n";
}

TEST_P(WebhooksTest, PrivateAndLoopbackTargetsAreRefusedByDefault) {
  Start({});
  auto auth = Auth("admin@acme.example");
  for (const std::string url :
       {"https://127.0.0.1/hooks", "https://10.0.0.1/hooks", "https://[::1]/hooks",
        "https://169.254.169.254/latest", "https://[::ffff:10.0.0.1]/x", "https://localhost/x",
        "http://hooks.example.com/x"}) {
    auto r = Http("POST", Url("/api/v1/webhooks"),
                  R"({"url":")" + url + R"(","events":["provider.ready"]})", auth);
    EXPECT_EQ(r.status, 400) << url << ": " << r.body;
    EXPECT_NE(r.body.find("url"), std::string::npos) << r.body;
  }
  auto ok = Http("POST", Url("/api/v1/webhooks"),
                 R"({"url":"https://hooks.example.com/in","events":["provider.ready"]})", auth);
  EXPECT_EQ(ok.status, 201) << ok.body;
  auto bad = Http("POST", Url("/api/v1/webhooks"),
                  R"({"url":"https://hooks.example.com/in","events":["provider.readyy"]})", auth);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("provider.readyy"), std::string::npos) << bad.body;
}

TEST_P(WebhooksTest, AnEndpointAlreadyCreatedIsRefusedAtDeliveryWhenItsAddressIsNotAllowed) {
  WebhookReceiver receiver;
  // Created while the configuration allowed it (10.0.0.1 and loopback), then delivered under the
  // defaults: never connected, the delivery log says why.
  Start({"webhooks.allow_http_loopback=true", "webhooks.allow_networks=10.0.0.0/8"});
  std::string loopback = Str(CreateEndpoint(receiver.Url(), R"(["ticket.updated"])").at("id"));
  std::string private_net =
      Str(CreateEndpoint("https://10.0.0.1:9/hooks", R"(["ticket.updated"])").at("id"));
  server_->Signal(SIGTERM);
  server_->Wait();
  Start({"webhooks.retry_base_ms=60000"});
  SendTest(loopback);
  SendTest(private_net);
  auto last_error = [&](const std::string& id) -> std::string {
    auto d = Deliveries(id);
    return d.empty() || d[0].at("lastError").is_null() ? "" : Str(d[0].at("lastError"));
  };
  ASSERT_TRUE(WaitUntil([&] { return !last_error(loopback).empty(); }));
  EXPECT_NE(last_error(loopback).find("http is not allowed"), std::string::npos)
      << last_error(loopback);
  ASSERT_TRUE(WaitUntil([&] { return !last_error(private_net).empty(); }));
  EXPECT_NE(last_error(private_net).find("10.0.0.1 refused (private)"), std::string::npos)
      << last_error(private_net);
  EXPECT_EQ(Str(Deliveries(private_net)[0].at("status")), "retrying");
  EXPECT_TRUE(receiver.Requests().empty());
}

TEST_P(WebhooksTest, AfterTheRetryWindowTheEndpointIsDisabledAndTheAdminsTold) {
  WebhookReceiver receiver;
  Start({"webhooks.allow_http_loopback=true", "webhooks.retry_base_ms=100",
         "webhooks.retry_window_seconds=2"});
  auto endpoint = CreateEndpoint(receiver.Url(), R"(["ticket.updated"])");
  std::string id = Str(endpoint.at("id"));
  receiver.Control("fail", "1000000");
  SendTest(id);
  auto get = [&] {
    return Json(Http("GET", Url("/api/v1/webhooks/" + id), "", Auth("admin@acme.example")).body)
        .as_object();
  };
  ASSERT_TRUE(WaitUntil([&] { return !get().at("enabled").as_bool(); }, std::chrono::seconds(30)));
  EXPECT_NE(Str(get().at("disabledReason")).find("HTTP 500"), std::string::npos)
      << Str(get().at("disabledReason"));
  EXPECT_EQ(Str(Deliveries(id)[0].at("status")), "failed");
  auto store = store::Database::Open(db_.url);
  ASSERT_TRUE(store.ok());
  auto emails = (*store)->InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query(
        "SELECT to_address, body FROM outbox_emails WHERE subject = 'Webhook endpoint disabled'");
  });
  ASSERT_TRUE(emails.ok());
  ASSERT_EQ(emails->size(), 1u);  // the one admin; not the member
  EXPECT_EQ((*emails)[0].Text("to_address"), "admin@acme.example");
  EXPECT_NE((*emails)[0].Text("body").find(receiver.Url()), std::string::npos);

  // An event while disabled waits; re-enabled, it is sent.
  size_t received = receiver.Requests().size();
  std::string waiting = SendTest(id);
  receiver.Control("fail", "0");
  auto r = Http("PATCH", Url("/api/v1/webhooks/" + id), R"({"enabled":true})",
                Auth("admin@acme.example"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Json(r.body).at("enabled").as_bool());
  EXPECT_TRUE(Json(r.body).at("disabledReason").is_null());
  ASSERT_TRUE(WaitUntil([&] {
    for (const auto& d : Deliveries(id)) {
      if (Str(d.at("id")) == waiting) return Str(d.at("status")) == "delivered";
    }
    return false;
  }));
  EXPECT_EQ(receiver.Requests().size(), received + 1);
}

TEST_P(WebhooksTest, EndpointsOfOneOrganizationAreInvisibleToAnother) {
  Start({});
  auto acme = Auth("admin@acme.example");
  auto created = Http("POST", Url("/api/v1/webhooks"),
                      R"({"url":"https://hooks.example.com/a","events":["provider.ready"]})", acme);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = Str(Json(created.body).at("id"));

  auto globex = Auth("admin@globex.example");
  auto list = Http("GET", Url("/api/v1/webhooks"), "", globex);
  EXPECT_EQ(list.status, 200);
  EXPECT_TRUE(Json(list.body).at("items").as_array().empty()) << list.body;
  EXPECT_EQ(Http("GET", Url("/api/v1/webhooks/" + id), "", globex).status, 404);
  EXPECT_EQ(Http("GET", Url("/api/v1/webhooks/" + id + "/deliveries"), "", globex).status, 404);
  EXPECT_EQ(Http("POST", Url("/api/v1/webhooks/" + id + "/test"), "", globex).status, 404);
  EXPECT_EQ(Http("PATCH", Url("/api/v1/webhooks/" + id), R"({"enabled":false})", globex).status,
            404);
  EXPECT_EQ(Http("DELETE", Url("/api/v1/webhooks/" + id), "", globex).status, 404);
  auto other = Http(
      "GET", Url("/api/v1/webhooks?organizationId=" + Str(Json(created.body).at("organizationId"))),
      "", globex);
  EXPECT_TRUE(Json(other.body).at("items").as_array().empty()) << other.body;

  // Members read their organization's, do not manage; operators read all, do not manage.
  auto dev = Auth("dev@acme.example");
  EXPECT_EQ(Json(Http("GET", Url("/api/v1/webhooks"), "", dev).body).at("items").as_array().size(),
            1u);
  EXPECT_EQ(Http("POST", Url("/api/v1/webhooks"),
                 R"({"url":"https://hooks.example.com/b","events":["provider.ready"]})", dev)
                .status,
            403);
  EXPECT_EQ(Http("DELETE", Url("/api/v1/webhooks/" + id), "", dev).status, 403);
  auto ops = Auth("ops@partner.example");
  EXPECT_EQ(Json(Http("GET", Url("/api/v1/webhooks"), "", ops).body).at("items").as_array().size(),
            1u);
  EXPECT_EQ(Http("POST", Url("/api/v1/webhooks/" + id + "/test"), "", ops).status, 403);
  EXPECT_EQ(Http("GET", Url("/api/v1/webhooks"), "").status, 401);

  EXPECT_EQ(Http("DELETE", Url("/api/v1/webhooks/" + id), "", acme).status, 204);
  EXPECT_EQ(Http("GET", Url("/api/v1/webhooks/" + id), "", acme).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhooksTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace pc::test
