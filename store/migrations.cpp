// Database::Migrate and SchemaVersion, shared by both backends.
#include "store/migrations.h"

#include <set>
#include <string>

#include "core/time.h"
#include "store/backend.h"

namespace pc::store::internal {

namespace {

// pg_advisory_xact_lock key that serializes migrations across processes ("pcmigrat").
constexpr int64_t kMigrationLockKey = 0x70636d6967726174;

constexpr std::string_view kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

// Starts a migration transaction: on PostgreSQL it holds the migration lock until it ends, so
// concurrent Migrate() calls from other processes wait; on SQLite BEGIN IMMEDIATE already does.
Result<std::unique_ptr<BackendTransaction>> BeginLocked(Dialect dialect, const BeginFn& begin) {
  PC_ASSIGN_OR_RETURN(auto tx, begin());
  if (dialect == Dialect::kPostgres) {
    PC_RETURN_IF_ERROR(tx->Query("SELECT pg_advisory_xact_lock(?)", {kMigrationLockKey}));
  }
  PC_RETURN_IF_ERROR(tx->Execute(kCreateSchemaMigrations));
  return tx;
}

Result<std::set<int>> AppliedVersions(Transaction& tx) {
  PC_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT version FROM schema_migrations"));
  std::set<int> versions;
  for (const Row& row : rows) versions.insert(static_cast<int>(row.Int(0)));
  return versions;
}

Status Apply(Dialect dialect, const BeginFn& begin, const Migration& migration) {
  PC_ASSIGN_OR_RETURN(auto tx, BeginLocked(dialect, begin));
  // Another process may have applied it since we looked.
  PC_ASSIGN_OR_RETURN(Rows done, tx->Query("SELECT 1 FROM schema_migrations WHERE version = ?",
                                           {int64_t{migration.version}}));
  if (!done.empty()) return Status::Ok();
  std::string_view sql =
      dialect == Dialect::kSqlite ? migration.sqlite_sql : migration.postgres_sql;
  if (Status s = tx->ExecuteScript(sql); !s.ok()) {
    return Error(s.error().code, "migration " + std::to_string(migration.version) + "_" +
                                     std::string(migration.name) + ": " + s.error().message);
  }
  PC_RETURN_IF_ERROR(tx->Execute(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
      {int64_t{migration.version}, std::string(migration.name), FormatTimestamp(Now())}));
  return tx->Commit();
}

}  // namespace

Status ApplyMigrations(Dialect dialect, const BeginFn& begin) {
  std::set<int> applied;
  {
    PC_ASSIGN_OR_RETURN(auto tx, BeginLocked(dialect, begin));
    PC_ASSIGN_OR_RETURN(applied, AppliedVersions(*tx));
    PC_RETURN_IF_ERROR(tx->Commit());
  }
  for (const Migration& migration : CompiledMigrations()) {
    if (applied.contains(migration.version)) continue;
    PC_RETURN_IF_ERROR(Apply(dialect, begin, migration));
  }
  return Status::Ok();
}

Result<int> ReadSchemaVersion(Dialect dialect, const BeginFn& begin) {
  PC_ASSIGN_OR_RETURN(auto tx, begin());
  std::string_view exists =
      dialect == Dialect::kSqlite
          ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
          : "SELECT COUNT(*) FROM pg_catalog.pg_tables "
            "WHERE schemaname = current_schema() AND tablename = 'schema_migrations'";
  PC_ASSIGN_OR_RETURN(Rows found, tx->Query(exists));
  if (found.at(0).Int(0) == 0) return 0;
  PC_ASSIGN_OR_RETURN(Rows rows,
                      tx->Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return static_cast<int>(rows.at(0).Int(0));
}

}  // namespace pc::store::internal
