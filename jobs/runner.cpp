#include "jobs/runner.h"

#include <spdlog/spdlog.h>

#include "core/random.h"
#include "core/time.h"
#include "core/uuid.h"
#include "jobs/deferral.h"
#include "jobs/instance.h"

namespace pc::jobs {

using store::Param;

namespace {

std::string At(std::chrono::milliseconds from_now) {
  return FormatTimestamp(Now() + std::chrono::duration_cast<std::chrono::microseconds>(from_now));
}

}  // namespace

JobRunner::JobRunner(store::Database& db, RunnerOptions options)
    : db_(db), options_(std::move(options)) {
  if (!options_.instance.empty()) {
    if (options_.incarnation.empty()) options_.incarnation = RandomToken(6);
    options_.owner = options_.instance + ":" + options_.incarnation;
  }
  if (options_.owner.empty()) options_.owner = "worker-" + RandomToken(6);
}

Result<int64_t> JobRunner::ReclaimPreviousIncarnations() {
  if (options_.instance.empty()) return int64_t{0};
  std::string now = FormatTimestamp(Now());
  std::string ours = OwnersOfInstancePattern(options_.instance);
  std::string this_run = options_.owner + "/";  // a literal prefix: escaped for LIKE
  std::string this_run_pattern;
  for (char c : this_run) {
    if (c == '\\' || c == '%' || c == '_') this_run_pattern += '\\';
    this_run_pattern += c;
  }
  this_run_pattern += '%';
  return db_.InTransaction<int64_t>([&](store::Transaction& tx) -> Result<int64_t> {
    return tx.Execute(
        "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
        "WHERE state = 'queued' AND lease_owner LIKE ? ESCAPE '\\' "
        "AND lease_owner NOT LIKE ? ESCAPE '\\'",
        {now, ours, this_run_pattern});
  });
}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Register(std::string kind, StepHandler handler, StepObserver observer) {
  handlers_[std::move(kind)] = {std::move(handler), std::move(observer)};
}

Result<std::string> JobRunner::Enqueue(store::Transaction& tx, std::string_view kind,
                                       std::string_view first_step, const json::object& data,
                                       std::optional<std::string> id) {
  std::string job_id = id.value_or(Uuid::V7().ToString());
  std::string now = FormatTimestamp(Now());
  PC_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO jobs (id, kind, step, state, data, attempts, run_after, created_at, "
      "updated_at) VALUES (?, ?, ?, 'queued', ?, 0, ?, ?, ?)",
      {job_id, std::string(kind), std::string(first_step), json::serialize(data), now, now, now}));
  return job_id;
}

Status JobRunner::Resume(store::Transaction& tx, std::string_view job_id) {
  std::string now = FormatTimestamp(Now());
  PC_ASSIGN_OR_RETURN(int64_t n,
                      tx.Execute("UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, "
                                 "lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
                                 "WHERE id = ? AND state = 'failed'",
                                 {now, now, std::string(job_id)}));
  if (n == 0) return FailedPrecondition("Only a failed job can be resumed");
  return {};
}

Result<std::optional<Job>> JobRunner::Load(store::Transaction& tx, std::string_view job_id) {
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, kind, step, data, attempts, lease_owner "
                                          "FROM jobs WHERE id = ?",
                                          {std::string(job_id)}));
  if (rows.empty()) return std::optional<Job>{};
  Job job;
  job.id = rows[0].Text("id");
  job.kind = rows[0].Text("kind");
  job.step = rows[0].Text("step");
  auto data = ParseJsonObject(rows[0].Text("data"));
  if (data.ok()) job.data = std::move(*data);
  job.attempts = static_cast<int>(rows[0].Int("attempts"));
  job.lease_owner = rows[0].Text("lease_owner");
  return std::optional<Job>(std::move(job));
}

Result<std::optional<Job>> JobRunner::Claim() {
  if (handlers_.empty()) return std::optional<Job>{};
  std::string now = FormatTimestamp(Now());
  std::string lease_owner = options_.owner + "/" + RandomToken(6);
  std::string kinds;
  std::vector<Param> params = {lease_owner, At(options_.lease), now, now, now};
  for (const auto& [kind, reg] : handlers_) {
    kinds += kinds.empty() ? "?" : ", ?";
    params.emplace_back(kind);
  }
  bool pg = db_.dialect() == store::Dialect::kPostgres;
  std::string sql =
      "UPDATE jobs SET lease_owner = ?, lease_expires_at = ?, updated_at = ? WHERE id = ("
      "SELECT id FROM jobs WHERE state = 'queued' AND run_after <= ? AND "
      "(lease_expires_at IS NULL OR lease_expires_at < ?) AND kind IN (" +
      kinds + ") ORDER BY run_after LIMIT 1" + (pg ? " FOR UPDATE SKIP LOCKED" : "") +
      ") RETURNING id, kind, step, data, attempts";
  auto rows = db_.InTransaction<store::Rows>([&](store::Transaction& tx) -> Result<store::Rows> {
    PC_ASSIGN_OR_RETURN(auto r, tx.Query(sql, params));
    return r;
  });
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Job>{};
  const auto& row = (*rows)[0];
  Job job;
  job.id = row.Text("id");
  job.kind = row.Text("kind");
  job.step = row.Text("step");
  auto data = ParseJsonObject(row.Text("data"));
  if (data.ok()) job.data = std::move(*data);
  job.attempts = static_cast<int>(row.Int("attempts"));
  job.lease_owner = lease_owner;
  return std::optional<Job>(std::move(job));
}

std::chrono::milliseconds JobRunner::Backoff(int attempts) const {
  int64_t ceiling = options_.base_backoff.count() << std::min(attempts, 16);
  ceiling = std::min<int64_t>(ceiling, options_.max_backoff.count());
  // Jitter between half and all of the ceiling.
  int64_t half = std::max<int64_t>(1, ceiling / 2);
  return std::chrono::milliseconds(half + RandomUniform(static_cast<uint32_t>(half)));
}

Status JobRunner::Record(const Job& job, const StepResult& result_in) {
  StepResult result = result_in;
  std::string now = FormatTimestamp(Now());
  std::string data = json::serialize(job.data);
  std::string sql;
  std::vector<Param> params;
  switch (result.kind) {
    case StepResult::Kind::kNext:
      sql =
          "UPDATE jobs SET step = ?, data = ?, attempts = 0, run_after = ?, last_error = NULL, "
          "lease_owner = NULL, lease_expires_at = NULL, updated_at = ?";
      params = {result.next_step, data, result.delay ? At(*result.delay) : now, now};
      break;
    case StepResult::Kind::kDone:
      sql =
          "UPDATE jobs SET state = 'done', data = ?, last_error = NULL, lease_owner = NULL, "
          "lease_expires_at = NULL, updated_at = ?";
      params = {data, now};
      break;
    case StepResult::Kind::kRetry: {
      int attempts = job.attempts + (result.counts_as_failure ? 1 : 0);
      if (result.counts_as_failure && attempts >= options_.max_attempts) {
        result = StepResult::Fail("Gave up after " + std::to_string(attempts) +
                                  " attempts: " + result.message);
        sql =
            "UPDATE jobs SET state = 'failed', data = ?, attempts = ?, last_error = ?, "
            "lease_owner = NULL, lease_expires_at = NULL, updated_at = ?";
        params = {data, int64_t{attempts}, result.message, now};
        break;
      }
      auto wait = result.counts_as_failure ? Backoff(attempts) : std::chrono::milliseconds(0);
      if (result.delay) wait = std::max(wait, *result.delay);
      sql =
          "UPDATE jobs SET data = ?, attempts = ?, run_after = ?, last_error = ?, "
          "lease_owner = NULL, lease_expires_at = NULL, updated_at = ?";
      params = {data, int64_t{attempts}, At(wait),
                result.counts_as_failure ? Param(result.message) : Param(nullptr), now};
      break;
    }
    case StepResult::Kind::kFail:
      sql =
          "UPDATE jobs SET state = 'failed', data = ?, last_error = ?, lease_owner = NULL, "
          "lease_expires_at = NULL, updated_at = ?";
      params = {data, result.message, now};
      break;
  }
  sql += " WHERE id = ? AND lease_owner = ?";
  params.emplace_back(job.id);
  params.emplace_back(job.lease_owner);
  const auto& reg = handlers_.at(job.kind);
  return db_.InTransaction([&](store::Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(int64_t n, tx.Execute(sql, params));
    if (n == 0) {
      return Conflict("The lease on job " + job.id + " was lost; another worker has it");
    }
    if (reg.observer) PC_RETURN_IF_ERROR(reg.observer(tx, job, result));
    return {};
  });
}

bool JobRunner::RunOnce() {
  auto claimed = Claim();
  if (!claimed.ok()) {
    spdlog::warn("job claim failed: {}", claimed.error().message);
    return false;
  }
  if (!*claimed) return false;
  Job job = std::move(**claimed);
  const auto& reg = handlers_.at(job.kind);
  StepResult result;
  {
    // Heartbeat: while the step runs (up to its deadline) the lease is renewed, so a slow but
    // live step is not taken over; a dead process stops renewing and its lease runs out.
    std::mutex mu;
    std::condition_variable cv;
    bool finished = false;
    std::thread heartbeat([&] {
      auto deadline = std::chrono::steady_clock::now() + options_.step_deadline;
      std::unique_lock lock(mu);
      while (!cv.wait_for(lock, options_.lease / 3, [&] { return finished; })) {
        if (std::chrono::steady_clock::now() > deadline) {
          spdlog::warn("job {} step {} passed its deadline; its lease is no longer renewed", job.id,
                       job.step);
          return;
        }
        lock.unlock();
        auto renewed = db_.InTransaction([&](store::Transaction& tx) -> Status {
          PC_RETURN_IF_ERROR(
              tx.Execute("UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ?",
                         {At(options_.lease), job.id, job.lease_owner}));
          return {};
        });
        if (!renewed.ok())
          spdlog::warn("job {}: lease not renewed: {}", job.id, renewed.error().message);
        lock.lock();
      }
    });
    try {
      DeferralScope deferrable;
      result = reg.handler(job);
    } catch (const StepDeferred& deferred) {
      result = StepResult::Wait(deferred.wait, deferred.why);
    } catch (const std::exception& e) {
      result = StepResult::Retry(std::string("unexpected error: ") + e.what());
    }
    {
      std::lock_guard lock(mu);
      finished = true;
    }
    cv.notify_all();
    heartbeat.join();
  }
  Status recorded = Record(job, result);
  if (!recorded.ok()) {
    spdlog::warn("job {} step {}: result not recorded: {}", job.id, job.step,
                 recorded.error().message);
  }
  steps_run_.fetch_add(1);
  return true;
}

void JobRunner::WorkerLoop() {
  while (!stopping_) {
    if (RunOnce()) continue;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.poll_interval, [this] { return stopping_.load(); });
  }
}

void JobRunner::Start() {
  auto reclaimed = ReclaimPreviousIncarnations();
  if (!reclaimed.ok()) {
    spdlog::warn("jobs: leases of earlier runs of this instance not reclaimed: {}",
                 reclaimed.error().message);
  } else if (*reclaimed > 0) {
    spdlog::info("jobs: took over {} job(s) leased by an earlier run of this instance ({})",
                 *reclaimed, options_.instance);
  }
  stopping_ = false;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void JobRunner::Stop() {
  stopping_ = true;
  cv_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

void JobRunner::Poke() { cv_.notify_all(); }

}  // namespace pc::jobs
