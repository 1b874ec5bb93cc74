// Each onboarding step alone, against the real sandbox (in this process, over loopback HTTP)
// and a real SQLite database: the steps before it run first to set the scene, then the step
// under test runs and the test checks what it did upstream and in the database, and that
// running it again acts no second time.
#include "onboarding/workflow.h"

#include <gtest/gtest.h>

#include <thread>

#include "billing/charges.h"
#include "billing/usage_import.h"
#include "core/random.h"
#include "core/time.h"
#include "sandbox/sandbox.h"
#include "store/scratch_database.h"
#include "tests/sandbox_harness.h"

namespace pc::onboarding {
namespace {

using jobs::Job;
using jobs::StepResult;
using Kind = jobs::StepResult::Kind;

const std::string& kProvider = test::kWorldProvider;

class WorkflowTest : public test::SandboxWorldTest {
 protected:
  void SetUp() override {
    SandboxWorldTest::SetUp();
    if (HasFatalFailure()) return;
    options_ = SandboxOnboardingOptions();
    options_.consistency_wait = std::chrono::seconds(60);
    workflow_ = std::make_unique<OnboardingWorkflow>(Deps(), options_);
    auto template_id = partner_center_->CustomerAgreementTemplateId({});
    ASSERT_TRUE(template_id.ok()) << template_id.error().message;
    job_ = OnboardingJob(kProvider, *template_id);
  }

  // Runs `step` once on `job`.
  StepResult Run(OnboardingStep step, Job& job) {
    job.step = std::string(StepName(step));
    return workflow_->Run(job);
  }
  StepResult Run(OnboardingStep step) { return Run(step, job_); }

  // Runs `step` until it stops waiting on the upstream (a bounded number of polls).
  StepResult Settle(OnboardingStep step, Job& job) {
    StepResult r = Run(step, job);
    for (int i = 0; i < 200 && r.kind == Kind::kRetry; ++i) {
      std::this_thread::sleep_for(r.delay.value_or(std::chrono::milliseconds(50)));
      r = Run(step, job);
    }
    return r;
  }
  StepResult Settle(OnboardingStep step) { return Settle(step, job_); }

  // Runs the workflow from its first step until the job stands at `target`.
  void Reach(OnboardingStep target, Job& job) {
    OnboardingStep step = OnboardingStep::kEligibility;
    for (int i = 0; i < 30 && step != target; ++i) {
      StepResult r = Settle(step, job);
      ASSERT_EQ(r.kind, Kind::kNext) << StepName(step) << ": " << r.message;
      step = *ParseStep(r.next_step);
    }
    ASSERT_EQ(step, target);
  }
  void Reach(OnboardingStep target) { Reach(target, job_); }

  static void ExpectNext(const StepResult& r, OnboardingStep next) {
    EXPECT_EQ(r.kind, Kind::kNext) << r.message;
    EXPECT_EQ(r.next_step, StepName(next)) << r.message;
  }

  std::string Sub() const { return std::string(job_.data.at("azureSubscriptionId").as_string()); }

  OnboardingOptions options_;
  std::unique_ptr<OnboardingWorkflow> workflow_;
  Job job_;
};

TEST_F(WorkflowTest, StepNamesRoundTripAndMapToTheFiveVisibleSteps) {
  for (OnboardingStep step : kAllOnboardingSteps) EXPECT_EQ(ParseStep(StepName(step)), step);
  EXPECT_FALSE(ParseStep("Domain").has_value());
  EXPECT_EQ(VisibleStep(OnboardingStep::kDomain), "details");
  EXPECT_EQ(VisibleStep(OnboardingStep::kAgreement), "customer");
  EXPECT_EQ(VisibleStep(OnboardingStep::kSecondSubscription), "subscription");
  EXPECT_EQ(VisibleStep(OnboardingStep::kAssociate), "associate");
  EXPECT_EQ(VisibleStep(OnboardingStep::kProviders), "permissions");
  job_.step = "nowhere";
  auto r = workflow_->Run(job_);
  EXPECT_EQ(r.kind, Kind::kFail);
  EXPECT_EQ(r.message, "Unknown onboarding step 'nowhere'");
}

TEST_F(WorkflowTest, EligibilityChecksTheTerritoryAndLetsTheFirstProviderGoFirst) {
  ExpectNext(Run(OnboardingStep::kEligibility), OnboardingStep::kDomain);
  // A later provider on the same alias waits for the first one.
  AddProvider("prov-2", FormatTimestamp(Now() + std::chrono::seconds(1)));
  Job second = OnboardingJob("prov-2", "t");
  auto waits = Run(OnboardingStep::kEligibility, second);
  EXPECT_EQ(waits.kind, Kind::kRetry);
  EXPECT_FALSE(waits.counts_as_failure);
  // A territory the contract no longer allows stops the job with the seed's message.
  Exec("UPDATE billing_aliases SET country = 'FR'");
  auto refused = Run(OnboardingStep::kEligibility);
  EXPECT_EQ(refused.kind, Kind::kFail);
  EXPECT_EQ(refused.message, kTerritoryMessage);
}

TEST_F(WorkflowTest, DomainTakesTheFirstFreeNameAndKeepsIt) {
  Reach(OnboardingStep::kDomain);
  // Someone else has acme.onmicrosoft.com already.
  auto other = partner_center_->CreateCustomer({.domain = "acme.onmicrosoft.com",
                                                .company_name = "Other",
                                                .email = "o@other.example",
                                                .first_name = "O",
                                                .last_name = "Ther",
                                                .phone_number = "4255550100",
                                                .address_line1 = "2 Main St",
                                                .city = "Redmond",
                                                .state = "WA",
                                                .postal_code = "98052",
                                                .country = "US"},
                                               {});
  ASSERT_TRUE(other.ok() && other->ok()) << (other.ok() ? other->fault->message : "");
  ExpectNext(Run(OnboardingStep::kDomain), OnboardingStep::kCustomer);
  EXPECT_EQ(Text("SELECT tenant_domain FROM billing_aliases"), "acme1.onmicrosoft.com");
  // Recorded once: running the step again keeps it.
  ExpectNext(Run(OnboardingStep::kDomain), OnboardingStep::kCustomer);
  EXPECT_EQ(Text("SELECT tenant_domain FROM billing_aliases"), "acme1.onmicrosoft.com");
}

TEST_F(WorkflowTest, CustomerIsCreatedOnceWithItsFirstAdminSealed) {
  Reach(OnboardingStep::kCustomer);
  ExpectNext(Run(OnboardingStep::kCustomer), OnboardingStep::kAgreement);
  std::string customer = Text("SELECT customer_id FROM billing_aliases");
  ASSERT_FALSE(customer.empty());
  {
    std::lock_guard lock(sandbox_.state().mu);
    ASSERT_EQ(sandbox_.state().customers.size(), 1u);
    EXPECT_EQ(sandbox_.state().customers[0].at("id").as_string(), customer);
  }
  std::string user = Text("SELECT admin_user_name FROM providers WHERE id = ?", {kProvider});
  EXPECT_TRUE(user.ends_with("@acme.onmicrosoft.com")) << user;
  std::string sealed =
      Text("SELECT admin_password_sealed FROM providers WHERE id = ?", {kProvider});
  ASSERT_TRUE(sealed.starts_with("sb1:")) << "the admin password is stored sealed";
  EXPECT_TRUE(secrets_.Open(sealed).ok());
  // An attempt whose answer was lost: the customer is found by its domain, not created again.
  Exec("UPDATE billing_aliases SET customer_id = NULL");
  ExpectNext(Run(OnboardingStep::kCustomer), OnboardingStep::kAgreement);
  EXPECT_EQ(Text("SELECT customer_id FROM billing_aliases"), customer);
  std::lock_guard lock(sandbox_.state().mu);
  EXPECT_EQ(sandbox_.state().customers.size(), 1u);
}

TEST_F(WorkflowTest, AgreementIsConfirmedWithTheAcceptedTemplateOnce) {
  Reach(OnboardingStep::kAgreement);
  ExpectNext(Settle(OnboardingStep::kAgreement), OnboardingStep::kOrder);
  ExpectNext(Settle(OnboardingStep::kAgreement), OnboardingStep::kOrder);
  std::string customer = Text("SELECT customer_id FROM billing_aliases");
  std::lock_guard lock(sandbox_.state().mu);
  const auto& accepted = sandbox_.state().agreements[customer];
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0].at("templateId"), job_.data.at("templateId"));
  EXPECT_EQ(accepted[0].at("primaryContact").at("email"), "ada@acme.example");
}

TEST_F(WorkflowTest, OrderPlacesOneAzurePlanAndFindsItAgainAfterALostAnswer) {
  Reach(OnboardingStep::kOrder);
  ExpectNext(Settle(OnboardingStep::kOrder), OnboardingStep::kProvisioning);
  std::string order(job_.data.at("orderId").as_string());
  EXPECT_FALSE(order.empty());
  job_.data.erase("orderId");    // the answer was lost
  job_.data["round:order"] = 1;  // and a new request id, so Partner Center does not replay it
  ExpectNext(Settle(OnboardingStep::kOrder), OnboardingStep::kProvisioning);
  EXPECT_EQ(job_.data.at("orderId").as_string(), order);
  std::lock_guard lock(sandbox_.state().mu);
  EXPECT_EQ(sandbox_.state().orders.size(), 1u);
}

TEST_F(WorkflowTest, ProvisioningRecordsThePlanSubscription) {
  Reach(OnboardingStep::kProvisioning);
  ExpectNext(Settle(OnboardingStep::kProvisioning), OnboardingStep::kEntitlement);
  std::string plan = Text("SELECT plan_subscription_id FROM billing_aliases");
  ASSERT_FALSE(plan.empty());
  std::lock_guard lock(sandbox_.state().mu);
  ASSERT_EQ(sandbox_.state().subscriptions.size(), 1u);
  EXPECT_EQ(sandbox_.state().subscriptions[0].at("id").as_string(), plan);
}

TEST_F(WorkflowTest, EntitlementFindsTheAzureSubscriptionUnderThePlan) {
  Reach(OnboardingStep::kEntitlement);
  ExpectNext(Settle(OnboardingStep::kEntitlement), OnboardingStep::kAssociate);
  std::lock_guard lock(sandbox_.state().mu);
  EXPECT_NE(sandbox_.state().FindAzureSubscription(Sub()), nullptr) << Sub();
}

TEST_F(WorkflowTest, AssociateMapsTheSubscriptionToTheAliasInLowerCase) {
  Reach(OnboardingStep::kAssociate);
  job_.data["azureSubscriptionId"] = "ABCDEF01-0000-4000-8000-000000000001";
  ExpectNext(Run(OnboardingStep::kAssociate), OnboardingStep::kConsent);
  ExpectNext(Run(OnboardingStep::kAssociate), OnboardingStep::kConsent);
  EXPECT_EQ(Text("SELECT billing_alias FROM azure_subscriptions_map WHERE azure_subscription_id "
                 "= 'abcdef01-0000-4000-8000-000000000001'"),
            "ACME");
  EXPECT_EQ(Text("SELECT azure_subscription_id FROM providers WHERE id = ?", {kProvider}),
            "ABCDEF01-0000-4000-8000-000000000001");
}

TEST_F(WorkflowTest, ConsentCreatesTheApplicationsServicePrincipalInTheCustomerTenant) {
  Reach(OnboardingStep::kConsent);
  ExpectNext(Settle(OnboardingStep::kConsent), OnboardingStep::kRole);
  ExpectNext(Settle(OnboardingStep::kConsent), OnboardingStep::kRole);  // 409: already there
  auto principal = graph_->ServicePrincipalId(Text("SELECT customer_id FROM billing_aliases"),
                                              std::string(sandbox::kClientId));
  ASSERT_TRUE(principal.ok());
  EXPECT_TRUE(principal->has_value());
}

TEST_F(WorkflowTest, RoleDefinesThePermittedServicesRoleOnTheSubscription) {
  Reach(OnboardingStep::kRole);
  ExpectNext(Settle(OnboardingStep::kRole), OnboardingStep::kAssignment);
  std::string id = connectors::ArmClient::RoleDefinitionResourceId(
      Sub(), connectors::NameBasedId("role:" + Sub()));
  std::lock_guard lock(sandbox_.state().mu);
  ASSERT_TRUE(sandbox_.state().role_definitions.contains(id)) << id;
}

TEST_F(WorkflowTest, AssignmentGivesTheRoleToTheServicePrincipalOnce) {
  Reach(OnboardingStep::kAssignment);
  ExpectNext(Settle(OnboardingStep::kAssignment), OnboardingStep::kPolicy);
  ExpectNext(Settle(OnboardingStep::kAssignment), OnboardingStep::kPolicy);
  auto principal = graph_->ServicePrincipalId(Text("SELECT customer_id FROM billing_aliases"),
                                              std::string(sandbox::kClientId));
  ASSERT_TRUE(principal.ok() && principal->has_value());
  std::lock_guard lock(sandbox_.state().mu);
  int found = 0;
  for (const auto& [id, ra] : sandbox_.state().role_assignments) {
    if (id.find(Sub()) == std::string::npos) continue;
    ++found;
    EXPECT_EQ(ra.at("properties").at("principalId").as_string(), **principal);
    EXPECT_NE(ra.at("properties")
                  .at("roleDefinitionId")
                  .as_string()
                  .find(connectors::NameBasedId("role:" + Sub())),
              std::string::npos);
  }
  EXPECT_EQ(found, 1);
}

TEST_F(WorkflowTest, PolicyAssignsAllowedResourceTypes) {
  Reach(OnboardingStep::kPolicy);
  ExpectNext(Settle(OnboardingStep::kPolicy), OnboardingStep::kProviders);
  std::lock_guard lock(sandbox_.state().mu);
  std::string id = "/subscriptions/" + Sub() +
                   "/providers/Microsoft.Authorization/policyAssignments/permitted-services";
  EXPECT_TRUE(sandbox_.state().policy_assignments.contains(id)) << id;
}

TEST_F(WorkflowTest, ProvidersRegistersEveryPermittedNamespaceThenIsReady) {
  Reach(OnboardingStep::kProviders);
  ExpectNext(Settle(OnboardingStep::kProviders), OnboardingStep::kReady);
  for (const auto& ns : governance::PermittedServices::BuiltIn().Namespaces()) {
    auto r = arm_->GetResourceProvider(Text("SELECT customer_id FROM billing_aliases"), Sub(), ns);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->body.at("registrationState"), "Registered") << ns;
  }
  EXPECT_EQ(Run(OnboardingStep::kReady).kind, Kind::kDone);
}

TEST_F(WorkflowTest, SecondSubscriptionAddsAnAzureSubscriptionUnderTheSameCustomer) {
  Reach(OnboardingStep::kAssociate);
  std::string first = Sub();
  // A second provider on the alias, once the first has its customer and plan.
  AddProvider("prov-2", FormatTimestamp(Now() + std::chrono::seconds(1)));
  Exec("UPDATE providers SET state = 'ready' WHERE id = ?", {kProvider});
  Job second = OnboardingJob("prov-2", std::string(job_.data.at("templateId").as_string()));
  ExpectNext(Run(OnboardingStep::kEligibility, second), OnboardingStep::kSecondSubscription);
  ExpectNext(Settle(OnboardingStep::kSecondSubscription, second), OnboardingStep::kAssociate);
  std::string sub(second.data.at("azureSubscriptionId").as_string());
  EXPECT_NE(sub, first);
  ExpectNext(Settle(OnboardingStep::kSecondSubscription, second), OnboardingStep::kAssociate);
  EXPECT_EQ(second.data.at("azureSubscriptionId").as_string(), sub);  // found, not made again
  std::lock_guard lock(sandbox_.state().mu);
  EXPECT_TRUE(sandbox_.state().aliases.contains("prov-2"));
  EXPECT_NE(sandbox_.state().FindAzureSubscription(sub), nullptr);
}

// Usage imported before its subscription is onboarded is kept aside; it is billed to the alias
// when the provider becomes ready (the observer the runner calls in the transaction recording
// it, with the on_ready the service wires: billing::AttributeKeptAside), and only once.
TEST_F(WorkflowTest, UsageImportedBeforeOnboardingIsBilledOnceWhenTheProviderIsReady) {
  Reach(OnboardingStep::kAssociate);  // the Azure subscription exists upstream, not yet here
  const YearMonth month = YearMonth::Containing(Now());
  const std::string day = month.ToString() + "-01";
  std::string customer = Text("SELECT customer_id FROM billing_aliases WHERE alias = 'ACME'");
  ASSERT_FALSE(customer.empty());
  std::string csv =
      "CustomerId,EntitlementId,UsageDate,MeterCategory,UnitPrice,Quantity,BillingPreTaxTotal,"
      "BillingCurrency\n" +
      customer + "," + Sub() + "," + day + ",Virtual Machines,0.125,10.05,1.10,USD\n" + customer +
      "," + Sub() + "," + day + ",Storage,1,2,1.80,USD\n";
  billing::ImportOptions import;
  auto report = billing::ImportUsage(
      *db_, identity::SystemPrincipal(),
      [&csv]() -> Result<std::unique_ptr<billing::ByteSource>> {
        return billing::MemorySource(csv);
      },
      import);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->rows_unknown, 2);  // kept aside: nobody knows the subscription yet
  auto summary = [&] {
    return db_->InTransaction<billing::BillingSummary>(
        [&](store::Transaction& tx) { return billing::SummarizeMonth(tx, "ACME", month); });
  };
  ASSERT_FALSE(summary().ok());  // NoUsageYet

  // The rest of onboarding, then the runner records the provider ready through the observer.
  OnboardingStep step = OnboardingStep::kAssociate;
  for (int i = 0; i < 30 && step != OnboardingStep::kReady; ++i) {
    StepResult r = Settle(step);
    ASSERT_EQ(r.kind, Kind::kNext) << StepName(step) << ": " << r.message;
    step = *ParseStep(r.next_step);
  }
  StepResult done = Run(OnboardingStep::kReady);
  ASSERT_EQ(done.kind, Kind::kDone);
  auto observer = OnboardingWorkflow::Observer([](store::Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(billing::AttributeKeptAside(tx));
    return {};
  });
  auto observe = [&] {
    return db_->InTransaction(
        [&](store::Transaction& tx) -> Status { return observer(tx, job_, done); });
  };
  ASSERT_TRUE(observe().ok());
  EXPECT_EQ(Text("SELECT state FROM providers WHERE id = ?", {kProvider}), "ready");
  // 0.125 × 10.05 + 1 × 2 = 3.25625, billed right after onboarding, with no import or close.
  auto billed = summary();
  ASSERT_TRUE(billed.ok()) << billed.error().message;
  EXPECT_EQ(billed->estimate.mtd.ToString(), "3.25625");
  EXPECT_EQ(Text("SELECT COUNT(*) FROM usage_unknown_rollups WHERE line_count <> 0"), "0");
  // Recorded ready again (a retried transaction, a second observer call): nothing twice.
  ASSERT_TRUE(observe().ok());
  auto again = summary();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->estimate.mtd.ToString(), "3.25625");
}

}  // namespace
}  // namespace pc::onboarding
