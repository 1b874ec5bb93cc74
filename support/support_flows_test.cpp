// The support desk's flows against the real sandbox (in this process, over loopback HTTP) and
// a real SQLite database, with the real job runner: an Azure account is onboarded first (the
// onboarding workflow, step by step), then escalation and the three structured requests run
// as they do in the service, and the test checks what the sandbox shows and what the ticket
// says.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "billing/charges.h"
#include "billing/usage_import.h"
#include "connectors/http_client.h"
#include "core/random.h"
#include "core/time.h"
#include "onboarding/workflow.h"
#include "sandbox/sandbox.h"
#include "sandbox/support_upstream.h"
#include "store/scratch_database.h"
#include "support/escalation.h"
#include "support/request_actions.h"
#include "tests/sandbox_harness.h"

namespace pc::support {
namespace {

using jobs::Job;
using jobs::StepResult;

const std::string& kOrganization = test::kWorldOrganization;
const std::string kOtherOrganization = "org-2";
const std::string& kProvider = test::kWorldProvider;

StructuredRequest Request(std::string kind, json::object details) {
  StructuredRequest r;
  r.kind = std::move(kind);
  r.state = "pending-approval";
  r.details = std::move(details);
  return r;
}

class SupportFlowsTest : public test::SandboxWorldTest {
 protected:
  void SetUp() override {
    SandboxWorldTest::SetUp();
    if (HasFatalFailure()) return;
    Exec(
        "INSERT INTO organizations (id, name, kind, created_at) VALUES (?, 'Other', 'customer', ?)",
        {kOtherOrganization, FormatTimestamp(Now())});
    Onboard();
    if (HasFatalFailure()) return;

    auto flows =
        std::make_shared<SupportFlows>(SupportFlows{*partner_center_, *graph_, *arm_, secrets_});
    flows->escalation_poll = std::chrono::milliseconds(200);
    flows->cancel_poll = std::chrono::milliseconds(200);
    flows_ = flows;
    jobs::RunnerOptions options;
    options.workers = 2;
    options.poll_interval = std::chrono::milliseconds(20);
    options.base_backoff = std::chrono::milliseconds(50);
    runner_ = std::make_unique<jobs::JobRunner>(*db_, options);
    RegisterSupportJobs(*runner_, *db_, flows_);
    runner_->Start();
    actions_ =
        std::make_unique<ActionContext>(ActionContext{*db_, [this] { runner_->Poke(); }, flows_});
  }

  void TearDown() override {
    if (runner_) runner_->Stop();
    SandboxWorldTest::TearDown();
  }

  // The onboarding workflow from its first step to Ready: a customer tenant, its Azure plan,
  // an Azure subscription and the platform's custom role on it.
  void Onboard() {
    onboarding::OnboardingWorkflow workflow(Deps(), SandboxOnboardingOptions());
    auto template_id = partner_center_->CustomerAgreementTemplateId({});
    ASSERT_TRUE(template_id.ok()) << template_id.error().message;
    Job job = OnboardingJob(kProvider, *template_id);
    for (int i = 0; i < 500; ++i) {
      StepResult r = workflow.Run(job);
      if (r.kind == StepResult::Kind::kDone) break;
      ASSERT_NE(r.kind, StepResult::Kind::kFail) << job.step << ": " << r.message;
      if (r.kind == StepResult::Kind::kNext) job.step = r.next_step;
      if (r.kind == StepResult::Kind::kRetry)
        std::this_thread::sleep_for(r.delay.value_or(std::chrono::milliseconds(50)));
    }
    subscription_ = std::string(job.data.at("azureSubscriptionId").as_string());
    Exec("UPDATE providers SET state = 'ready', azure_subscription_id = ? WHERE id = ?",
         {subscription_, kProvider});
    customer_ = Text("SELECT customer_id FROM billing_aliases WHERE alias = 'ACME'");
    plan_ = Text("SELECT plan_subscription_id FROM billing_aliases WHERE alias = 'ACME'");
    ASSERT_FALSE(customer_.empty());
    ASSERT_FALSE(plan_.empty());
  }

  Ticket NewTicketWith(const std::string& subject, const std::string& text,
                       std::optional<StructuredRequest> request,
                       const std::string& organization = kOrganization) {
    auto t = db_->InTransaction<Ticket>([&](store::Transaction& tx) -> Result<Ticket> {
      NewTicket n;
      n.subject = subject;
      n.scope = "in";
      n.topic = request ? request->kind : "technical";
      n.requester_email = "admin@acme.example";
      n.requester_name = "Ada Admin";
      n.organization_id = organization;
      n.billing_alias = "ACME";
      n.request = std::move(request);
      PC_ASSIGN_OR_RETURN(auto created, CreateTicket(tx, n));
      NewMessage in;
      in.kind = "in";
      in.from = "admin@acme.example";
      in.text = text;
      PC_RETURN_IF_ERROR(AppendMessage(tx, created.id, in));
      return LoadTicket(tx, created.id, true);
    });
    EXPECT_TRUE(t.ok()) << t.error().message;
    return *t;
  }

  // What the support desk's approval route does around RunApprovedRequest.
  Result<RequestOutcome> Approve(const Ticket& t) {
    EXPECT_TRUE(db_->InTransaction([&](store::Transaction& tx) {
                     return SetRequestState(tx, t.id, "approved", "ops@partner.example",
                                            std::nullopt);
                   })
                    .ok());
    auto outcome = RunApprovedRequest(*actions_, Operator(), t);
    if (outcome.ok()) {
      EXPECT_TRUE(db_->InTransaction([&](store::Transaction& tx) {
                       return SetRequestState(tx, t.id, outcome->state, std::nullopt,
                                              outcome->result);
                     })
                      .ok());
    }
    return outcome;
  }

  Ticket Load(const std::string& id) {
    auto t = db_->InTransaction<Ticket>(
        [&](store::Transaction& tx) { return LoadTicket(tx, id, true); });
    EXPECT_TRUE(t.ok());
    return *t;
  }

  // Waits (bounded) until the ticket's request reaches done or failed.
  Ticket WaitForRequest(const std::string& id,
                        std::chrono::seconds limit = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + limit;
    Ticket t;
    do {
      t = Load(id);
      if (t.request && (t.request->state == "done" || t.request->state == "failed")) return t;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < end);
    ADD_FAILURE() << "the request of " << id << " is still "
                  << (t.request ? t.request->state : "none");
    return t;
  }

  static identity::Principal Operator() {
    identity::Principal p;
    p.user.email = "ops@partner.example";
    p.user.role = identity::Role::kOperator;
    return p;
  }
  static identity::Principal Requester() {
    identity::Principal p;
    p.user.email = "Admin@Acme.example";
    p.user.role = identity::Role::kOrgAdmin;
    p.user.organization_id = kOrganization;
    return p;
  }

  json::object SandboxState() {
    std::lock_guard lock(sandbox_.state().mu);
    return sandbox_.state().Snapshot();
  }

  // POST to the sandbox's control API.
  void Control(const std::string& path, const json::object& body) {
    connectors::HttpRequest req;
    req.method = "POST";
    req.url = base_ + "/sandbox/control" + path;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = json::serialize(body);
    auto res = http_.Send(req);
    ASSERT_TRUE(res.ok()) << res.error().message;
    ASSERT_EQ(res->status, 200) << res->body;
  }

  static bool HasMessage(const Ticket& t, const std::string& kind, const std::string& words) {
    for (const auto& m : t.messages) {
      if (m.kind == kind && m.text.find(words) != std::string::npos) return true;
    }
    return false;
  }

  std::shared_ptr<const SupportFlows> flows_;
  std::unique_ptr<jobs::JobRunner> runner_;
  std::unique_ptr<ActionContext> actions_;
  std::string subscription_, customer_, plan_;
};

TEST_F(SupportFlowsTest, EscalationRoundTrip) {
  Ticket t = NewTicketWith("Quota increase stuck",
                           "Our vCPU quota request has been pending "
                           "for three days.",
                           std::nullopt);
  auto out = Escalate(*actions_, Operator(), t, "Customer is blocked on a deployment");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->status, "open");
  ASSERT_TRUE(db_->InTransaction([&](store::Transaction& tx) {
                   return SetEscalation(tx, t.id, out->service_request_id, out->status);
                 })
                  .ok());
  // The sandbox holds the service request with the ticket's content.
  bool found = false;
  json::object sandbox_state = SandboxState();
  for (const auto& sr : sandbox_state.at("serviceRequests").as_array()) {
    const auto& o = sr.as_object();
    if (o.at("id").as_string() != out->service_request_id) continue;
    found = true;
    EXPECT_EQ(o.at("title").as_string(),
              "[#" + std::to_string(t.number) + "] Quota increase stuck");
    std::string description(o.at("description").as_string());
    EXPECT_NE(description.find("pending for three days"), std::string::npos) << description;
    EXPECT_NE(description.find("Customer is blocked"), std::string::npos) << description;
    EXPECT_EQ(o.at("customerId").as_string(), customer_);
  }
  EXPECT_TRUE(found);
  // Escalating again (a retry) gets the same service request back.
  auto again = Escalate(*actions_, Operator(), t, "Customer is blocked on a deployment");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->service_request_id, out->service_request_id);
  EXPECT_EQ(SandboxState().at("serviceRequests").as_array().size(), 1u);

  // Microsoft answers: the note reaches the conversation (for the agents), once.
  Control("/service-requests/" + out->service_request_id,
          {{"status", "attention_needed"}, {"note", "Please send the deployment correlation id."}});
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < end &&
         !HasMessage(Load(t.id), "note", "deployment correlation id")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Ticket seen = Load(t.id);
  EXPECT_TRUE(HasMessage(seen, "note", "deployment correlation id"));
  EXPECT_TRUE(HasMessage(seen, "event", "open → attention_needed"));
  ASSERT_TRUE(seen.escalation.has_value());
  EXPECT_EQ(seen.escalation->status, "attention_needed");

  // Microsoft closes the case: the status follows and the job ends.
  Control("/service-requests/" + out->service_request_id,
          {{"status", "closed"}, {"note", "Quota granted."}});
  end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < end && Load(t.id).escalation->status != "closed") {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Ticket closed = Load(t.id);
  EXPECT_EQ(closed.escalation->status, "closed");
  EXPECT_TRUE(HasMessage(closed, "note", "Quota granted."));
  int notes = 0;
  for (const auto& m : closed.messages) {
    if (m.kind == "note" && m.text.find("correlation id") != std::string::npos) ++notes;
  }
  EXPECT_EQ(notes, 1);
  EXPECT_EQ(Text("SELECT state FROM jobs WHERE kind = 'support-escalation'"), "done");
}

TEST_F(SupportFlowsTest, PortalUsersAreCreatedWithTheRoleAndTheirPasswordsShownOnce) {
  StructuredRequest request =
      Request("portal-users", {{"users", json::array{json::object{{"firstName", "Bea"},
                                                                  {"lastName", "Builder"},
                                                                  {"email", "bea@acme.example"}},
                                                     json::object{{"firstName", "Cy"},
                                                                  {"lastName", "Coder"},
                                                                  {"email", "cy@acme.example"}}}}});
  Ticket t = NewTicketWith("portal.azure.com users for ACME", "Two users please", request);
  auto outcome = Approve(t);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->state, "running");
  Ticket done = WaitForRequest(t.id);
  ASSERT_EQ(done.request->state, "done") << json::serialize(*done.request->result);
  EXPECT_TRUE(HasMessage(done, "out", "Created 2 portal.azure.com user(s)"));

  // The sandbox shows both users in the customer tenant, each with the platform's role on
  // the subscription.
  json::object state = SandboxState();
  std::map<std::string, std::string> ids;  // upn -> object id
  for (const auto& u : state.at("users").as_array()) {
    const auto& o = u.as_object();
    if (o.at("tenantId").as_string() == customer_)
      ids[std::string(o.at("userPrincipalName").as_string())] = o.at("id").as_string();
  }
  std::string domain = Text("SELECT tenant_domain FROM billing_aliases WHERE alias = 'ACME'");
  ASSERT_EQ(ids.size(), 2u);
  ASSERT_TRUE(ids.contains("bea@" + domain));
  ASSERT_TRUE(ids.contains("cy@" + domain));
  std::string role = connectors::NameBasedId("role:" + subscription_);
  int assigned = 0;
  for (const auto& ra : state.at("roleAssignments").as_array()) {
    const auto& p = ra.as_object().at("properties").as_object();
    for (const auto& [upn, object_id] : ids) {
      if (p.at("principalId").as_string() != object_id) continue;
      ++assigned;
      EXPECT_EQ(p.at("principalType").as_string(), "User");
      EXPECT_NE(std::string(p.at("roleDefinitionId").as_string()).find(role), std::string::npos);
      EXPECT_EQ(p.at("scope").as_string(), "/subscriptions/" + subscription_);
    }
  }
  EXPECT_EQ(assigned, 2);

  // The passwords: never in clear in the database, the ticket or the job; to the requester
  // only, once.
  std::string sealed = Text("SELECT password_sealed FROM support_portal_credentials LIMIT 1");
  EXPECT_TRUE(sealed.starts_with("sb1:")) << sealed.substr(0, 4);
  identity::Principal stranger = Requester();
  stranger.user.email = "dev@acme.example";
  auto denied = RevealPortalCredentials(*db_, secrets_, stranger, done);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  auto shown = RevealPortalCredentials(*db_, secrets_, Requester(), done);
  ASSERT_TRUE(shown.ok()) << shown.error().message;
  ASSERT_EQ(shown->size(), 2u);
  for (const auto& c : *shown) {
    EXPECT_EQ(c.temporary_password.size(), 16u);
    EXPECT_EQ(
        Text("SELECT COUNT(*) FROM jobs WHERE data LIKE ?", {"%" + c.temporary_password + "%"}),
        "0");
    for (const auto& m : Load(t.id).messages) {
      EXPECT_EQ(m.text.find(c.temporary_password), std::string::npos);
    }
  }
  auto twice = RevealPortalCredentials(*db_, secrets_, Requester(), done);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(
      Text("SELECT COUNT(*) FROM support_portal_credentials WHERE password_sealed IS NOT NULL"),
      "0");
  EXPECT_EQ(json::serialize(Load(t.id).request->result->at("credentialsAvailable")), "false");
}

TEST_F(SupportFlowsTest, ClosingTheAccountCancelsTheSubscriptionsAndTheMonthIsStillBilled) {
  StructuredRequest request = Request("close-account", {{"firstName", "Ada"},
                                                        {"lastName", "Admin"},
                                                        {"company", "Acme Corp"},
                                                        {"reason", "Moving on"}});
  Ticket t = NewTicketWith("Close the Azure account ACME", "Please close it", request);
  ASSERT_TRUE(Approve(t).ok());
  // The subscriptions are cancelled; Partner Center deactivates them ten minutes later, and
  // the plan waits for that.
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool cancelled = false;
  while (!cancelled && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard lock(sandbox_.state().mu);
    cancelled = true;
    for (const auto& a : sandbox_.state().azure_subscriptions) {
      if (a.tenant_id == customer_ && !a.cancelled) cancelled = false;
    }
  }
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(Load(t.id).request->state, "running");
  Control("/clock", {{"advanceSeconds", 11 * 60}});
  Ticket done = WaitForRequest(t.id);
  ASSERT_EQ(done.request->state, "done") << json::serialize(*done.request->result);
  EXPECT_TRUE(HasMessage(done, "out", "is closed"));

  json::object state = SandboxState();
  for (const auto& s : state.at("subscriptions").as_array()) {
    if (s.as_object().at("customerId").as_string() == customer_) {
      EXPECT_EQ(s.as_object().at("status").as_string(), "suspended");
    }
  }
  {
    std::lock_guard lock(sandbox_.state().mu);
    for (const auto& a : sandbox_.state().azure_subscriptions) {
      if (a.tenant_id == customer_) {
        EXPECT_EQ(sandbox::EntitlementStatus(a, sandbox_.state().Now()), "inactive");
      }
    }
  }
  EXPECT_EQ(Text("SELECT state FROM providers WHERE id = ?", {kProvider}), "unavailable");
  EXPECT_FALSE(Text("SELECT closed_at FROM providers WHERE id = ?", {kProvider}).empty());

  // The month is still billed: usage of the closed subscription that arrives after the close
  // is imported for the alias and priced in its month.
  YearMonth month = YearMonth::Containing(Now());
  std::string day = month.ToString() + "-01T00:00:00Z";
  std::string csv =
      "PartnerId,CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,"
      "Quantity,BillingPreTaxTotal,BillingCurrency,Tags,BenefitId\r\n"
      "p," +
      customer_ + "," + subscription_ + "," + day +
      ",\"Virtual Machines\",/r/vm1,0.125,24,0,USD,,\r\n";
  std::string path = scratch_.url().substr(7) + ".usage.csv";
  std::ofstream(path) << csv;
  auto imported = billing::ImportUsageFile(*db_, identity::SystemPrincipal(), path, {});
  std::filesystem::remove(path);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(imported->rows_imported, 1);
  auto rows = db_->InTransaction<std::vector<billing::PricedRollup>>(
      [&](store::Transaction& tx) { return billing::LoadPricedRollups(tx, "ACME", month); });
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows->size(), 1u);
}

TEST_F(SupportFlowsTest, BillingReportIsAttachedAsTheDetailCsv) {
  StructuredRequest request =
      Request("billing-report", {{"month", YearMonth::Containing(Now()).ToString()}});
  Ticket t = NewTicketWith("Detailed billing report", "The report please", request);
  ASSERT_TRUE(Approve(t).ok());
  Ticket done = WaitForRequest(t.id);
  ASSERT_EQ(done.request->state, "done");
  const Message* answer = nullptr;
  for (const auto& m : done.messages) {
    if (m.kind == "out" && !m.attachments.empty()) answer = &m;
  }
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->attachments[0].name,
            "ACME-" + YearMonth::Containing(Now()).ToString() + "-azure-usage.csv");
  auto file = db_->InTransaction<AttachmentContent>(
      [&](store::Transaction& tx) { return LoadAttachment(tx, answer->attachments[0].id); });
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_TRUE(file->bytes.starts_with("AzureSubscriptionId,MeterCategory,Day,Quantity,Charge"))
      << file->bytes.substr(0, 80);
}

TEST_F(SupportFlowsTest, ARequestNamingAnotherOrganizationsAliasFailsWithoutActing) {
  StructuredRequest request = Request(
      "portal-users", {{"users", json::array{json::object{{"firstName", "Eve"},
                                                          {"lastName", "Intruder"},
                                                          {"email", "eve@other.example"}}}}});
  Ticket t = NewTicketWith("users", "for ACME", request, kOtherOrganization);
  ASSERT_TRUE(Approve(t).ok());
  Ticket failed = WaitForRequest(t.id);
  EXPECT_EQ(failed.request->state, "failed");
  EXPECT_TRUE(HasMessage(failed, "event", "does not belong to the requester's organization"));
  size_t users = 0;
  json::object after = SandboxState();
  for (const auto& u : after.at("users").as_array())
    if (u.as_object().at("tenantId").as_string() == customer_) ++users;
  EXPECT_EQ(users, 0u);
}

TEST(TemporaryPassword, HasEveryKindOfCharacter) {
  for (int i = 0; i < 50; ++i) {
    std::string p = TemporaryPassword();
    ASSERT_EQ(p.size(), 16u);
    EXPECT_TRUE(std::any_of(p.begin(), p.end(), ::isupper)) << p;
    EXPECT_TRUE(std::any_of(p.begin(), p.end(), ::islower)) << p;
    EXPECT_TRUE(std::any_of(p.begin(), p.end(), ::isdigit)) << p;
    EXPECT_TRUE(std::any_of(p.begin(), p.end(), [](char c) { return !std::isalnum(c); })) << p;
  }
}

}  // namespace
}  // namespace pc::support
