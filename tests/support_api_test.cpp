// End-to-end tests of the support desk API (/api/v1/support/...) against a real `partnercloud
// serve` on SQLite and PostgreSQL: every endpoint, and who may use it — customers see only their
// organization's tickets and never internal notes; only staff change tickets and escalate; only
// operators approve, edit rules and templates, and replay quarantined mail.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/time.h"
#include "tests/harness.h"
#include "tests/support_fixtures.h"

namespace pc::test {
namespace {

namespace json = boost::json;

class SupportApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(GetParam());
    ASSERT_FALSE(db_.url.empty());
    AddSupportUsers(db_.url);
    MakeCspCustomer(db_.url, "Acme", "ACME", "admin@acme.example");
    dir_ = TempDir("pc-support-api");
    server_.Start({"serve", "--database", db_.url, "--set",
                   "security.secret_key_file=" + dir_ + "/secret.key", "--set",
                   "support.max_auto_replies_per_hour=3",
                   // No upstream answers here (port 9 is closed): escalation cannot reach
                   // Partner Center, whatever else runs on this machine.
                   "--set", "upstream.sandbox_url=http://127.0.0.1:9"});
    acme_ = Login(server_.BaseUrl(), "admin@acme.example").Bearer();
    dev_ = Login(server_.BaseUrl(), "dev@acme.example").Bearer();
    brit_ = Login(server_.BaseUrl(), "admin@brit.example").Bearer();
    agent_ = Login(server_.BaseUrl(), "agent@partner.example").Bearer();
    ops_ = Login(server_.BaseUrl(), "ops@partner.example").Bearer();
  }

  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::vector<std::string>& auth, const std::string& body = "") {
    std::vector<std::string> headers = auth;
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    return Http(method, server_.BaseUrl() + "/api/v1/support" + path, body, headers);
  }

  // Opens a ticket; `extra` is more JSON members (e.g. "\"request\":{...}").
  json::value Open(const std::vector<std::string>& auth, const std::string& subject,
                   const std::string& text, const std::string& extra = "") {
    std::string body = json::serialize(json::object{{"subject", subject}, {"text", text}});
    if (!extra.empty()) body = body.substr(0, body.size() - 1) + "," + extra + "}";
    auto res = Call("POST", "/tickets", auth, body);
    EXPECT_EQ(res.status, 201) << res.body;
    return Json(res.body);
  }

  static std::string Kinds(const json::value& ticket) {
    std::string out;
    for (const auto& m : ticket.at("messages").as_array()) {
      out += std::string(m.at("kind").as_string()) + " ";
    }
    return out;
  }

  TestDatabase db_;
  std::string dir_;
  ServerProcess server_;
  std::vector<std::string> acme_, dev_, brit_, agent_, ops_;
};

TEST_P(SupportApiTest, EveryEndpointNeedsASignedInUser) {
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/tickets"},
                                                        {"POST", "/tickets"},
                                                        {"GET", "/tickets/T-1001"},
                                                        {"PATCH", "/tickets/T-1001"},
                                                        {"POST", "/tickets/T-1001/messages"},
                                                        {"POST", "/tickets/T-1001/escalate"},
                                                        {"POST", "/tickets/T-1001/approve"},
                                                        {"POST", "/tickets/T-1001/reject"},
                                                        {"GET", "/topics"},
                                                        {"GET", "/attachments/x"},
                                                        {"GET", "/quarantine"},
                                                        {"POST", "/quarantine/x/replay"},
                                                        {"GET", "/rules"},
                                                        {"PUT", "/rules"},
                                                        {"GET", "/templates"},
                                                        {"PUT", "/templates"}}) {
    auto res = Call(method, path, {}, method == "GET" ? "" : "{}");
    EXPECT_EQ(res.status, 401) << method << " " << path << ": " << res.body;
  }
}

TEST_P(SupportApiTest, TopicsAreTheScopeTable) {
  auto res = Call("GET", "/topics", dev_);
  ASSERT_EQ(res.status, 200) << res.body;
  auto doc = Json(res.body);
  const auto& items = doc.at("items").as_array();
  ASSERT_EQ(items.size(), 18u);
  EXPECT_EQ(items[0].at("id").as_string(), "portal-users");
  EXPECT_EQ(items[12].at("id").as_string(), "terms");
  EXPECT_EQ(items[17].at("id").as_string(), "managed-os");
  EXPECT_EQ(items[17].at("scope").as_string(), "out");
  EXPECT_EQ(items[7].at("tier").as_string(), "microsoft");
}

TEST_P(SupportApiTest, CustomersSeeOnlyTheirOrganizationsTickets) {
  auto mine = Open(acme_, "Invoice question", "Our invoice for last month looks too high.");
  std::string id(mine.at("id").as_string());
  EXPECT_EQ(mine.at("scope").as_string(), "in");
  EXPECT_EQ(mine.at("topic").as_string(), "billing");
  EXPECT_EQ(mine.at("status").as_string(), "new");
  EXPECT_EQ(mine.at("classification").at("by").as_string(), "rule");
  EXPECT_EQ(mine.at("billingAlias").as_string(), "ACME");
  EXPECT_EQ(mine.at("organizationName").as_string(), "Acme");
  EXPECT_FALSE(mine.at("sla").at("firstResponseDueAt").is_null());
  // A colleague of the same organization sees it; another organization does not.
  EXPECT_EQ(Call("GET", "/tickets/" + id, dev_).status, 200);
  auto other = Call("GET", "/tickets/" + id, brit_);
  EXPECT_EQ(other.status, 404) << other.body;
  auto brit_list = Json(Call("GET", "/tickets", brit_).body);
  for (const auto& t : brit_list.at("items").as_array()) EXPECT_NE(t.at("id").as_string(), id);
  EXPECT_EQ(Call("POST", "/tickets/" + id + "/messages", brit_, R"({"text":"me too"})").status,
            404);
  // Staff see every ticket.
  auto queue = Json(Call("GET", "/tickets?scope=in&status=new", agent_).body);
  bool found = false;
  for (const auto& t : queue.at("items").as_array()) found |= t.at("id").as_string() == id;
  EXPECT_TRUE(found);
  // The list view has no messages; the single view has them.
  EXPECT_FALSE(queue.at("items").as_array()[0].as_object().contains("messages"));
  EXPECT_EQ(Json(Call("GET", "/tickets/" + id, agent_).body).at("messages").as_array().size(), 1u);
  // Bad filters are refused with a reason.
  auto bad = Call("GET", "/tickets?status=pending", agent_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("waiting-on-customer"), std::string::npos);
  EXPECT_EQ(Call("GET", "/tickets?topic=nope", agent_).status, 400);
  EXPECT_EQ(Call("GET", "/tickets?limit=0", agent_).status, 400);
  EXPECT_EQ(Call("GET", "/tickets/T-999999", agent_).status, 404);
}

TEST_P(SupportApiTest, NonCustomersAndOutOfScopeGetTheAutomaticAnswer) {
  // Britannia has no Azure customer account of the platform.
  auto brit = Open(brit_, "Help with our VM", "Our virtual machine does not start.");
  EXPECT_EQ(brit.at("scope").as_string(), "not-customer");
  EXPECT_EQ(Kinds(brit), "in out ");
  std::string answer(brit.at("messages").as_array()[1].at("text").as_string());
  EXPECT_NE(answer.find("customers of our Azure (CSP) accounts"), std::string::npos) << answer;
  EXPECT_TRUE(brit.at("messages").as_array()[1].at("autoReply").as_bool());

  auto managed = Open(acme_, "OS support", "Can you provide managed OS support for our servers?");
  EXPECT_EQ(managed.at("scope").as_string(), "out");
  EXPECT_EQ(managed.at("topic").as_string(), "managed-os");
  std::string text(managed.at("messages").as_array()[1].at("text").as_string());
  EXPECT_NE(text.find("Managed Operating System support is not available for Azure"),
            std::string::npos);
  EXPECT_NE(text.find("Azure billing"), std::string::npos) << "quotes the scope: " << text;

  auto patch = Open(acme_, "Patching", "Please apply patches to our VMs every month.");
  EXPECT_EQ(patch.at("scope").as_string(), "out");
  EXPECT_EQ(patch.at("topic").as_string(), "patching");
  // In scope: no automatic answer.
  auto in = Open(acme_, "Outage?", "Is there an outage in West Europe?");
  EXPECT_EQ(in.at("topic").as_string(), "service-availability");
  EXPECT_EQ(Kinds(in), "in ");

  // The answers are queued as emails with Auto-Submitted and threading headers.
  auto db = store::Database::Open(db_.url);
  ASSERT_TRUE(db.ok());
  auto rows = (*db)->InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query("SELECT to_address, subject, headers FROM outbox_emails ORDER BY created_at");
  });
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].Text(0), "admin@brit.example");
  EXPECT_NE((*rows)[0].Text(1).find("[#" + std::string(brit.at("id").as_string()) + "]"),
            std::string::npos);
  auto headers = Json((*rows)[0].Text(2));
  EXPECT_EQ(headers.at("Auto-Submitted").as_string(), "auto-replied");
  EXPECT_NE(std::string(headers.at("Reply-To").as_string()).find("support+"), std::string::npos);
  EXPECT_NE(std::string(headers.at("In-Reply-To").as_string()).find("@"), std::string::npos);
}

TEST_P(SupportApiTest, AutomaticAnswersAreBoundedPerSender) {
  // support.max_auto_replies_per_hour=3: the fourth out-of-scope request gets its answer in the
  // conversation but no further email.
  for (int i = 0; i < 5; ++i) Open(brit_, "Hello " + std::to_string(i), "Is this supported?");
  auto db = store::Database::Open(db_.url);
  ASSERT_TRUE(db.ok());
  auto rows = (*db)->InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM outbox_emails WHERE to_address = 'admin@brit.example'");
  });
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), 3);
}

TEST_P(SupportApiTest, RepliesNotesAndWhoSeesThem) {
  auto t = Open(acme_, "VM does not boot", "After resizing, our VM does not boot.");
  std::string id(t.at("id").as_string());
  // Customers cannot write internal notes.
  auto sneaky =
      Call("POST", "/tickets/" + id + "/messages", acme_, R"({"text":"note","internal":true})");
  EXPECT_EQ(sneaky.status, 403) << sneaky.body;
  auto note = Call("POST", "/tickets/" + id + "/messages", agent_,
                   R"({"text":"Looks like a disk issue","internal":true})");
  ASSERT_EQ(note.status, 201) << note.body;
  EXPECT_EQ(Json(note.body).at("kind").as_string(), "note");
  auto reply = Call("POST", "/tickets/" + id + "/messages", agent_,
                    R"({"text":"Please send the VM name."})");
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(Json(reply.body).at("kind").as_string(), "out");
  auto customer_view = Json(Call("GET", "/tickets/" + id, acme_).body);
  EXPECT_EQ(customer_view.at("status").as_string(), "open");
  EXPECT_FALSE(customer_view.at("firstResponseAt").is_null());
  EXPECT_EQ(Kinds(customer_view), "in out event ") << "customers never see notes";
  auto staff_view = Json(Call("GET", "/tickets/" + id, agent_).body);
  EXPECT_EQ(Kinds(staff_view), "in note out event ");
  // The customer answers; empty or unknown fields are refused with a reason.
  EXPECT_EQ(Call("POST", "/tickets/" + id + "/messages", dev_, R"({"text":"vm-web-01"})").status,
            201);
  auto empty = Call("POST", "/tickets/" + id + "/messages", dev_, R"({"text":""})");
  EXPECT_EQ(empty.status, 400);
  EXPECT_NE(empty.body.find("text"), std::string::npos);
  EXPECT_EQ(Call("POST", "/tickets/" + id + "/messages", dev_, R"({"txt":"x"})").status, 400);
  EXPECT_EQ(Call("POST", "/tickets/" + id + "/messages", dev_, "not json").status, 400);
}

TEST_P(SupportApiTest, OnlyStaffChangeTicketsAndCorrectionsAreRecorded) {
  auto t = Open(acme_, "Question", "Something about our account is odd.");
  std::string id(t.at("id").as_string());
  auto denied = Call("PATCH", "/tickets/" + id, acme_, R"({"status":"closed"})");
  EXPECT_EQ(denied.status, 403) << denied.body;
  auto bad = Call("PATCH", "/tickets/" + id, agent_, R"({"status":"done"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Call("PATCH", "/tickets/" + id, agent_, R"({"topic":"nope"})").status, 400);
  EXPECT_EQ(Call("PATCH", "/tickets/" + id, agent_, R"({})").status, 400);
  EXPECT_EQ(Call("PATCH", "/tickets/" + id, agent_, R"({"assignee":"dev@acme.example"})").status,
            400)
      << "only staff are assignees";
  auto fixed = Call("PATCH", "/tickets/" + id, agent_,
                    R"({"topic":"subscription-management","assignee":"agent@partner.example",)"
                    R"("status":"waiting-on-customer"})");
  ASSERT_EQ(fixed.status, 200) << fixed.body;
  auto v = Json(fixed.body);
  EXPECT_EQ(v.at("topic").as_string(), "subscription-management");
  EXPECT_EQ(v.at("classification").at("by").as_string(), "agent");
  EXPECT_NE(std::string(v.at("classification").at("reason").as_string()).find("agent@partner"),
            std::string::npos);
  EXPECT_EQ(v.at("assignee").as_string(), "agent@partner.example");
  EXPECT_EQ(v.at("status").as_string(), "waiting-on-customer");
  EXPECT_TRUE(v.at("sla").at("paused").as_bool());
  auto mine = Json(Call("GET", "/tickets?assignee=agent@partner.example", agent_).body);
  ASSERT_EQ(mine.at("items").as_array().size(), 1u);
  // The customer's answer reopens it; unassigning with null.
  Call("POST", "/tickets/" + id + "/messages", acme_, R"({"text":"Here you are"})");
  auto after = Json(Call("GET", "/tickets/" + id, agent_).body);
  EXPECT_EQ(after.at("status").as_string(), "open");
  EXPECT_FALSE(after.at("sla").at("paused").as_bool());
  auto unassigned = Call("PATCH", "/tickets/" + id, ops_, R"({"assignee":null})");
  ASSERT_EQ(unassigned.status, 200);
  EXPECT_TRUE(Json(unassigned.body).at("assignee").is_null());
}

TEST_P(SupportApiTest, OnlyStaffEscalate) {
  auto t = Open(acme_, "Case for Microsoft", "Our storage account returns errors.");
  std::string id(t.at("id").as_string());
  auto denied = Call("POST", "/tickets/" + id + "/escalate", acme_, R"({"note":"please"})");
  EXPECT_EQ(denied.status, 403) << denied.body;
  auto staff = Call("POST", "/tickets/" + id + "/escalate", agent_, R"({"note":"see logs"})");
  EXPECT_NE(staff.status, 403) << staff.body;
  // This test runs without a sandbox: Partner Center cannot be reached, so the agent is told so
  // (503) and the ticket is not marked escalated (support_flows_test covers the round trip).
  EXPECT_EQ(staff.status, 503) << staff.body;
  EXPECT_NE(staff.body.find("Couldn't connect"), std::string::npos) << staff.body;
  auto after = Call("GET", "/tickets/" + id, agent_);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_NE(Json(after.body).at("status").as_string(), "escalated") << after.body;
  auto out = Open(brit_, "x", "Is this supported?");
  auto refused =
      Call("POST", "/tickets/" + std::string(out.at("id").as_string()) + "/escalate", agent_, "");
  EXPECT_EQ(refused.status, 409) << "a not-customer ticket is not escalated: " << refused.body;
}

TEST_P(SupportApiTest, OnlyOperatorsApproveOrRejectPendingRequests) {
  auto t = Open(acme_, "Detailed billing report", "Please send the detailed report.",
                R"("request":{"kind":"billing-report","month":"2026-10"})");
  std::string id(t.at("id").as_string());
  EXPECT_EQ(t.at("request").at("kind").as_string(), "billing-report");
  EXPECT_EQ(t.at("request").at("state").as_string(), "pending-approval");
  EXPECT_EQ(t.at("request").at("details").at("month").as_string(), "2026-10");
  EXPECT_EQ(t.at("topic").as_string(), "billing");
  EXPECT_EQ(Call("POST", "/tickets/" + id + "/approve", acme_).status, 403);
  EXPECT_EQ(Call("POST", "/tickets/" + id + "/approve", agent_).status, 403);
  auto approved = Call("POST", "/tickets/" + id + "/approve", ops_);
  ASSERT_EQ(approved.status, 200) << approved.body;
  auto state = std::string(Json(approved.body).at("request").at("state").as_string());
  EXPECT_NE(state, "pending-approval");
  EXPECT_EQ(Json(approved.body).at("request").at("decidedBy").as_string(), "ops@partner.example");
  auto again = Call("POST", "/tickets/" + id + "/approve", ops_);
  EXPECT_EQ(again.status, 409) << again.body;

  auto other = Open(acme_, "Close the account", "We are leaving.",
                    R"("request":{"kind":"close-account","firstName":"Ada","lastName":"Admin",)"
                    R"("company":"Acme","reason":"moving"})");
  std::string other_id(other.at("id").as_string());
  EXPECT_EQ(Call("POST", "/tickets/" + other_id + "/reject", agent_, R"({"reason":"no"})").status,
            403);
  EXPECT_EQ(Call("POST", "/tickets/" + other_id + "/reject", ops_, R"({})").status, 400);
  auto rejected = Call("POST", "/tickets/" + other_id + "/reject", ops_,
                       R"({"reason":"Please ask your account admin to send it."})");
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(Json(rejected.body).at("request").at("state").as_string(), "rejected");
  // A ticket without a request cannot be approved; a bad kind is refused.
  auto plain = Open(acme_, "Plain", "Nothing structured.");
  EXPECT_EQ(
      Call("POST", "/tickets/" + std::string(plain.at("id").as_string()) + "/approve", ops_).status,
      409);
  auto bad =
      Call("POST", "/tickets", acme_, R"({"subject":"x","text":"y","request":{"kind":"pizza"}})");
  EXPECT_EQ(bad.status, 400);
  // Britannia is no CSP customer: no structured requests.
  auto brit = Call("POST", "/tickets", brit_,
                   R"({"subject":"x","text":"y","request":{"kind":"billing-report"}})");
  EXPECT_EQ(brit.status, 409) << brit.body;
}

TEST_P(SupportApiTest, OnlyOperatorsEditRulesAndTemplates) {
  EXPECT_EQ(Call("GET", "/rules", agent_).status, 403);
  EXPECT_EQ(Call("GET", "/templates", acme_).status, 403);
  auto rules = Call("GET", "/rules", ops_);
  ASSERT_EQ(rules.status, 200) << rules.body;
  auto doc = Json(rules.body);
  ASSERT_FALSE(doc.at("rules").as_array().empty());
  // A rule for a word the shipped rules do not know.
  doc.as_object()["rules"].as_array().insert(
      doc.as_object()["rules"].as_array().begin(),
      json::object{{"id", "kb-faq"}, {"topic", "knowledge-base"}, {"any", json::array{"faq"}}});
  EXPECT_EQ(Call("PUT", "/rules", agent_, json::serialize(doc)).status, 403);
  auto bad = Call("PUT", "/rules", ops_, R"({"rules":[{"id":"x","topic":"pizza","any":["a"]}]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("pizza"), std::string::npos);
  ASSERT_EQ(Call("PUT", "/rules", ops_, json::serialize(doc)).status, 200);
  auto t = Open(acme_, "Where is the FAQ", "Where do I find the FAQ?");
  EXPECT_EQ(t.at("topic").as_string(), "knowledge-base");
  EXPECT_NE(std::string(t.at("classification").at("reason").as_string()).find("kb-faq"),
            std::string::npos);

  auto templates = Json(Call("GET", "/templates", ops_).body);
  templates.as_object()["not-customer"].as_object()["text"] = "Sorry {{name}}, customers only.";
  EXPECT_EQ(Call("PUT", "/templates", agent_, json::serialize(templates)).status, 403);
  EXPECT_EQ(Call("PUT", "/templates", ops_, R"({"received":{}})").status, 400);
  ASSERT_EQ(Call("PUT", "/templates", ops_, json::serialize(templates)).status, 200);
  auto brit = Open(brit_, "Hi", "Can you help?");
  EXPECT_EQ(brit.at("messages").as_array()[1].at("text").as_string(),
            "Sorry admin@brit.example, customers only.");
}

TEST_P(SupportApiTest, QuarantineAndAttachmentsAreGuarded) {
  EXPECT_EQ(Call("GET", "/quarantine", acme_).status, 403);
  auto list = Call("GET", "/quarantine", agent_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(Json(list.body).at("items").as_array().empty());
  EXPECT_EQ(Call("POST", "/quarantine/nope/replay", agent_).status, 403);
  EXPECT_EQ(Call("POST", "/quarantine/nope/replay", ops_).status, 404);
  EXPECT_EQ(Call("GET", "/attachments/nope", acme_).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, SupportApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace pc::test
