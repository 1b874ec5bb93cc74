// The durable job runner on SQLite and PostgreSQL: steps advance, failures back off and stop,
// resumes work, an expired lease is taken over, and concurrent runners run each step once.
#include "jobs/runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/random.h"
#include "core/time.h"
#include "store/scratch_database.h"

namespace pc::jobs {
namespace {

using store::TestBackend;

class RunnerTest : public testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    InitCrypto();
    auto created = scratch_.Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.error().message;
    db_ = Open();
  }

  std::unique_ptr<store::Database> Open() {
    auto db = store::Database::Open(scratch_.url());
    EXPECT_TRUE(db.ok()) << db.error().message;
    EXPECT_TRUE((*db)->Migrate().ok());
    return std::move(db).value();
  }

  std::string Enqueue(const std::string& kind, const std::string& step, json::object data = {}) {
    auto tx = db_->Begin();
    EXPECT_TRUE(tx.ok());
    auto id = JobRunner::Enqueue(**tx, kind, step, data);
    EXPECT_TRUE(id.ok()) << id.error().message;
    EXPECT_TRUE((*tx)->Commit().ok());
    return *id;
  }

  Job Load(const std::string& id) {
    auto tx = db_->Begin();
    auto job = JobRunner::Load(**tx, id);
    EXPECT_TRUE(job.ok() && job->has_value());
    return **job;
  }

  std::string State(const std::string& id) {
    auto tx = db_->Begin();
    auto rows = (*tx)->Query("SELECT state, last_error FROM jobs WHERE id = ?", {id});
    return rows->at(0).Text("state") + "|" + rows->at(0).Text("last_error");
  }

  void Exec(const std::string& sql, const std::vector<store::Param>& params = {}) {
    auto tx = db_->Begin();
    ASSERT_TRUE((*tx)->Execute(sql, params).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  static RunnerOptions FastOptions() {
    RunnerOptions o;
    o.workers = 2;
    o.poll_interval = std::chrono::milliseconds(10);
    o.base_backoff = std::chrono::milliseconds(1);
    o.max_backoff = std::chrono::milliseconds(5);
    o.max_attempts = 3;
    return o;
  }

  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
};

TEST_P(RunnerTest, StepsAdvanceAndDataIsKept) {
  JobRunner runner(*db_, FastOptions());
  runner.Register("count", [](Job& job) {
    int64_t n = job.data.contains("n") ? job.data["n"].as_int64() : 0;
    job.data["n"] = n + 1;
    if (job.step == "a") return StepResult::Next("b");
    if (job.step == "b") return StepResult::Next("c");
    return StepResult::Done();
  });
  std::string id = Enqueue("count", "a");
  while (runner.RunOnce()) {
  }
  EXPECT_EQ(State(id), "done|");
  Job job = Load(id);
  EXPECT_EQ(job.step, "c");
  EXPECT_EQ(job.data["n"].as_int64(), 3);
}

TEST_P(RunnerTest, FailuresBackOffThenStopWithTheMessageAndResumeContinues) {
  JobRunner runner(*db_, FastOptions());
  std::atomic<bool> healthy{false};
  runner.Register("flaky", [&](Job&) {
    if (!healthy) return StepResult::Retry("upstream answered 503");
    return StepResult::Done();
  });
  std::string id = Enqueue("flaky", "call");
  for (int i = 0; i < 200 && State(id).starts_with("queued"); ++i) {
    runner.RunOnce();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(State(id), "failed|Gave up after 3 attempts: upstream answered 503");

  healthy = true;
  {
    auto tx = db_->Begin();
    ASSERT_TRUE(JobRunner::Resume(**tx, id).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  while (runner.RunOnce()) {
  }
  EXPECT_EQ(State(id), "done|");
  // Resuming a job that is not failed is refused.
  auto tx = db_->Begin();
  EXPECT_FALSE(JobRunner::Resume(**tx, id).ok());
}

TEST_P(RunnerTest, AFailStopsAtOnceAndWaitsDoNotUseUpAttempts) {
  JobRunner runner(*db_, FastOptions());
  int polls = 0;
  runner.Register("waits", [&](Job& job) {
    if (job.step == "wait" && ++polls < 6) return StepResult::Wait(std::chrono::milliseconds(1));
    if (job.step == "wait") return StepResult::Next("refuse");
    return StepResult::Fail("The address is outside the territory; fix it and resume");
  });
  std::string id = Enqueue("waits", "wait");
  for (int i = 0; i < 100 && State(id).starts_with("queued"); ++i) {
    runner.RunOnce();
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  EXPECT_EQ(polls, 6);  // more polls than max_attempts, none counted as failures
  EXPECT_EQ(State(id), "failed|The address is outside the territory; fix it and resume");
}

TEST_P(RunnerTest, AnExpiredLeaseOfADeadWorkerIsTakenOver) {
  JobRunner runner(*db_, FastOptions());
  runner.Register("k", [](Job&) { return StepResult::Done(); });
  std::string id = Enqueue("k", "s");
  // A worker claimed it and died: while its lease runs, nobody else takes the job...
  Exec("UPDATE jobs SET lease_owner = 'dead/x', lease_expires_at = ? WHERE id = ?",
       {FormatTimestamp(Now() + std::chrono::hours(1)), id});
  EXPECT_FALSE(runner.RunOnce());
  // ...and once the lease has run out, the job is taken over.
  Exec("UPDATE jobs SET lease_expires_at = ? WHERE id = ?",
       {FormatTimestamp(Now() - std::chrono::seconds(1)), id});
  EXPECT_TRUE(runner.RunOnce());
  EXPECT_EQ(State(id), "done|");
}

// Waits until `condition` holds or `limit` passes; returns whether it held.
template <typename Condition>
bool WaitFor(Condition condition, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A gate a step handler waits at until the test opens it.
class Gate {
 public:
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST_P(RunnerTest, ASlowStepWithinItsDeadlineKeepsItsLease) {
  RunnerOptions slow = FastOptions();
  slow.lease = std::chrono::milliseconds(600);  // renewed every 200 ms while the step runs
  JobRunner a(*db_, slow);
  std::atomic<bool> started{false};
  Gate gate;
  a.Register("k", [&](Job&) {
    started = true;
    gate.Wait();  // runs for as long as the test says
    return StepResult::Done();
  });
  auto db_b = Open();
  JobRunner b(*db_b, FastOptions());
  b.Register("k", [](Job&) { return StepResult::Fail("b must not run this step"); });
  std::string id = Enqueue("k", "s");
  std::thread t([&] { a.RunOnce(); });
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  auto lease_end = [&] {
    auto tx = db_->Begin();
    auto rows = (*tx)->Query("SELECT lease_expires_at FROM jobs WHERE id = ?", {id});
    return *ParseTimestamp(rows->at(0).Text("lease_expires_at"));
  };
  // Past the end of the lease a took, a has renewed it: b finds nothing to take.
  auto first_end = lease_end();
  bool renewed = WaitFor([&] { return Now() > first_end && lease_end() > Now(); });
  EXPECT_TRUE(renewed) << "the heartbeat did not renew the lease";
  EXPECT_FALSE(b.RunOnce());
  gate.Open();
  t.join();
  EXPECT_EQ(State(id), "done|");
}

TEST_P(RunnerTest, AWorkerThatLostItsLeaseRecordsNothing) {
  RunnerOptions slow = FastOptions();
  slow.lease = std::chrono::milliseconds(100);
  slow.step_deadline = std::chrono::milliseconds(50);  // past it, the lease is not renewed
  JobRunner a(*db_, slow);
  std::atomic<int> runs{0};
  Gate gate;
  a.Register("k", [&](Job& job) {
    ++runs;
    gate.Wait();  // outlives the lease
    job.data["by"] = "a";
    return StepResult::Next("second");
  });
  auto db_b = Open();
  JobRunner b(*db_b, FastOptions());
  b.Register("k", [&](Job& job) {
    job.data["by"] = "b";
    return StepResult::Done();
  });
  std::string id = Enqueue("k", "first");
  std::thread t([&] { a.RunOnce(); });
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 1; }));
  // Once a's lease has run out, b takes the job over and finishes it.
  EXPECT_TRUE(WaitFor([&] { return b.RunOnce(); }));
  gate.Open();
  t.join();
  EXPECT_EQ(State(id), "done|");
  EXPECT_EQ(Load(id).data["by"].as_string(), "b");  // a's late result was discarded
}

TEST_P(RunnerTest, TwoRunnersShareTheWorkAndRunEachStepOnce) {
  Exec(
      "CREATE TABLE step_runs (job_id TEXT NOT NULL, step TEXT NOT NULL, runner TEXT NOT NULL, "
      "UNIQUE (job_id, step))");
  std::atomic<int> duplicates{0};
  auto handler_for = [&](store::Database& db, const std::string& name) {
    return [&db, &duplicates, name](Job& job) {
      auto tx = db.Begin();
      auto inserted =
          (*tx)->Execute("INSERT INTO step_runs (job_id, step, runner) VALUES (?, ?, ?)",
                         {job.id, job.step, name});
      if (!inserted.ok()) {
        ++duplicates;
        return StepResult::Retry(inserted.error().message);
      }
      if (!(*tx)->Commit().ok()) return StepResult::Retry("commit failed");
      if (job.step == "one") return StepResult::Next("two");
      if (job.step == "two") return StepResult::Next("three");
      return StepResult::Done();
    };
  };
  auto db_b = Open();
  RunnerOptions options = FastOptions();
  options.workers = 3;
  JobRunner a(*db_, options), b(*db_b, options);
  a.Register("three-steps", handler_for(*db_, "a"));
  b.Register("three-steps", handler_for(*db_b, "b"));
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; ++i) Enqueue("three-steps", "one");
  a.Start();
  b.Start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int64_t done = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto tx = db_->Begin();
    auto rows = (*tx)->Query("SELECT COUNT(*) AS n FROM jobs WHERE state = 'done'");
    done = rows->at(0).Int("n");
    if (done == kJobs) break;
    tx->reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  a.Stop();
  b.Stop();
  EXPECT_EQ(done, kJobs);
  EXPECT_EQ(duplicates, 0);
  auto tx = db_->Begin();
  auto rows = (*tx)->Query(
      "SELECT COUNT(*) AS n, SUM(CASE WHEN runner = 'a' THEN 1 ELSE 0 END) AS by_a FROM step_runs");
  EXPECT_EQ(rows->at(0).Int("n"), 3 * kJobs);
  int64_t by_a = rows->at(0).Int("by_a");
  EXPECT_GT(by_a, 0) << "runner a did no work";
  EXPECT_LT(by_a, 3 * kJobs) << "runner b did no work";
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return store::TestBackendName(info.param); });

}  // namespace
}  // namespace pc::jobs
