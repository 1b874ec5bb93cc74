// What the two store backends share. Internal to store/: other folders include store.h only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "store/store.h"

namespace pc::store::internal {

Result<std::unique_ptr<Database>> OpenSqlite(std::string_view path);
Result<std::unique_ptr<Database>> OpenPostgres(std::string_view url);

// A transaction that can also run a script of several statements (a migration file).
class BackendTransaction : public Transaction {
 public:
  virtual Status ExecuteScript(std::string_view sql) = 0;
};

using BeginFn = std::function<Result<std::unique_ptr<BackendTransaction>>()>;

// Database::Migrate and Database::SchemaVersion for either backend.
Status ApplyMigrations(Dialect dialect, const BeginFn& begin);
Result<int> ReadSchemaVersion(Dialect dialect, const BeginFn& begin);

// What both backends' Database does the same way, on top of BeginBackend.
class BackendDatabase : public Database {
 public:
  // A transaction on a pooled connection.
  virtual Result<std::unique_ptr<BackendTransaction>> BeginBackend() = 0;

  // A read-only transaction (Database::BeginRead).
  virtual Result<std::unique_ptr<BackendTransaction>> BeginReadBackend() = 0;

  Result<std::unique_ptr<Transaction>> Begin() final {
    PC_ASSIGN_OR_RETURN(auto tx, BeginBackend());
    return std::unique_ptr<Transaction>(std::move(tx));
  }
  Result<std::unique_ptr<Transaction>> BeginRead() final {
    PC_ASSIGN_OR_RETURN(auto tx, BeginReadBackend());
    return std::unique_ptr<Transaction>(std::move(tx));
  }
  Status Migrate() final {
    return ApplyMigrations(dialect(), [this] { return BeginBackend(); });
  }
  Result<int> SchemaVersion() final {
    return ReadSchemaVersion(dialect(), [this] { return BeginBackend(); });
  }
  Status Ping() final {
    PC_ASSIGN_OR_RETURN(auto tx, BeginReadBackend());
    PC_RETURN_IF_ERROR(tx->Query("SELECT 1"));
    return Status::Ok();
  }
};

// The first words of a statement, for error messages: never the whole statement, never values.
std::string Abbreviate(std::string_view sql);

// Rewrites `?` placeholders to $1..$n, leaving quoted strings, quoted identifiers and comments
// alone. Fails if the count of placeholders is not `param_count`.
Result<std::string> RewritePlaceholders(std::string_view sql, size_t param_count);

}  // namespace pc::store::internal
