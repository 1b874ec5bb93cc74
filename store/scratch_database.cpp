#include "store/scratch_database.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "core/random.h"

namespace pc::store {

std::string TestBackendName(TestBackend backend) {
  return backend == TestBackend::kSqlite ? "SQLite" : "PostgreSQL";
}

std::string PostgresAdminExec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  return error;
}

std::string PostgresUrlWithDatabase(const std::string& url, const std::string& name) {
  size_t authority = url.find("://") + 3;
  size_t query = url.find('?', authority);
  size_t slash = url.find('/', authority);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  size_t path_end =
      slash != std::string::npos && slash < query ? slash : std::min(query, url.size());
  return url.substr(0, path_end) + "/" + name + rest;
}

Status ScratchDatabase::Create(TestBackend backend) {
  static std::atomic<int> counter{0};
  std::string unique = std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
                       std::to_string(RandomUniform(1000000));
  if (backend == TestBackend::kSqlite) {
    dir_ = std::filesystem::temp_directory_path() / ("pc_scratch_" + unique);
    std::filesystem::create_directories(dir_);
    url_ = "sqlite:" + (dir_ / "partnercloud.db").string();
    return {};
  }
  const char* admin = std::getenv("PARTNERCLOUD_TEST_PG_URL");
  if (admin == nullptr || *admin == '\0') {
    return FailedPrecondition(
        "PARTNERCLOUD_TEST_PG_URL is not set: run the tests under scripts/with-postgres.sh "
        "(make test does), which starts a throwaway PostgreSQL server");
  }
  admin_url_ = admin;
  pg_database_ = "pc_scratch_" + unique;
  std::string error = PostgresAdminExec(admin_url_, "CREATE DATABASE " + pg_database_);
  if (!error.empty()) return Unavailable("Cannot create a test database: " + error);
  url_ = PostgresUrlWithDatabase(admin_url_, pg_database_);
  return {};
}

ScratchDatabase::~ScratchDatabase() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  if (!pg_database_.empty()) {
    PostgresAdminExec(admin_url_, "DROP DATABASE IF EXISTS " + pg_database_ + " WITH (FORCE)");
  }
}

}  // namespace pc::store
