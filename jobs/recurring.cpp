#include "jobs/recurring.h"

#include <spdlog/spdlog.h>

namespace pc::jobs {

namespace {

constexpr std::string_view kTick = "tick";

}  // namespace

RecurringJobs::RecurringJobs(store::Database& db, JobRunner& runner) : db_(db), runner_(runner) {}

std::string RecurringJobs::JobId(std::string_view name) { return "recurring:" + std::string(name); }

void RecurringJobs::Register(RecurringJob job) {
  names_.push_back(job.name);
  runner_.Register(job.name, [job, started = started_](Job& row) -> StepResult {
    if (!started->load()) return StepResult::Wait(std::chrono::seconds(1), "not started yet");
    std::string began = FormatTimestamp(Now());
    Status done = job.tick();
    row.data["intervalSeconds"] =
        std::chrono::duration_cast<std::chrono::seconds>(job.interval).count();
    row.data["lastRunAt"] = began;
    if (!done.ok()) {
      spdlog::warn("{}: {}", job.name, done.error().message);
      return StepResult::Retry(done.error().message, job.interval);
    }
    row.data["lastSuccessAt"] = began;
    int64_t runs =
        row.data.contains("runs") && row.data["runs"].is_int64() ? row.data["runs"].as_int64() : 0;
    row.data["runs"] = runs + 1;
    return StepResult::NextAfter(std::string(kTick), job.interval);
  });
}

Status RecurringJobs::Start() {
  std::string now = FormatTimestamp(Now());
  for (const auto& name : names_) {
    PC_RETURN_IF_ERROR(db_.InTransaction([&](store::Transaction& tx) -> Status {
      PC_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO jobs (id, kind, step, state, data, attempts, run_after, created_at, "
          "updated_at) VALUES (?, ?, ?, 'queued', '{}', 0, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
          {JobId(name), name, std::string(kTick), now, now, now}));
      PC_RETURN_IF_ERROR(tx.Execute(
          "UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, lease_owner = NULL, "
          "lease_expires_at = NULL, updated_at = ? WHERE id = ? AND state <> 'queued'",
          {now, now, JobId(name)}));
      return {};
    }));
  }
  started_->store(true);
  runner_.Poke();
  return {};
}

Status RecurringJobs::DueBy(store::Database& db, std::string_view name, Timestamp at) {
  std::string when = FormatTimestamp(at);
  return db.InTransaction([&](store::Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE jobs SET run_after = ?, updated_at = ? WHERE id = ? AND state = 'queued' AND "
        "run_after > ?",
        {when, FormatTimestamp(Now()), JobId(name), when}));
    return {};
  });
}

}  // namespace pc::jobs
