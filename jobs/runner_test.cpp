// The durable job runner on SQLite and PostgreSQL: steps advance, failures back off and stop,
// resumes work, an expired lease is taken over, and concurrent runners run each step once.
#include "jobs/runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/random.h"
#include "core/time.h"
#include "jobs/deferral.h"
#include "jobs/instance.h"
#include "jobs/recurring.h"
#include "jobs/upstream_pacing.h"
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

// A step whose upstream budget is empty gives its worker back (jobs/deferral.h): the job waits
// for the token without using up an attempt, and the worker runs other steps meanwhile.
TEST_P(RunnerTest, AStepWaitingForItsRateLimitGivesItsWorkerBack) {
  JobRunner runner(*db_, FastOptions());
  KeyedPacer pacer(nullptr, /*per_minute=*/60, /*burst=*/1);  // a token a second
  std::atomic<int> calls{0}, deferred{0};
  runner.Register("paced", [&](Job&) {
    try {
      pacer.Acquire("partner_center");
    } catch (const StepDeferred&) {
      ++deferred;
      throw;
    }
    ++calls;
    return StepResult::Done();
  });
  runner.Register("free", [](Job&) { return StepResult::Done(); });
  std::string first = Enqueue("paced", "call");
  std::string second = Enqueue("paced", "call");
  std::string other = Enqueue("free", "run");
  // One worker (this thread): the first takes the bucket's token, the second finds it empty and
  // is deferred, so the third job runs before the second's token comes.
  while (State(other) != "done|" && runner.RunOnce()) {
  }
  EXPECT_EQ(State(first), "done|");
  EXPECT_EQ(State(other), "done|");
  EXPECT_EQ(deferred.load(), 1);
  EXPECT_EQ(State(second), "queued|") << "waiting is not an error";
  EXPECT_EQ(Load(second).attempts, 0) << "a wait for the rate limit is not a failed attempt";
  // Outside a job step the pacer sleeps instead.
  EXPECT_NO_THROW(pacer.Acquire("partner_center"));
  for (int i = 0; i < 400 && State(second) != "done|"; ++i) {
    runner.RunOnce();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(State(second), "done|");
  EXPECT_EQ(calls.load(), 2);
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

// A restarted process (a new incarnation of the same instance) takes over at once what its
// previous incarnation held, and leaves alone the leases of another live instance and its own.
TEST_P(RunnerTest, ANewIncarnationTakesOverItsDeadPredecessorsLeasesAtOnce) {
  RunnerOptions options = FastOptions();
  options.instance = "inst-a";
  JobRunner runner(*db_, options);
  EXPECT_TRUE(runner.owner().starts_with("inst-a:"));
  std::vector<std::string> ran;
  runner.Register("k", [&](Job& job) {
    ran.push_back(job.id);
    return StepResult::Done();
  });
  std::string mine_before = Enqueue("k", "s");  // held by inst-a's previous run (killed)
  std::string other = Enqueue("k", "s");        // held by another live process
  std::string mine_now = Enqueue("k", "s");     // held by this very run
  std::string similar = Enqueue("k", "s");      // an instance whose name extends ours
  auto until = FormatTimestamp(Now() + std::chrono::seconds(30));
  Exec("UPDATE jobs SET lease_owner = 'inst-a:oldrun/x1', lease_expires_at = ? WHERE id = ?",
       {until, mine_before});
  Exec("UPDATE jobs SET lease_owner = 'inst-b:live/x2', lease_expires_at = ? WHERE id = ?",
       {until, other});
  Exec("UPDATE jobs SET lease_owner = ?, lease_expires_at = ? WHERE id = ?",
       {runner.owner() + "/x3", until, mine_now});
  Exec("UPDATE jobs SET lease_owner = 'inst-a2:live/x4', lease_expires_at = ? WHERE id = ?",
       {until, similar});
  EXPECT_FALSE(runner.RunOnce());  // every job is leased for 30 s

  auto reclaimed = runner.ReclaimPreviousIncarnations();
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.error().message;
  EXPECT_EQ(*reclaimed, 1);
  EXPECT_TRUE(runner.RunOnce());  // now, not in 30 s
  EXPECT_FALSE(runner.RunOnce());
  EXPECT_EQ(ran, std::vector<std::string>{mine_before});
  EXPECT_EQ(State(mine_before), "done|");
  EXPECT_EQ(Load(other).lease_owner, "inst-b:live/x2");
  EXPECT_EQ(Load(mine_now).lease_owner, runner.owner() + "/x3");
  EXPECT_EQ(Load(similar).lease_owner, "inst-a2:live/x4");
}

// LIKE wildcards in an instance name match only themselves.
TEST_P(RunnerTest, ReclaimingTreatsWildcardsInTheInstanceLiterally) {
  RunnerOptions options = FastOptions();
  options.instance = "a_%";
  JobRunner runner(*db_, options);
  runner.Register("k", [](Job&) { return StepResult::Done(); });
  std::string other = Enqueue("k", "s");
  auto until = FormatTimestamp(Now() + std::chrono::seconds(30));
  Exec("UPDATE jobs SET lease_owner = 'abc:run/x', lease_expires_at = ? WHERE id = ?",
       {until, other});
  auto reclaimed = runner.ReclaimPreviousIncarnations();
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.error().message;
  EXPECT_EQ(*reclaimed, 0);
  EXPECT_EQ(Load(other).lease_owner, "abc:run/x");
}

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

// The instance identity: the same instance after the holder ends (SIGKILL included: the kernel
// drops the lock), another one for a second live holder, a new one for a copied file.
TEST(InstanceIdentityTest, SurvivesRestartsAndIsNeverSharedByTwoLiveHolders) {
  InitCrypto();
  char tmpl[] = "/tmp/pc-instance-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string path = dir + "/data/instance.id";
  std::string first_instance;
  {
    auto a = InstanceIdentity::Acquire(path);
    ASSERT_TRUE(a.durable());
    EXPECT_EQ(a.file(), path);
    first_instance = a.instance();
    // A second live holder (another open file description: flock conflicts even within one
    // process) gets the next slot and another instance.
    auto b = InstanceIdentity::Acquire(path);
    ASSERT_TRUE(b.durable());
    EXPECT_EQ(b.file(), path + ".2");
    EXPECT_NE(b.instance(), a.instance());
    // While `a` lives, its file stays locked.
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_NE(flock(fd, LOCK_EX | LOCK_NB), 0);
    ::close(fd);
  }
  // The next run gets the same instance back, with a new incarnation.
  auto again = InstanceIdentity::Acquire(path);
  EXPECT_EQ(again.instance(), first_instance);
  EXPECT_EQ(again.file(), path);
  auto again2 = InstanceIdentity::Acquire(path);
  EXPECT_NE(again2.instance(), first_instance);
  EXPECT_NE(again.incarnation(), InstanceIdentity::Acquire(dir + "/other.id").incarnation());

  // A copy of the data folder elsewhere is a different instance.
  std::string copy = dir + "/copy.id";
  std::filesystem::copy_file(path, copy);
  auto copied = InstanceIdentity::Acquire(copy);
  EXPECT_TRUE(copied.durable());
  EXPECT_NE(copied.instance(), first_instance);

  // No writable place: an ephemeral identity, never an error.
  auto nowhere = InstanceIdentity::Acquire("/proc/no-such-dir/instance.id");
  EXPECT_FALSE(nowhere.durable());
  EXPECT_FALSE(nowhere.instance().empty());
  std::filesystem::remove_all(dir);
}

// Recurring jobs (jobs/recurring.h): two runners (two processes) each register the same
// schedule; every tick runs once, the next a full interval after, and a failing tick is retried.
TEST_P(RunnerTest, RecurringJobRunsEachTickOnceAcrossRunners) {
  auto other_db = Open();
  std::atomic<int> ticks{0};
  std::atomic<int> fail_next{0};
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> at;
  auto tick = [&]() -> Status {
    {
      std::lock_guard lock(mu);
      at.push_back(std::chrono::steady_clock::now());
    }
    if (fail_next.exchange(0) > 0) return Unavailable("upstream down");
    ticks.fetch_add(1);
    return {};
  };
  constexpr auto kInterval = std::chrono::milliseconds(300);
  RunnerOptions options;
  options.workers = 3;
  options.poll_interval = std::chrono::milliseconds(10);
  options.base_backoff = std::chrono::milliseconds(10);
  JobRunner a(*db_, options), b(*other_db, options);
  RecurringJobs ra(*db_, a), rb(*other_db, b);
  ra.Register({"test-tick", kInterval, tick});
  rb.Register({"test-tick", kInterval, tick});
  a.Start();
  b.Start();
  ASSERT_TRUE(ra.Start().ok());
  ASSERT_TRUE(rb.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return ticks.load() >= 4; }, std::chrono::seconds(60)));
  fail_next = 1;
  ASSERT_TRUE(WaitFor([&] { return ticks.load() >= 6; }, std::chrono::seconds(60)));
  a.Stop();
  b.Stop();
  std::lock_guard lock(mu);
  for (size_t i = 1; i < at.size(); ++i) {
    // One tick at a time, each at least the interval after the previous one began (the next
    // is due an interval after one ends), never two processes at once.
    EXPECT_GE(at[i] - at[i - 1], kInterval) << "tick " << i;
  }
  auto tx = db_->Begin();
  ASSERT_TRUE(tx.ok());
  auto rows = (*tx)->Query("SELECT state, data FROM jobs WHERE id = ?",
                           {RecurringJobs::JobId("test-tick")});
  ASSERT_TRUE(rows.ok() && rows->size() == 1u);
  EXPECT_EQ((*rows)[0].Text("state"), "queued");
  auto data = ParseJsonObject((*rows)[0].Text("data"));
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->at("runs").as_int64(), ticks.load());
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return store::TestBackendName(info.param); });

}  // namespace
}  // namespace pc::jobs
