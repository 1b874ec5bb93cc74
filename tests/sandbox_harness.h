// The in-process part of the test harness, for tests of flows that act upstream (each
// onboarding step, the support desk's escalation and structured requests): a migrated SQLite
// scratch database holding organization org-1 "Acme", its admin user-1
// (admin@acme.example), billing alias ACME and provider prov-1 (processing, job job-prov-1);
// the real sandbox served over loopback HTTP from this process; and the connectors pointed at
// it. tests/harness.h is the other part: the real binary as a child process.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/arm_client.h"
#include "connectors/clc_client.h"
#include "connectors/entra_client.h"
#include "connectors/graph_client.h"
#include "connectors/http_client.h"
#include "connectors/partner_center_client.h"
#include "core/http/server.h"
#include "core/secret_box.h"
#include "jobs/runner.h"
#include "onboarding/onboarding.h"
#include "sandbox/sandbox.h"
#include "store/scratch_database.h"
#include "store/store.h"

namespace pc::test {

inline const std::string kWorldOrganization = "org-1";
inline const std::string kWorldProvider = "prov-1";

class SandboxWorldTest : public testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // One statement in its own transaction; the test fails if it does.
  void Exec(const std::string& sql, const std::vector<store::Param>& params = {});
  // The first column of the first row as text ("" when there is none or it is NULL).
  std::string Text(const std::string& sql, const std::vector<store::Param>& params = {});
  // A provider of org-1 on alias ACME, new-customer mode, processing under job "job-<id>".
  void AddProvider(const std::string& id, const std::string& created_at);

  // The onboarding job of `provider` at its first step, with the data the API gives it.
  static jobs::Job OnboardingJob(const std::string& provider, const std::string& template_id);
  // The options the sandbox's onboarding needs: its partner tenant, app and billing account.
  static onboarding::OnboardingOptions SandboxOnboardingOptions();
  // What the workflow works with: this world's database, connectors and secrets.
  onboarding::OnboardingDeps Deps();

  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
  sandbox::Sandbox sandbox_;
  std::unique_ptr<http::Server> server_;
  std::thread server_thread_;
  std::string base_;  // the sandbox's URL
  connectors::HttpClient http_{connectors::HttpClientOptions{}};
  std::unique_ptr<connectors::TokenProvider> tokens_;
  std::unique_ptr<connectors::PartnerCenterClient> partner_center_;
  std::unique_ptr<connectors::ArmClient> arm_;
  std::unique_ptr<connectors::GraphClient> graph_;
  std::unique_ptr<connectors::ClcClient> clc_;
  SecretBox secrets_ = SecretBox::Random();
  onboarding::ClcConnections connections_;
};

}  // namespace pc::test
