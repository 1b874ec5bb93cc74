// Convergence: one durable job per customer subscription (kind "governance-converge", id
// "governance:<subscription>", jobs/runner.h) that reads the platform's custom role, its role
// assignment and the Allowed-resource-types policy assignment in Azure and brings each to the
// subscription's desired state (governance.h), one object per step:
//   role        GET the role definition; PUT it when missing or its actions differ
//   assignment  GET the role assignment; PUT it (to the platform's service principal) if missing
//   policy      GET the policy assignment; PUT it when missing or its list differs; DELETE it when
//               the subscription is unrestricted
//   providers   register the resource providers of permitted types outside the shipped catalog
//   resources   list the subscription's resources; those no longer permitted are reported
//               (never deleted)
// Every step reads before it writes, so a step run again (after a crash, a 429 or a lost lease)
// does nothing twice. A 429 waits for its Retry-After without using up attempts. ARM calls go
// through the process's ARM client, paced by the shared ARM token bucket (jobs/shared_bucket.h).
// An object found deleted or edited while the subscription was believed to be in its desired
// state is a repair: recorded (governance_repairs), audited, and mailed to operators through the
// outbox, once per object and check. The job's observer records the subscription's state
// (compliant / converging / drifted / failed, the reason, last checked) in the runner's
// transaction; a request that came while the job ran (a newer generation) runs it again.
#pragma once

#include <string>

#include "connectors/arm_client.h"
#include "connectors/graph_client.h"
#include "jobs/runner.h"
#include "store/store.h"

namespace pc::governance {

struct ConvergenceDeps {
  store::Database& db;
  connectors::ArmClient& arm;
  connectors::GraphClient& graph;
  std::string app_client_id;  // the platform's application (its service principal gets the role)
  std::string notify_address = "operators@partner.example";  // repair notices
};

// Registers the "governance-converge" job kind on `runner` (before JobRunner::Start).
void RegisterConvergence(jobs::JobRunner& runner, ConvergenceDeps deps);

}  // namespace pc::governance
