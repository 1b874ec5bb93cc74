#include "tests/sandbox_harness.h"

#include "core/random.h"
#include "core/time.h"
#include "onboarding/onboarding_step.h"

namespace pc::test {

void SandboxWorldTest::SetUp() {
  InitCrypto();
  ASSERT_TRUE(scratch_.Create(store::TestBackend::kSqlite).ok());
  auto db = store::Database::Open(scratch_.url());
  ASSERT_TRUE(db.ok()) << db.error().message;
  db_ = std::move(db).value();
  ASSERT_TRUE(db_->Migrate().ok());
  std::string now = FormatTimestamp(Now());
  Exec("INSERT INTO organizations (id, name, kind, created_at) VALUES (?, 'Acme', 'customer', ?)",
       {kWorldOrganization, now});
  Exec(
      "INSERT INTO users (id, organization_id, email, role, password_hash, created_at, "
      "updated_at) VALUES ('user-1', ?, 'admin@acme.example', 'org_admin', 'x', ?, ?)",
      {kWorldOrganization, now, now});
  Exec(
      "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
      "account_snapshot, created_at, updated_at) VALUES ('ACME', ?, 'Acme Corp', 'US', ?, ?, ?)",
      {kWorldOrganization,
       std::string(R"({"addressLine1":"1 Main St","city":"Monroe","stateProvince":"LA",)"
                   R"("postalCode":"71203"})"),
       now, now});
  AddProvider(kWorldProvider, now);

  server_ = std::make_unique<http::Server>(sandbox::SandboxServerOptions("127.0.0.1", 0),
                                           sandbox_.router(), nullptr);
  auto port = server_->Listen();
  ASSERT_TRUE(port.ok()) << port.error().message;
  server_thread_ = std::thread([this] { server_->Run(); });
  base_ = "http://127.0.0.1:" + std::to_string(*port);
  tokens_ = std::make_unique<connectors::TokenProvider>(
      http_, connectors::EntraOptions{base_ + "/login", std::string(sandbox::kClientId),
                                      std::string(sandbox::kClientSecret)});
  partner_center_ = std::make_unique<connectors::PartnerCenterClient>(
      http_, *tokens_, base_ + "/partnercenter", std::string(sandbox::kPartnerTenantId));
  arm_ = std::make_unique<connectors::ArmClient>(http_, *tokens_, base_ + "/arm");
  graph_ = std::make_unique<connectors::GraphClient>(http_, *tokens_, base_ + "/graph");
  clc_ = std::make_unique<connectors::ClcClient>(http_, base_ + "/clc");
}

void SandboxWorldTest::TearDown() {
  if (server_) server_->Shutdown();
  if (server_thread_.joinable()) server_thread_.join();
}

void SandboxWorldTest::Exec(const std::string& sql, const std::vector<store::Param>& params) {
  auto done = db_->InTransaction([&](store::Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(tx.Execute(sql, params));
    return {};
  });
  ASSERT_TRUE(done.ok()) << done.error().message;
}

std::string SandboxWorldTest::Text(const std::string& sql,
                                   const std::vector<store::Param>& params) {
  auto tx = db_->Begin();
  auto rows = (*tx)->Query(sql, params);
  EXPECT_TRUE(rows.ok());
  return rows.ok() && !rows->empty() && !(*rows)[0].IsNull(0) ? (*rows)[0].Text(0) : "";
}

void SandboxWorldTest::AddProvider(const std::string& id, const std::string& created_at) {
  Exec(
      "INSERT INTO providers (id, organization_id, created_by, name, type, mode, billing_alias, "
      "state, job_id, created_at, updated_at) VALUES (?, ?, 'user-1', ?, "
      "'azure-resource-manager', 'new-customer', 'ACME', 'processing', ?, ?, ?)",
      {id, kWorldOrganization, id, "job-" + id, created_at, created_at});
}

jobs::Job SandboxWorldTest::OnboardingJob(const std::string& provider,
                                          const std::string& template_id) {
  jobs::Job job;
  job.id = "job-" + provider;
  job.kind = "onboarding";
  job.step = std::string(onboarding::StepName(onboarding::OnboardingStep::kEligibility));
  job.data = {{"providerId", provider},
              {"alias", "ACME"},
              {"organizationId", kWorldOrganization},
              {"templateId", template_id},
              {"contact",
               {{"firstName", "Ada"},
                {"lastName", "Admin"},
                {"email", "ada@acme.example"},
                {"phoneNumber", "4255550101"}}},
              {"notify", "admin@acme.example"}};
  return job;
}

onboarding::OnboardingOptions SandboxWorldTest::SandboxOnboardingOptions() {
  onboarding::OnboardingOptions options;
  options.partner_tenant_id = sandbox::kPartnerTenantId;
  options.app_client_id = sandbox::kClientId;
  options.billing_account = sandbox::kBillingAccount;
  return options;
}

onboarding::OnboardingDeps SandboxWorldTest::Deps() {
  return onboarding::OnboardingDeps{*db_,
                                    *clc_,
                                    *partner_center_,
                                    *arm_,
                                    *graph_,
                                    secrets_,
                                    governance::PermittedServices::BuiltIn(),
                                    connections_};
}

}  // namespace pc::test
