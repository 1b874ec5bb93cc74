// Recurring jobs: a named function run every `interval` by exactly one of the processes that
// share the database (the usage pull, the month close; next governance reconcile, budget
// evaluation, support SLA checks).
//
// Each recurring job is one row of the jobs table (jobs/runner.h): id "recurring:<name>", kind
// <name>, step "tick". The runner claims it under a lease like any job (FOR UPDATE SKIP LOCKED on
// PostgreSQL, serialized writes on SQLite), with this process's stable instance identity
// (jobs/instance.h), so a tick runs in one process; when the tick is done the row's next run is
// `interval` later. A process that dies mid-tick loses its lease and another (or its own next
// run) runs the tick again: a tick must be idempotent. A failed tick is retried with backoff
// (its error is the job's last error, GET /api/v1/jobs); after the runner's max attempts the job
// stops, and Start() at the next process start queues it again.
// Register before JobRunner::Start; Start once the process may run the jobs (after the demo's
// history, say): until then a claimed tick is put back for a second.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "jobs/runner.h"
#include "store/store.h"

namespace pc::jobs {

struct RecurringJob {
  std::string name;  // the job's kind, e.g. "usage-pull"; [a-z0-9-]
  std::chrono::milliseconds interval{0};
  std::function<Status()> tick;  // one run; an error is retried with backoff
};

class RecurringJobs {
 public:
  RecurringJobs(store::Database& db, JobRunner& runner);

  // Registers the job's handler with the runner (before JobRunner::Start).
  void Register(RecurringJob job);
  // Creates the row of each registered job that has none (due now), queues again one that
  // stopped, and lets claimed ticks run. Idempotent; every process calls it at its start.
  Status Start();

  // "recurring:<name>", the job's id.
  static std::string JobId(std::string_view name);
  // Makes the job `name` due no later than `at` (a pull soon after a provider became ready).
  // Any process may call it; the tick still runs once.
  static Status DueBy(store::Database& db, std::string_view name, Timestamp at);

 private:
  store::Database& db_;
  JobRunner& runner_;
  std::vector<std::string> names_;
  std::shared_ptr<std::atomic<bool>> started_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace pc::jobs
