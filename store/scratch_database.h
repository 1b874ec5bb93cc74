// ScratchDatabase: a fresh, empty database for a test, on SQLite (a file in a temporary folder)
// or on the PostgreSQL server that scripts/with-postgres.sh started (a new database there, named
// by PARTNERCLOUD_TEST_PG_URL). Removed when destroyed. For tests only.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace pc::store {

enum class TestBackend { kSqlite, kPostgres };
std::string TestBackendName(TestBackend backend);

class ScratchDatabase {
 public:
  ScratchDatabase() = default;
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  // Creates the database. Errors say what is missing (e.g. PARTNERCLOUD_TEST_PG_URL).
  Status Create(TestBackend backend);
  // The URL to open it with (Database::Open, --database).
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::filesystem::path dir_;
  std::string admin_url_;
  std::string pg_database_;
};

// Runs one statement outside a transaction on the PostgreSQL server at `url`; "" or the error.
std::string PostgresAdminExec(const std::string& url, const std::string& sql);
// `url` with its database name replaced.
std::string PostgresUrlWithDatabase(const std::string& url, const std::string& name);

}  // namespace pc::store
