// Durable job runner: jobs live in the database and are advanced one step at a time by workers
// holding a lease, so that a crash (kill -9) at any instant loses nothing: the lease expires and
// another worker, in this process or another, resumes the job at its recorded step.
//
// A job has a kind, a current step and a JSON object of data. The handler for its kind runs one
// step and says what happens next (StepResult). The runner records the result and the new data
// in one transaction with the lease check, so a worker whose lease was taken over cannot record
// anything. Steps must be idempotent: a step interrupted by a crash runs again.
//
// Claiming uses FOR UPDATE SKIP LOCKED on PostgreSQL (many processes share the work) and the
// serialized write transactions of SQLite.
// Thread-safe: one JobRunner per process, with N worker threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace pc::jobs {

struct Job {
  std::string id;
  std::string kind;
  std::string step;
  json::object data;
  int attempts = 0;  // failed attempts of the current step
  std::string lease_owner;
};

// What a step handler decided.
struct StepResult {
  enum class Kind {
    kNext,   // the step is done; continue with `next_step` (immediately, or after `delay`)
    kDone,   // the job is finished
    kRetry,  // try this step again later (transient failure or waiting on an upstream)
    kFail,   // stop the job: a person must act (message says what); an operator can resume it
  } kind = Kind::kDone;
  std::string next_step;
  std::string message;                             // kRetry / kFail: why
  std::optional<std::chrono::milliseconds> delay;  // kRetry: at least this long (Retry-After);
                                                   // kNext: the next step runs this much later
  bool counts_as_failure = true;  // kRetry: false for "still waiting", which is not
                                  // an error and does not use up attempts

  static StepResult Next(std::string step) { return {Kind::kNext, std::move(step), "", {}, true}; }
  // The step is done (attempts reset, last error cleared); `step` runs after `delay`.
  static StepResult NextAfter(std::string step, std::chrono::milliseconds delay) {
    return {Kind::kNext, std::move(step), "", delay, true};
  }
  static StepResult Done() { return {Kind::kDone, "", "", {}, true}; }
  static StepResult Retry(std::string why, std::optional<std::chrono::milliseconds> delay = {}) {
    return {Kind::kRetry, "", std::move(why), delay, true};
  }
  static StepResult Wait(std::chrono::milliseconds delay, std::string why = "waiting") {
    return {Kind::kRetry, "", std::move(why), delay, false};
  }
  static StepResult Fail(std::string message) {
    return {Kind::kFail, "", std::move(message), {}, true};
  }
};

// Runs one step of `job`. It may change job.data; the change is saved with the result.
// It may throw: that counts as a retryable failure with the exception's message.
using StepHandler = std::function<StepResult(Job& job)>;

// Called in the same transaction that records a step's result (e.g. to update the provider
// row that mirrors the job). Returning an error rolls the recording back (the step runs again).
using StepObserver =
    std::function<Status(store::Transaction& tx, const Job& job, const StepResult& result)>;

struct RunnerOptions {
  int workers = 4;
  // This process's name in leases. With `instance` set (InstanceIdentity, jobs/instance.h) it
  // is "<instance>:<incarnation>"; otherwise `owner` (a random name when empty).
  std::string owner;
  std::string instance;                    // stable across restarts, held by this process alone
  std::string incarnation;                 // this run of the process (random when empty)
  std::chrono::milliseconds lease{30000};  // renewed every third of it while a step runs
  std::chrono::milliseconds step_deadline{300000};  // a step running longer loses its lease
  std::chrono::milliseconds poll_interval{100};     // idle workers look for work this often
  int max_attempts = 8;                             // failed attempts of one step before kFail
  std::chrono::milliseconds base_backoff{500};
  std::chrono::milliseconds max_backoff{60000};
};

class JobRunner {
 public:
  JobRunner(store::Database& db, RunnerOptions options);
  ~JobRunner();  // stops the workers

  void Register(std::string kind, StepHandler handler, StepObserver observer = nullptr);

  // Inserts a queued job inside the caller's transaction (so it commits with the row that
  // needs it). Returns the job id.
  static Result<std::string> Enqueue(store::Transaction& tx, std::string_view kind,
                                     std::string_view first_step, const json::object& data,
                                     std::optional<std::string> id = std::nullopt);
  // Puts a failed job back in the queue at its current step with its attempts reset.
  static Status Resume(store::Transaction& tx, std::string_view job_id);
  static Result<std::optional<Job>> Load(store::Transaction& tx, std::string_view job_id);

  // Starts the workers, after ReclaimPreviousIncarnations when the runner has an instance.
  void Start();
  // Releases the leases held by earlier incarnations of this runner's instance (dead: the
  // instance is held by one live process only, see jobs/instance.h), so that workers take their
  // jobs over now instead of when the leases run out. Leases of other instances are untouched.
  // Returns how many leases were released (0 without an instance).
  Result<int64_t> ReclaimPreviousIncarnations();
  // "<instance>:<incarnation>" (or the owner option); leases are "<owner>/<claim>".
  const std::string& owner() const { return options_.owner; }
  // Asks the workers to stop after their current step and waits for them.
  void Stop();
  // Wakes idle workers now (after Enqueue).
  void Poke();

  // Claims and runs at most one step of one ready job on the calling thread. Returns true if a
  // step ran. For tests and for single-threaded tools.
  bool RunOnce();

  int64_t steps_run() const { return steps_run_.load(); }

 private:
  struct Registration {
    StepHandler handler;
    StepObserver observer;
  };
  Result<std::optional<Job>> Claim();
  Status Record(const Job& job, const StepResult& result);
  std::chrono::milliseconds Backoff(int attempts) const;
  void WorkerLoop();

  store::Database& db_;
  RunnerOptions options_;
  std::map<std::string, Registration> handlers_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> steps_run_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace pc::jobs
