// The onboarding jobs as operators see them: each provider's durable job (jobs/runner.h) with
// the provider it builds, its visible step, attempts, last error and when it runs next.
// Thread-safe (no state of its own).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::onboarding {

struct JobView {
  std::string id;
  std::string kind;  // "onboarding", or a recurring job's name ("usage-pull", "month-close")
  // The provider an onboarding job builds; none for a recurring job (jobs/recurring.h).
  std::optional<std::string> provider_id;
  std::optional<std::string> provider_name;
  std::optional<std::string> organization_id;
  std::optional<std::string> billing_alias;
  // queued (ready to run) | running (a worker holds its lease) | waiting (retrying later) |
  // stopped (failed: an operator may resume the provider) | done
  std::string state;
  std::string step;        // the workflow's own step (eligibility, domain, customer, ...)
  std::string step_title;  // the visible step it belongs to, in the seed's words
  int64_t attempts = 0;
  std::optional<std::string> last_error;
  std::optional<std::string> next_attempt_at;
  std::string created_at;
  std::string updated_at;
};

// Jobs of providers not deleted and the recurring jobs, most recently changed first, at most
// `limit` (1..500), only those in `state` when given. Operators and support agents (read-only);
// PermissionDenied for anyone else; InvalidArgument for an unknown state or limit.
Result<std::vector<JobView>> ListOnboardingJobs(store::Database& db, const identity::Principal& who,
                                                const std::optional<std::string>& state,
                                                int64_t limit);

json::object ToJson(const JobView& job);

}  // namespace pc::onboarding
