// End-to-end tests of governance (/api/v1/governance/...): the real `partnercloud serve` against
// the real sandbox over HTTP, on SQLite and PostgreSQL. Customer subscriptions are onboarded
// through the API; the sandbox's ARM is read and changed only through its HTTP API (as another
// principal of the customer tenant would) and its control API.
//  - publishing a version that adds Microsoft.Sql/servers converges every subscription and the
//    sandbox then allows a Sql server; removing it denies it again; unrestricted for one alias
//    removes that alias's policy only; a permit-service request adds a type for one alias;
//  - a deleted policy assignment and an edited custom role are restored by the next reconcile,
//    each audited and mailed to operators once;
//  - only operators publish, grant exceptions or reconcile; customers read only their own;
//  - 200 subscriptions converge under 20% ARM 429s with Retry-After and 3 SIGKILLs, with no
//    duplicate assignment and the ARM rate never above the configured bucket.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "store/store.h"
#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;

const std::string kSql = "Microsoft.Sql/servers";
const std::string kClientId = "22222222-2222-4222-8222-222222222222";

bool Contains(const json::value& array, const std::string& s) {
  if (!array.is_array()) return false;
  for (const auto& v : array.as_array()) {
    if (v.is_string() && v.as_string() == s) return true;
  }
  return false;
}

int64_t Count(const std::string& url, const std::string& sql,
              const std::vector<store::Param>& params = {}) {
  auto db = store::Database::Open(url);
  if (!db.ok()) return -1;
  auto n = (*db)->InTransaction<int64_t>([&](store::Transaction& tx) -> Result<int64_t> {
    PC_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
    return rows.empty() ? 0 : rows[0].Int(0);
  });
  return n.ok() ? *n : -1;
}

// A sandbox, a database and the service, with a customer (Acme, its CLC aliases), another
// customer (Globex, no Azure account), an operator and a support agent.
class World {
 public:
  explicit World(Backend backend, std::vector<std::string> extra = {}) {
    sandbox.Start({"sandbox"});
    db = MakeDatabase(backend);
    dir = TempDir("pc-governance");
    AddUser(db.url, "admin@acme.example", "org_admin", "Acme");
    AddUser(db.url, "admin@globex.example", "org_admin", "Globex");
    AddUser(db.url, "ops@partner.example", "operator", "Partner Operations", "partner");
    AddUser(db.url, "agent@partner.example", "support_agent", "Partner Operations", "partner");
    args = {"serve",
            "--database",
            db.url,
            "--set",
            "upstream.sandbox_url=" + sandbox.BaseUrl(),
            "--set",
            "security.secret_key_file=" + dir + "/secret.key",
            "--set",
            "upstream.partner_center_requests_per_minute=100000",
            "--set",
            "log.level=warn"};
    bool arm_rate_given = false;
    for (const auto& e : extra) arm_rate_given |= e.starts_with("upstream.arm_requests_per_minute");
    if (!arm_rate_given) {
      args.push_back("--set");
      args.push_back("upstream.arm_requests_per_minute=100000");
    }
    args.insert(args.end(), extra.begin(), extra.end());
    server = std::make_unique<ServerProcess>();
    server->Start(args);
    Relogin();
  }

  void Relogin() {
    acme = Login(server->BaseUrl(), "admin@acme.example").Bearer();
    globex = Login(server->BaseUrl(), "admin@globex.example").Bearer();
    ops = Login(server->BaseUrl(), "ops@partner.example").Bearer();
    agent = Login(server->BaseUrl(), "agent@partner.example").Bearer();
  }

  HttpResponse Api(const std::string& method, const std::string& path,
                   const std::vector<std::string>& auth, const std::string& body = "") {
    std::vector<std::string> headers = auth;
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    return Http(method, server->BaseUrl() + path, body, headers);
  }
  HttpResponse Gov(const std::string& method, const std::string& path,
                   const std::vector<std::string>& auth, const std::string& body = "") {
    return Api(method, "/api/v1/governance" + path, auth, body);
  }

  // Onboards one provider per alias (new customers) and waits until they are ready; returns
  // alias -> {customer (tenant), subscription}.
  std::map<std::string, std::pair<std::string, std::string>> Onboard(
      const std::vector<std::string>& aliases) {
    auto connected = Api("POST", "/api/v1/clc/connections", acme,
                         R"({"username":"acme.admin","password":"sandbox"})");
    EXPECT_EQ(connected.status, 201) << connected.body;
    std::string connection = Str(Json(connected.body).at("connectionId"));
    std::string template_id;
    for (int i = 0; i < 50 && template_id.empty(); ++i) {
      auto terms = Api("GET", "/api/v1/terms", acme);
      if (terms.status == 200) template_id = Str(Json(terms.body).at("microsoft").at("templateId"));
    }
    std::map<std::string, std::string> ids;
    for (const auto& alias : aliases) {
      std::string body =
          R"({"name":"p-)" + alias +
          R"(","type":"azure-resource-manager","mode":"new-customer","connectionId":")" +
          connection + R"(","billingAlias":")" + alias +
          R"(","terms":{"centurylink":"2017-01","microsoft":{"templateId":")" + template_id +
          R"(","contact":{"firstName":"Ada","lastName":"Admin","email":"ada@acme.example"}}}})";
      auto res = Api("POST", "/api/v1/providers", acme, body);
      EXPECT_EQ(res.status, 202) << res.body;
      ids[alias] = Str(Json(res.body).at("id"));
    }
    std::map<std::string, std::pair<std::string, std::string>> out;
    EXPECT_TRUE(WaitUntil(
        [&] {
          out.clear();
          for (const auto& [alias, id] : ids) {
            auto p = Api("GET", "/api/v1/providers/" + id, acme);
            if (p.status != 200) return false;
            auto j = Json(p.body);
            if (Str(j.at("state")) != "ready") return false;
            out[alias] = {Str(j.at("azure").at("customerId")),
                          Str(j.at("azure").at("subscriptionIds").at(0))};
          }
          return true;
        },
        std::chrono::seconds(180)))
        << "providers not ready";
    return out;
  }

  // An ARM token of the platform's application in `tenant` (what any principal of the tenant
  // with rights could do, the test does with it).
  std::vector<std::string> Arm(const std::string& tenant) {
    auto token = Http("POST", sandbox.BaseUrl() + "/login/" + tenant + "/oauth2/v2.0/token",
                      "grant_type=client_credentials&client_id=" + kClientId +
                          "&client_secret=sandbox-secret&scope=https%3A%2F%2Fmanagement.azure.com%"
                          "2F.default",
                      {"Content-Type: application/x-www-form-urlencoded"});
    EXPECT_EQ(token.status, 200) << token.body;
    return {"Authorization: Bearer " + Str(Json(token.body).at("access_token")),
            "Content-Type: application/json"};
  }
  long PutSqlServer(const std::string& tenant, const std::string& sub, const std::string& name) {
    auto res = Http("PUT",
                    sandbox.BaseUrl() + "/arm/subscriptions/" + sub +
                        "/resourceGroups/rg1/providers/Microsoft.Sql/servers/" + name +
                        "?api-version=2021-11-01",
                    R"({"location":"eastus","tags":{},"properties":{}})", Arm(tenant));
    return res.status;
  }

  json::value SandboxState() {
    auto res = Http("GET", sandbox.BaseUrl() + "/sandbox/control/state");
    EXPECT_EQ(res.status, 200);
    return Json(res.body);
  }
  // The sandbox's policy assignment and custom role of `sub` (null when absent).
  json::value PolicyOf(const json::value& state, const std::string& sub) {
    for (const auto& pa : state.at("policyAssignments").as_array()) {
      if (Str(pa.at("properties").at("scope")) == "/subscriptions/" + sub) return pa;
    }
    return nullptr;
  }
  json::value RoleOf(const json::value& state, const std::string& sub) {
    for (const auto& rd : state.at("roleDefinitions").as_array()) {
      if (Str(rd.at("id")).starts_with("/subscriptions/" + sub + "/")) return rd;
    }
    return nullptr;
  }

  json::value Subscription(const std::string& sub) {
    auto res = Gov("GET", "/subscriptions/" + sub, ops);
    EXPECT_EQ(res.status, 200) << res.body;
    return Json(res.body);
  }
  // Waits until every governed subscription is compliant at `version`.
  bool WaitCompliant(int64_t version, size_t n, std::chrono::seconds limit) {
    std::string last;
    bool ok = WaitUntil(
        [&] {
          auto res = Gov("GET", "/subscriptions", ops);
          if (res.status != 200) return false;
          last = res.body;
          auto items = Json(res.body).at("items").as_array();
          if (items.size() != n) return false;
          for (const auto& s : items) {
            if (Str(s.at("state")) != "compliant" || !s.at("appliedVersion").is_int64() ||
                s.at("appliedVersion").as_int64() != version || s.at("lastCheckedAt").is_null()) {
              return false;
            }
          }
          return true;
        },
        limit);
    EXPECT_TRUE(ok) << "not all compliant at version " << version << ": " << last.substr(0, 3000);
    return ok;
  }

  // A new version based on `base` with `types`; returns its number.
  int64_t NewVersion(int64_t base, const std::vector<std::string>& types, const std::string& note) {
    json::array t;
    for (const auto& s : types) t.emplace_back(s);
    auto res =
        Gov("POST", "/catalog/versions", ops,
            json::serialize(json::object{{"basedOn", base}, {"resourceTypes", t}, {"note", note}}));
    EXPECT_EQ(res.status, 201) << res.body;
    return res.status == 201 ? Json(res.body).at("version").as_int64() : -1;
  }
  std::vector<std::string> TypesOf(int64_t version) {
    auto res = Gov("GET", "/catalog/versions/" + std::to_string(version), ops);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<std::string> out;
    for (const auto& v : Json(res.body).at("resourceTypes").as_array()) {
      out.emplace_back(v.as_string());
    }
    return out;
  }

  ServerProcess sandbox;
  TestDatabase db;
  std::string dir;
  std::vector<std::string> args;
  std::unique_ptr<ServerProcess> server;
  std::vector<std::string> acme, globex, ops, agent;
};

class GovernanceTest : public ::testing::TestWithParam<Backend> {};

TEST_P(GovernanceTest, PublishingAddsAndRemovesSqlAndUnrestrictedRemovesOneAliasPolicyOnly) {
  World w(GetParam());
  auto subs = w.Onboard({"ACME", "ACMD"});
  ASSERT_EQ(subs.size(), 2u);
  std::string acme_tenant = subs["ACME"].first, acme_sub = subs["ACME"].second;
  std::string acmd_tenant = subs["ACMD"].first, acmd_sub = subs["ACMD"].second;
  EXPECT_EQ(w.PutSqlServer(acme_tenant, acme_sub, "before"), 403);

  // Version 2 adds Sql servers: the diff says so, the dry run lists both subscriptions.
  auto types = w.TypesOf(1);
  ASSERT_FALSE(Contains(json::value_from(types), kSql));
  types.push_back(kSql);
  int64_t v2 = w.NewVersion(1, types, "Sql for everyone");
  auto detail = Json(w.Gov("GET", "/catalog/versions/" + std::to_string(v2), w.ops).body);
  EXPECT_EQ(Str(detail.at("state")), "draft");
  EXPECT_EQ(json::serialize(detail.at("diff").at("resourceTypes").at("added")),
            "[\"" + kSql + "\"]");
  EXPECT_TRUE(Contains(detail.at("diff").at("actions").at("added"), kSql + "/*"));
  EXPECT_TRUE(detail.at("diff").at("unrestricted").is_null());
  auto dry =
      w.Gov("POST", "/catalog/versions/" + std::to_string(v2) + "/publish?dryRun=true", w.ops);
  ASSERT_EQ(dry.status, 200) << dry.body;
  auto dry_subs = Json(dry.body).at("subscriptions").as_array();
  ASSERT_EQ(dry_subs.size(), 2u) << dry.body;
  for (const auto& s : dry_subs) {
    std::set<std::string> objects;
    for (const auto& c : s.at("changes").as_array()) {
      objects.insert(Str(c.at("object")));
      EXPECT_EQ(Str(c.at("action")), "update");
    }
    EXPECT_EQ(objects, (std::set<std::string>{"role-definition", "policy-assignment"}));
  }
  // A dry run changes nothing.
  EXPECT_EQ(
      Str(Json(w.Gov("GET", "/catalog/versions/" + std::to_string(v2), w.ops).body).at("state")),
      "draft");
  auto published = w.Gov("POST", "/catalog/versions/" + std::to_string(v2) + "/publish", w.ops);
  ASSERT_EQ(published.status, 202) << published.body;
  EXPECT_EQ(Json(published.body).at("subscriptions").as_int64(), 2);
  ASSERT_TRUE(w.WaitCompliant(v2, 2, std::chrono::seconds(60)));
  auto state = w.SandboxState();
  for (const auto& sub : {acme_sub, acmd_sub}) {
    auto pa = w.PolicyOf(state, sub);
    ASSERT_FALSE(pa.is_null());
    EXPECT_TRUE(Contains(
        pa.at("properties").at("parameters").at("listOfResourceTypesAllowed").at("value"), kSql));
    auto rd = w.RoleOf(state, sub);
    ASSERT_FALSE(rd.is_null());
    EXPECT_TRUE(Contains(rd.at("properties").at("permissions").at(0).at("actions"), kSql + "/*"));
  }
  EXPECT_EQ(w.PutSqlServer(acme_tenant, acme_sub, "sql1"), 201);
  // The customer's catalog shows it.
  auto catalog = Json(w.Gov("GET", "/catalog", w.acme).body);
  EXPECT_EQ(catalog.at("version").as_int64(), v2);
  EXPECT_NE(json::serialize(catalog).find(kSql), std::string::npos);

  // Version 3 removes it again: denied again; the existing server is reported, not deleted.
  types.pop_back();
  int64_t v3 = w.NewVersion(v2, types, "No more Sql");
  ASSERT_EQ(w.Gov("POST", "/catalog/versions/" + std::to_string(v3) + "/publish", w.ops).status,
            202);
  ASSERT_TRUE(w.WaitCompliant(v3, 2, std::chrono::seconds(60)));
  EXPECT_EQ(w.PutSqlServer(acme_tenant, acme_sub, "sql2"), 403);
  auto acme_status = w.Subscription(acme_sub);
  auto np = acme_status.at("notPermittedResources").as_array();
  ASSERT_EQ(np.size(), 1u) << json::serialize(acme_status);
  EXPECT_EQ(Str(np[0].at("type")), kSql);
  EXPECT_NE(Str(np[0].at("id")).find("/servers/sql1"), std::string::npos);
  EXPECT_FALSE(Contains(acme_status.at("permittedResourceTypes"), kSql));
  state = w.SandboxState();
  bool still_there = false;
  for (const auto& r : state.at("resources").as_array()) {
    still_there |= Str(r.at("id")).find("/servers/sql1") != std::string::npos;
  }
  EXPECT_TRUE(still_there);
  // The version list shows 3 published, 2 and 1 superseded.
  auto versions = Json(w.Gov("GET", "/catalog/versions", w.ops).body).at("items").as_array();
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(Str(versions[0].at("state")), "published");
  EXPECT_EQ(Str(versions[1].at("state")), "superseded");
  EXPECT_FALSE(versions[0].as_object().contains("resourceTypes"));

  // Unrestricted for ACMD only: its policy is removed, ACME's stays.
  auto put = w.Gov("PUT", "/aliases/ACMD", w.ops,
                   R"({"unrestricted":true,"note":"everything, by contract"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_TRUE(Json(put.body).at("effective").at("unrestricted").as_bool());
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = w.Subscription(acmd_sub);
        return Str(s.at("state")) == "compliant" && s.at("unrestricted").as_bool();
      },
      std::chrono::seconds(60)));
  state = w.SandboxState();
  EXPECT_TRUE(w.PolicyOf(state, acmd_sub).is_null());
  EXPECT_FALSE(w.PolicyOf(state, acme_sub).is_null());
  EXPECT_EQ(w.PutSqlServer(acmd_tenant, acmd_sub, "sql3"), 201);
  EXPECT_EQ(w.PutSqlServer(acme_tenant, acme_sub, "sql4"), 403);
  auto acme_sub_state = w.Subscription(acme_sub);
  EXPECT_FALSE(acme_sub_state.at("unrestricted").as_bool());

  // A customer asks for Sql with a support request; once an operator approves it, ACME's
  // subscription permits it (and ACMD's exception is untouched).
  auto ticket = w.Api("POST", "/api/v1/support/tickets", w.acme,
                      R"({"subject":"Azure SQL please","text":"We need Azure SQL servers.",)"
                      R"("billingAlias":"ACME","request":{"kind":"permit-service",)"
                      R"("resourceType":"Microsoft.Sql/servers"}})");
  ASSERT_EQ(ticket.status, 201) << ticket.body;
  std::string ticket_id = Str(Json(ticket.body).at("id"));
  auto bad_kind = w.Api("POST", "/api/v1/support/tickets", w.acme,
                        R"({"subject":"x","text":"y","billingAlias":"ACME",)"
                        R"("request":{"kind":"permit-service","resourceType":"not a type"}})");
  EXPECT_EQ(bad_kind.status, 400) << bad_kind.body;
  auto approved = w.Api("POST", "/api/v1/support/tickets/" + ticket_id + "/approve", w.ops, "{}");
  ASSERT_EQ(approved.status, 200) << approved.body;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto t = w.Api("GET", "/api/v1/support/tickets/" + ticket_id, w.acme);
        return t.status == 200 && Str(Json(t.body).at("request").at("state")) == "done";
      },
      std::chrono::seconds(60)));
  auto acme_alias = Json(w.Gov("GET", "/aliases/ACME", w.acme).body);
  EXPECT_TRUE(Contains(acme_alias.at("extraResourceTypes"), kSql));
  EXPECT_TRUE(Contains(acme_alias.at("effective").at("resourceTypes"), kSql));
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = w.Subscription(acme_sub);
        return Str(s.at("state")) == "compliant" && Contains(s.at("permittedResourceTypes"), kSql);
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(w.PutSqlServer(acme_tenant, acme_sub, "sql5"), 201);
}

TEST_P(GovernanceTest, ReconcileRestoresADeletedPolicyAndAnEditedRoleWithAuditAndEmail) {
  World w(GetParam());
  auto subs = w.Onboard({"ACME"});
  std::string tenant = subs["ACME"].first, sub = subs["ACME"].second;
  // A first check: compliant as onboarding left it.
  ASSERT_EQ(w.Gov("POST", "/subscriptions/" + sub + "/reconcile", w.ops).status, 202);
  ASSERT_TRUE(w.WaitCompliant(1, 1, std::chrono::seconds(60)));
  std::string checked = Str(w.Subscription(sub).at("lastCheckedAt"));
  EXPECT_EQ(w.Subscription(sub).at("repairs").as_array().size(), 0u);

  // Someone deletes the policy assignment and edits the custom role in Azure.
  auto arm = w.Arm(tenant);
  std::string auth_scope =
      w.sandbox.BaseUrl() + "/arm/subscriptions/" + sub + "/providers/Microsoft.Authorization";
  auto deleted =
      Http("DELETE", auth_scope + "/policyAssignments/permitted-services?api-version=2023-04-01",
           "", arm);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  auto state = w.SandboxState();
  ASSERT_TRUE(w.PolicyOf(state, sub).is_null());
  json::value role = w.RoleOf(state, sub);
  ASSERT_FALSE(role.is_null());
  std::string role_name = Str(role.at("name"));
  size_t actions_before =
      role.at("properties").at("permissions").at(0).at("actions").as_array().size();
  json::object edited = role.as_object();
  edited["properties"].as_object()["permissions"] =
      json::array{json::object{{"actions", json::array{"*"}},
                               {"notActions", json::array{}},
                               {"dataActions", json::array{}},
                               {"notDataActions", json::array{}}}};
  auto put = Http("PUT", auth_scope + "/roleDefinitions/" + role_name + "?api-version=2022-04-01",
                  json::serialize(json::object{{"properties", edited["properties"]}}), arm);
  ASSERT_EQ(put.status, 200) << put.body;
  // A role the test deletes and gets back as 204 the second time (the sandbox's wire format).
  EXPECT_EQ(Http("DELETE",
                 auth_scope + "/roleDefinitions/00000000-0000-4000-8000-000000000000"
                              "?api-version=2022-04-01",
                 "", arm)
                .status,
            204);

  // The next reconcile restores both, with two repairs, two audit entries, two emails.
  ASSERT_EQ(w.Gov("POST", "/subscriptions/" + sub + "/reconcile", w.ops).status, 202);
  json::value status;
  ASSERT_TRUE(WaitUntil(
      [&] {
        status = w.Subscription(sub);
        return Str(status.at("state")) == "compliant" && Str(status.at("lastCheckedAt")) != checked;
      },
      std::chrono::seconds(60)))
      << json::serialize(status);
  auto repairs = status.at("repairs").as_array();
  ASSERT_EQ(repairs.size(), 2u) << json::serialize(status);
  std::set<std::string> objects;
  for (const auto& r : repairs) objects.insert(Str(r.at("object")));
  EXPECT_EQ(objects, (std::set<std::string>{"policy-assignment", "role-definition"}));
  state = w.SandboxState();
  ASSERT_FALSE(w.PolicyOf(state, sub).is_null());
  role = w.RoleOf(state, sub);
  auto actions = role.at("properties").at("permissions").at(0).at("actions");
  EXPECT_EQ(actions.as_array().size(), actions_before);
  EXPECT_FALSE(Contains(actions, "*"));
  EXPECT_EQ(w.PutSqlServer(tenant, sub, "after-repair"), 403);

  auto audit = w.Api("GET", "/api/v1/audit?limit=100", w.ops);
  ASSERT_EQ(audit.status, 200) << audit.body;
  int repairs_audited = 0;
  for (const auto& e : Json(audit.body).at("items").as_array()) {
    if (Str(e.at("action")) == "governance.repair" && Str(e.at("targetId")) == sub) {
      ++repairs_audited;
    }
  }
  EXPECT_EQ(repairs_audited, 2);
  EXPECT_EQ(
      Count(w.db.url, "SELECT COUNT(*) FROM outbox_emails WHERE to_address = ? AND subject LIKE ?",
            {std::string("operators@partner.example"), std::string("Governance repair:%")}),
      2);

  // A reconcile with nothing wrong repairs nothing and mails nobody.
  checked = Str(status.at("lastCheckedAt"));
  ASSERT_EQ(w.Gov("POST", "/subscriptions/" + sub + "/reconcile", w.ops).status, 202);
  ASSERT_TRUE(WaitUntil(
      [&] {
        status = w.Subscription(sub);
        return Str(status.at("state")) == "compliant" && Str(status.at("lastCheckedAt")) != checked;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(status.at("repairs").as_array().size(), 2u);
  EXPECT_EQ(Count(w.db.url, "SELECT COUNT(*) FROM outbox_emails WHERE subject LIKE ?",
                  {std::string("Governance repair:%")}),
            2);
}

TEST_P(GovernanceTest, OnlyOperatorsChangeAndCustomersReadOnlyTheirOwn) {
  World w(GetParam());
  auto subs = w.Onboard({"ACME"});
  std::string tenant = subs["ACME"].first, sub = subs["ACME"].second;
  auto versions = [&](const std::vector<std::string>& who) {
    return w.Gov("GET", "/catalog/versions", who).status;
  };
  // Nobody without a login.
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/catalog"},
                                                        {"GET", "/catalog/versions"},
                                                        {"GET", "/catalog/versions/1"},
                                                        {"GET", "/aliases/ACME"},
                                                        {"GET", "/subscriptions"},
                                                        {"GET", "/subscriptions/" + sub}}) {
    EXPECT_EQ(w.Gov(method, path, {}).status, 401) << method << " " << path;
  }
  // Reading.
  EXPECT_EQ(w.Gov("GET", "/catalog", w.acme).status, 200);
  EXPECT_EQ(w.Gov("GET", "/catalog", w.globex).status, 200);
  EXPECT_EQ(versions(w.acme), 403);
  EXPECT_EQ(versions(w.agent), 200);
  EXPECT_EQ(versions(w.ops), 200);
  EXPECT_EQ(w.Gov("GET", "/catalog/versions/1", w.acme).status, 403);
  EXPECT_EQ(w.Gov("GET", "/catalog/versions/1", w.agent).status, 200);
  EXPECT_EQ(w.Gov("GET", "/aliases/ACME", w.acme).status, 200);
  EXPECT_EQ(w.Gov("GET", "/aliases/ACME", w.globex).status, 404);
  EXPECT_EQ(w.Gov("GET", "/aliases/ACME", w.agent).status, 200);
  auto mine = Json(w.Gov("GET", "/subscriptions", w.acme).body).at("items").as_array();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(Str(mine[0].at("subscriptionId")), sub);
  EXPECT_EQ(Json(w.Gov("GET", "/subscriptions", w.globex).body).at("items").as_array().size(), 0u);
  EXPECT_EQ(w.Gov("GET", "/subscriptions/" + sub, w.acme).status, 200);
  EXPECT_EQ(w.Gov("GET", "/subscriptions/" + sub, w.globex).status, 404);
  EXPECT_EQ(w.Gov("GET", "/subscriptions/" + sub, w.agent).status, 200);

  // Changing: operators only.
  std::string body = R"({"basedOn":1,"note":"same"})";
  EXPECT_EQ(w.Gov("POST", "/catalog/versions", w.acme, body).status, 403);
  EXPECT_EQ(w.Gov("POST", "/catalog/versions", w.agent, body).status, 403);
  auto created = w.Gov("POST", "/catalog/versions", w.ops, body);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string v = std::to_string(Json(created.body).at("version").as_int64());
  for (const auto& who : {w.acme, w.globex, w.agent}) {
    EXPECT_EQ(w.Gov("POST", "/catalog/versions/" + v + "/publish?dryRun=true", who).status, 403);
    EXPECT_EQ(w.Gov("POST", "/catalog/versions/" + v + "/publish", who).status, 403);
    EXPECT_EQ(w.Gov("PUT", "/aliases/ACME", who, R"({"unrestricted":true})").status, 403);
    EXPECT_EQ(w.Gov("POST", "/subscriptions/" + sub + "/reconcile", who).status, 403);
  }
  EXPECT_EQ(Json(w.Gov("GET", "/aliases/ACME", w.ops).body).at("unrestricted").as_bool(), false);
  EXPECT_EQ(w.Gov("POST", "/subscriptions/" + sub + "/reconcile", w.ops).status, 202);

  // Bad input: 4xx with a message.
  for (const auto& bad : {std::string("{}"), std::string(R"({"basedOn":99})"),
                          std::string(R"({"basedOn":1,"resourceTypes":["not a type"]})"),
                          std::string(R"({"basedOn":1,"resourceTypes":"Microsoft.Sql/servers"})"),
                          std::string(R"({"basedOn":"1"})"), std::string("[1]")}) {
    auto res = w.Gov("POST", "/catalog/versions", w.ops, bad);
    EXPECT_EQ(res.status, 400) << bad << " -> " << res.body;
    EXPECT_NE(res.body.find("message"), std::string::npos);
  }
  EXPECT_EQ(w.Gov("GET", "/catalog/versions/abc", w.ops).status, 400);
  EXPECT_EQ(w.Gov("GET", "/catalog/versions/99", w.ops).status, 404);
  EXPECT_EQ(w.Gov("POST", "/catalog/versions/99/publish", w.ops).status, 404);
  EXPECT_EQ(w.Gov("POST", "/catalog/versions/1/publish", w.ops).status, 409);
  EXPECT_EQ(w.Gov("POST", "/catalog/versions/" + v + "/publish?dryRun=maybe", w.ops).status, 400);
  EXPECT_EQ(w.Gov("GET", "/subscriptions?state=happy", w.ops).status, 400);
  EXPECT_EQ(w.Gov("PUT", "/aliases/NOPE", w.ops, R"({"unrestricted":true})").status, 404);
  EXPECT_EQ(w.Gov("PUT", "/aliases/ACME", w.ops, R"({"extraResourceTypes":["x"]})").status, 400);
  EXPECT_EQ(w.Gov("POST", "/subscriptions/nope/reconcile", w.ops).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, GovernanceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

// The issue's scale point: 200 subscriptions (3 onboarded through the API, 197 more Azure
// subscriptions of the same customers added in the sandbox and recorded as ready providers
// of their alias, as a second provider would be) converge to a new version under 20% ARM 429s
// with Retry-After and 3 SIGKILLs of the service; all compliant, one role assignment and one
// policy assignment per subscription, every throttled call retried no sooner than it was told,
// and ARM never called faster than the configured bucket (counted by the sandbox).
TEST(GovernanceScaleTest, TwoHundredSubscriptionsConvergeThroughThrottlingAndKills) {
  constexpr int64_t kPerMinute = 6000;  // 100 a second, bursts of 50 (cli/service.cpp)
  constexpr int64_t kBurst = 50;
  constexpr size_t kSubs = 200;
  World w(Backend::kPostgres,
          {"--set", "upstream.arm_requests_per_minute=" + std::to_string(kPerMinute), "--set",
           "jobs.workers=8"});
  auto onboarded = w.Onboard({"ACME", "ACMD", "ACMT"});
  ASSERT_EQ(onboarded.size(), 3u);
  // 197 more subscriptions of the same three customers.
  auto db = store::Database::Open(w.db.url);
  ASSERT_TRUE(db.ok());
  std::vector<std::string> aliases = {"ACME", "ACMD", "ACMT"};
  for (size_t i = 0; i < kSubs - 3; ++i) {
    const std::string& alias = aliases[i % 3];
    char sub[40];
    std::snprintf(sub, sizeof sub, "5ca1e000-0000-4000-8000-%012zu", i);
    auto added = Http("POST", w.sandbox.BaseUrl() + "/sandbox/control/azure-subscriptions",
                      json::serialize(json::object{{"subscriptionId", sub},
                                                   {"tenantId", onboarded[alias].first},
                                                   {"displayName", "scale " + std::to_string(i)}}),
                      {"Content-Type: application/json"});
    ASSERT_EQ(added.status, 201) << added.body;
    Exec(
        **db,
        "INSERT INTO providers (id, organization_id, created_by, name, description, type, mode, "
        "billing_alias, state, job_id, azure_subscription_id, created_at, updated_at) "
        "SELECT ?, organization_id, created_by, ?, description, type, mode, billing_alias, "
        "'ready', job_id, ?, created_at, updated_at FROM providers WHERE azure_subscription_id = ?",
        {"scale-" + std::to_string(i), "scale " + std::to_string(i), std::string(sub),
         onboarded[alias].second});
  }
  auto all = Json(w.Gov("GET", "/subscriptions", w.ops).body).at("items").as_array();
  ASSERT_EQ(all.size(), kSubs);

  auto faults = Http("POST", w.sandbox.BaseUrl() + "/sandbox/control/faults",
                     R"json({"seed": 15, "rules": [
      {"route": "^[A-Z]+ /arm/", "throttleRate": 0.2, "retryAfterSeconds": 1}]})json",
                     {"Content-Type: application/json"});
  ASSERT_EQ(faults.status, 200) << faults.body;
  ASSERT_EQ(Http("POST", w.sandbox.BaseUrl() + "/sandbox/control/arm-traffic").status, 200);

  auto types = w.TypesOf(1);
  types.push_back(kSql);
  int64_t v2 = w.NewVersion(1, types, "Sql for 200");
  auto published = w.Gov("POST", "/catalog/versions/" + std::to_string(v2) + "/publish", w.ops);
  ASSERT_EQ(published.status, 202) << published.body;
  EXPECT_EQ(Json(published.body).at("subscriptions").as_int64(), static_cast<int64_t>(kSubs));

  // Three SIGKILLs while it converges, each once more subscriptions are done.
  auto compliant = [&]() -> int64_t {
    return Count(w.db.url,
                 "SELECT COUNT(*) FROM governance_subscriptions WHERE state = 'compliant' AND "
                 "applied_version = ?",
                 {v2});
  };
  for (int kill = 0; kill < 3; ++kill) {
    int64_t before = compliant();
    WaitUntil([&] { return compliant() >= before + 20 || compliant() >= int64_t{kSubs}; },
              std::chrono::seconds(60));
    w.server->Signal(SIGKILL);
    EXPECT_EQ(w.server->Wait(), 128 + SIGKILL);
    w.server = std::make_unique<ServerProcess>();
    w.server->Start(w.args);
  }
  w.Relogin();
  ASSERT_TRUE(w.WaitCompliant(v2, kSubs, std::chrono::seconds(150)));

  auto state = w.SandboxState();
  EXPECT_EQ(state.at("policyAssignments").as_array().size(), kSubs);
  EXPECT_EQ(state.at("roleAssignments").as_array().size(), kSubs);
  EXPECT_EQ(state.at("roleDefinitions").as_array().size(), kSubs);
  std::set<std::string> policy_scopes;
  for (const auto& pa : state.at("policyAssignments").as_array()) {
    policy_scopes.insert(Str(pa.at("properties").at("scope")));
    EXPECT_TRUE(Contains(
        pa.at("properties").at("parameters").at("listOfResourceTypesAllowed").at("value"), kSql));
  }
  EXPECT_EQ(policy_scopes.size(), kSubs);
  // Throttled calls were retried no sooner than Retry-After (1 s; 50 ms of clock slack).
  size_t retried = 0;
  for (const auto& r : state.at("retriesAfterThrottle").as_array()) {
    if (Str(r.at("call")).find(" /arm/") == std::string::npos) continue;
    ++retried;
    EXPECT_GE(r.at("waitedMs").as_int64(), r.at("retryAfterMs").as_int64() - 50)
        << json::serialize(r);
  }
  EXPECT_GT(retried, 0u);
  // The rate: in any window of W seconds, at most the burst plus W+1 seconds of refill.
  auto traffic = Json(Http("GET", w.sandbox.BaseUrl() + "/sandbox/control/arm-traffic").body);
  std::map<int64_t, int64_t> per_second;
  for (const auto& s : traffic.at("perSecond").as_array()) {
    per_second[s.at("second").as_int64()] = s.at("count").as_int64();
  }
  ASSERT_FALSE(per_second.empty());
  EXPECT_GE(traffic.at("total").as_int64(), static_cast<int64_t>(kSubs) * 4);
  int64_t first = per_second.begin()->first, last = per_second.rbegin()->first;
  int64_t peak = 0;
  for (int64_t window : {1, 5, 10, 30}) {
    for (int64_t start = first; start <= last; ++start) {
      int64_t n = 0;
      for (int64_t s = start; s < start + window; ++s) {
        auto it = per_second.find(s);
        if (it != per_second.end()) n += it->second;
      }
      if (window == 1) peak = std::max(peak, n);
      EXPECT_LE(n, kBurst + kPerMinute * (window + 1) / 60)
          << "ARM requests in " << window << " s from " << start;
    }
  }
  std::cout << "governance scale: " << traffic.at("total").as_int64() << " ARM requests in "
            << (last - first + 1) << " s, peak " << peak << "/s, " << retried
            << " throttled calls retried\n";
}

}  // namespace
}  // namespace pc::test
