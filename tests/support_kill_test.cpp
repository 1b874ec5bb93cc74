// Crash safety of the mail intake: 200 messages piped into `partnercloud support mail-in`, each
// run SIGKILLed at a random point and retried on a non-zero exit as an MTA would, on SQLite and
// PostgreSQL: every message ends up stored exactly once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "tests/harness.h"
#include "tests/support_fixtures.h"

namespace pc::test {
namespace {

// Runs mail-in (`key_setting`: its --set of the secret key file) with `stdin_path` as standard
// input; SIGKILLs it after `kill_after` unless it ended before. Returns the exit code, or
// -SIGKILL when it was killed.
int RunOnce(const std::string& url, const std::string& key_setting, const std::string& stdin_path,
            std::chrono::milliseconds kill_after) {
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(stdin_path.c_str(), O_RDONLY);
    int null = open("/dev/null", O_WRONLY);
    dup2(in, 0);
    dup2(null, 1);
    dup2(null, 2);
    std::string bin = BinaryPath();
    execl(bin.c_str(), bin.c_str(), "support", "mail-in", "--database", url.c_str(), "--set",
          key_setting.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + kill_after;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

class SupportKillTest : public ::testing::TestWithParam<Backend> {};

TEST_P(SupportKillTest, EveryMessageIsStoredExactlyOnceDespiteKills) {
  TestDatabase db = MakeDatabase(GetParam());
  ASSERT_FALSE(db.url.empty());
  AddSupportUsers(db.url);
  MakeCspCustomer(db.url, "Acme", "ACME", "admin@acme.example");
  std::string dir = TempDir("pc-support-kill");
  std::mt19937 rng(GetParam() == Backend::kSqlite ? 13 : 31);
  std::uniform_int_distribution<int> delay_ms(0, 700);
  int kills = 0, attempts = 0;
  for (int i = 0; i < 200; ++i) {
    std::string path = dir + "/m" + std::to_string(i) + ".eml";
    std::ofstream(path) << "From: "
                        << (i % 2 ? "Ada <admin@acme.example>" : "Dev <dev@acme.example>")
                        << "\r\nTo: support@partner.example\r\nSubject: Question " << i
                        << "\r\nMessage-ID: <kill-" << i << "@acme.example>\r\n"
                        << "Content-Type: text/plain; charset=utf-8\r\n\r\nOur invoice number " << i
                        << " looks wrong.\r\n";
    // Retried on any non-zero exit, like an MTA; after three kills a run may finish.
    for (int attempt = 0;; ++attempt) {
      ++attempts;
      auto limit =
          attempt < 3 ? std::chrono::milliseconds(delay_ms(rng)) : std::chrono::milliseconds(60000);
      int code = RunOnce(db.url, "security.secret_key_file=" + dir + "/secret.key", path, limit);
      if (code == 0) break;
      if (code == -SIGKILL) ++kills;
      ASSERT_TRUE(code == -SIGKILL || code == 75) << "message " << i << ": exit " << code;
      ASSERT_LT(attempt, 10) << "message " << i << " never stored";
    }
  }
  std::cout << "[ kills    ] " << kills << " SIGKILLs in " << attempts << " runs\n";
  EXPECT_GT(kills, 20) << "the test should kill many runs";
  auto store = store::Database::Open(db.url);
  ASSERT_TRUE(store.ok());
  auto rows = (*store)->InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query(
        "SELECT (SELECT COUNT(*) FROM support_raw_messages), (SELECT COUNT(DISTINCT dedup_key) "
        "FROM support_raw_messages), (SELECT COUNT(*) FROM support_tickets), (SELECT COUNT(*) "
        "FROM support_messages WHERE kind = 'in'), (SELECT COUNT(*) FROM support_raw_messages "
        "WHERE state <> 'stored' OR ticket_id IS NULL)");
  });
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  const auto& r = (*rows)[0];
  EXPECT_EQ(r.Int(0), 200);
  EXPECT_EQ(r.Int(1), 200);
  EXPECT_EQ(r.Int(2), 200);
  EXPECT_EQ(r.Int(3), 200);
  EXPECT_EQ(r.Int(4), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, SupportKillTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace pc::test
