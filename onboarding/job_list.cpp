#include "onboarding/job_list.h"

#include "core/time.h"

namespace pc::onboarding {

namespace {

// The job's state as operators read it, from the runner's columns (jobs/runner.cpp): a queued
// job whose lease has not run out is running; one whose next run is later is waiting.
constexpr std::string_view kStateSql =
    "CASE WHEN j.state = 'done' THEN 'done' WHEN j.state = 'failed' THEN 'stopped' "
    "WHEN j.lease_owner IS NOT NULL AND j.lease_expires_at > ? THEN 'running' "
    "WHEN j.run_after > ? THEN 'waiting' ELSE 'queued' END";

}  // namespace

Result<std::vector<JobView>> ListOnboardingJobs(store::Database& db, const identity::Principal& who,
                                                const std::optional<std::string>& state,
                                                int64_t limit) {
  if (!identity::IsPartnerStaff(who.user.role)) {
    return PermissionDenied("Only the partner's operators and support agents can see jobs");
  }
  if (state && *state != "queued" && *state != "running" && *state != "waiting" &&
      *state != "stopped" && *state != "done") {
    return InvalidArgument(
        "Query parameter 'state' must be one of queued, running, waiting, stopped, done");
  }
  if (limit < 1 || limit > 500) {
    return InvalidArgument("Query parameter 'limit' must be between 1 and 500");
  }
  std::string now = FormatTimestamp(Now());
  std::string sql =
      "SELECT * FROM (SELECT j.id, j.kind, j.step, j.attempts, j.last_error, j.run_after, "
      "j.created_at, j.updated_at, p.id AS provider_id, p.name AS provider_name, "
      "p.organization_id, p.billing_alias, " +
      std::string(kStateSql) +
      " AS view_state, (SELECT s.label FROM provider_steps s WHERE s.provider_id = p.id AND "
      "s.state <> 'done' ORDER BY s.position LIMIT 1) AS open_step, (SELECT s.label FROM "
      "provider_steps s WHERE s.provider_id = p.id ORDER BY s.position DESC LIMIT 1) AS "
      "last_step, j.data FROM jobs j LEFT JOIN providers p ON p.job_id = j.id WHERE "
      "(j.kind = 'onboarding' AND p.id IS NOT NULL AND p.deleted_at IS NULL) OR "
      "j.id LIKE 'recurring:%') t";
  std::vector<store::Param> params{now, now};
  if (state) {
    sql += " WHERE view_state = ?";
    params.emplace_back(*state);
  }
  sql += " ORDER BY updated_at DESC, id DESC LIMIT ?";
  params.emplace_back(limit);
  PC_ASSIGN_OR_RETURN(auto tx, db.Begin());
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, params));
  std::vector<JobView> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    JobView j;
    j.id = r.Text("id");
    j.kind = r.Text("kind");
    if (!r.IsNull("provider_id")) {
      j.provider_id = r.Text("provider_id");
      j.provider_name = r.Text("provider_name");
      j.organization_id = r.Text("organization_id");
      j.billing_alias = r.IsNull("billing_alias") ? "" : r.Text("billing_alias");
    }
    j.state = r.Text("view_state");
    j.step = r.Text("step");
    j.step_title = !r.IsNull("open_step")   ? r.Text("open_step")
                   : !r.IsNull("last_step") ? r.Text("last_step")
                                            : "";
    if (!j.provider_id) {  // a recurring job (jobs/recurring.h): its schedule and last run
      auto data = ParseJsonObject(r.Text("data"));
      if (data.ok() && data->contains("intervalSeconds")) {
        j.step_title = "Every " + json::serialize(data->at("intervalSeconds")) + " s";
        if (data->contains("lastSuccessAt")) {
          j.step_title += ", last done " + std::string(data->at("lastSuccessAt").as_string());
        }
      } else {
        j.step_title = "Not run yet";
      }
    }
    j.attempts = r.Int("attempts");
    if (!r.IsNull("last_error")) j.last_error = r.Text("last_error");
    if (j.state == "queued" || j.state == "waiting") j.next_attempt_at = r.Text("run_after");
    j.created_at = r.Text("created_at");
    j.updated_at = r.Text("updated_at");
    out.push_back(std::move(j));
  }
  return out;
}

json::object ToJson(const JobView& j) {
  auto optional = [](const std::optional<std::string>& v) {
    return v ? json::value(*v) : json::value(nullptr);
  };
  return {{"id", j.id},
          {"kind", j.kind},
          {"providerId", optional(j.provider_id)},
          {"providerName", optional(j.provider_name)},
          {"organizationId", optional(j.organization_id)},
          {"billingAlias", optional(j.billing_alias)},
          {"state", j.state},
          {"step", j.step},
          {"stepTitle", j.step_title},
          {"attempts", j.attempts},
          {"lastError", optional(j.last_error)},
          {"nextAttemptAt", optional(j.next_attempt_at)},
          {"createdAt", j.created_at},
          {"updatedAt", j.updated_at}};
}

}  // namespace pc::onboarding
