// The SQLite backend: two small pools of connections to one file in WAL mode, one for write
// transactions (BEGIN IMMEDIATE, one at a time) and one of query-only connections for reads.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/backend.h"
#include "store/connection_pool.h"

namespace pc::store::internal {

namespace {

constexpr size_t kMaxConnections = 4;
// Readers do not block each other in WAL mode: enough for every server thread (server.threads
// defaults to twice the cores, at most 16) to read at once. Opened as needed.
constexpr size_t kMaxReadConnections = 16;
constexpr int kBusyTimeoutMs = 5000;
constexpr size_t kMaxCachedStatements = 128;

// Maps a SQLite result code (extended codes are on) to an Error. sqlite3_errmsg names the
// constraint ("UNIQUE constraint failed: users.email") and never a bound value.
Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string message = "sqlite: " + std::string(what) + ": " +
                        (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Conflict(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

// One connection and its prepared statements. Used by one transaction at a time.
class Connection {
 public:
  Connection(sqlite3* db, bool read_only) : db_(db), read_only_(read_only) {}
  ~Connection() {
    for (auto& [sql, prepared] : statements_) sqlite3_finalize(prepared.stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  bool read_only() const { return read_only_; }

  // Runs a statement without parameters or rows (BEGIN, COMMIT), prepared once.
  int Exec(std::string_view sql) {
    auto stmt = Prepare(sql);
    if (!stmt.ok()) return sqlite3_errcode(db_) != SQLITE_OK ? sqlite3_errcode(db_) : SQLITE_ERROR;
    int rc = sqlite3_step(stmt->stmt);
    int reset = sqlite3_reset(stmt->stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : (reset != SQLITE_OK ? reset : rc);
  }

  // A prepared statement, reset and unbound, owned by the connection; with its column names.
  struct Prepared {
    sqlite3_stmt* stmt = nullptr;
    std::shared_ptr<const std::vector<std::string>> names;
  };

  // The prepared statement for `sql`.
  Result<Prepared> Prepare(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    std::string key(sql);
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare \"" + Abbreviate(sql) + "\"");
    if (stmt == nullptr) return Internal("sqlite: empty statement");
    if (tail != nullptr &&
        std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      sqlite3_finalize(stmt);
      return Internal("sqlite: more than one statement in \"" + Abbreviate(sql) + "\"");
    }
    if (statements_.size() >= kMaxCachedStatements) {
      for (auto& [cached_sql, cached] : statements_) sqlite3_finalize(cached.stmt);
      statements_.clear();
    }
    auto names = std::make_shared<std::vector<std::string>>();
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      names->emplace_back(sqlite3_column_name(stmt, c));
    }
    Prepared prepared{stmt, std::move(names)};
    statements_.emplace(std::move(key), prepared);
    return prepared;
  }

 private:
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  sqlite3* db_;
  const bool read_only_;
  std::unordered_map<std::string, Prepared, SqlHash, std::equal_to<>> statements_;
};

class SqliteDatabase;

class SqliteTransaction final : public BackendTransaction {
 public:
  SqliteTransaction(SqliteDatabase* owner, std::unique_ptr<Connection> conn)
      : owner_(owner), conn_(std::move(conn)) {}
  ~SqliteTransaction() override;

  Result<Rows> Query(std::string_view sql, const std::vector<Param>& params) override {
    Rows rows;
    PC_RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, const std::vector<Param>& params) override {
    PC_RETURN_IF_ERROR(Run(sql, params, nullptr));
    return static_cast<int64_t>(sqlite3_changes64(conn_->db()));
  }

  Status ExecuteScript(std::string_view sql) override {
    PC_RETURN_IF_ERROR(Usable());
    char* err = nullptr;
    std::string script(sql);
    int rc = sqlite3_exec(conn_->db(), script.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);  // sqlite3_errmsg says the same
    if (rc != SQLITE_OK) return Fail(SqliteError(conn_->db(), rc, "script"));
    return Status::Ok();
  }

  Status Commit() override {
    PC_RETURN_IF_ERROR(Usable());
    int rc = conn_->Exec("COMMIT");
    if (rc != SQLITE_OK) return Fail(SqliteError(conn_->db(), rc, "COMMIT"));
    done_ = true;
    return Status::Ok();
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

 private:
  Status Usable() const {
    if (failed_) return *failed_;
    if (done_) return Internal("store: the transaction has already been committed");
    return Status::Ok();
  }

  Error Fail(Error error) {
    failed_ = error;
    return error;
  }

  // Runs one statement; collects its rows into `rows` when not null.
  Status Run(std::string_view sql, const std::vector<Param>& params, Rows* rows) {
    PC_RETURN_IF_ERROR(Usable());
    auto prepared = conn_->Prepare(sql);
    if (!prepared.ok()) return Fail(prepared.error());
    sqlite3_stmt* stmt = prepared->stmt;
    Status status = Step(stmt, prepared->names, sql, params, rows);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (!status.ok()) return Fail(status.error());
    return status;
  }

  Status Step(sqlite3_stmt* stmt, std::shared_ptr<const std::vector<std::string>> names,
              std::string_view sql, const std::vector<Param>& params, Rows* rows) {
    sqlite3* db = conn_->db();
    if (static_cast<size_t>(sqlite3_bind_parameter_count(stmt)) != params.size()) {
      return Internal("store: \"" + Abbreviate(sql) + "\" has " +
                      std::to_string(sqlite3_bind_parameter_count(stmt)) + " placeholders but " +
                      std::to_string(params.size()) + " parameters were given");
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        // SQLITE_STATIC: `params` outlives the statement's use; bindings are cleared after.
        rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, index);
      }
      if (rc != SQLITE_OK) return SqliteError(db, rc, "bind");
    }
    bool named = false;  // the names checked against the statement as it runs now
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return Status::Ok();
      if (rc != SQLITE_ROW) return SqliteError(db, rc, "\"" + Abbreviate(sql) + "\"");
      if (rows == nullptr) continue;
      // A schema change re-prepares the statement: "SELECT *" may then have other columns.
      if (!named && static_cast<size_t>(sqlite3_column_count(stmt)) != names->size()) {
        auto fresh = std::make_shared<std::vector<std::string>>();
        for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
          fresh->emplace_back(sqlite3_column_name(stmt, c));
        }
        names = std::move(fresh);
      }
      named = true;
      std::vector<std::optional<std::string>> values;
      values.reserve(names->size());
      for (int c = 0; c < static_cast<int>(names->size()); ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          values.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          values.emplace_back(std::string(text, sqlite3_column_bytes(stmt, c)));
        }
      }
      rows->emplace_back(names, std::move(values));
    }
  }

  SqliteDatabase* owner_;
  std::unique_ptr<Connection> conn_;
  std::optional<Error> failed_;
  bool done_ = false;
};

class SqliteDatabase final : public BackendDatabase {
 public:
  explicit SqliteDatabase(std::string path)
      : path_(std::move(path)),
        pool_(path_ == ":memory:" ? 1 : kMaxConnections, [this] { return Connect(false); }),
        read_pool_(kMaxReadConnections, [this] { return Connect(true); }) {}

  Dialect dialect() const override { return Dialect::kSqlite; }

  // Opens one connection now so that Open() reports a bad path at once.
  Status Warm() {
    PC_ASSIGN_OR_RETURN(auto conn, Acquire());
    Release(std::move(conn));
    return Status::Ok();
  }

  Result<std::unique_ptr<BackendTransaction>> BeginBackend() override {
    PC_ASSIGN_OR_RETURN(auto conn, Acquire());
    return Start(std::move(conn), "BEGIN IMMEDIATE");
  }

  // A deferred BEGIN takes its snapshot at the first read and never the write lock. An
  // in-memory database has one connection, which reads use too.
  Result<std::unique_ptr<BackendTransaction>> BeginReadBackend() override {
    if (path_ == ":memory:") return BeginBackend();
    PC_ASSIGN_OR_RETURN(auto conn, read_pool_.Acquire());
    return Start(std::move(conn), "BEGIN");
  }

  // Takes back a connection after a transaction; one still inside a transaction (its ROLLBACK
  // failed) is closed rather than handed to the next caller.
  void Release(std::unique_ptr<Connection> conn) {
    bool idle = sqlite3_get_autocommit(conn->db()) != 0;
    auto& pool = conn->read_only() ? read_pool_ : pool_;
    pool.Release(std::move(conn), idle);
  }

 private:
  Result<std::unique_ptr<Connection>> Acquire() { return pool_.Acquire(); }

  Result<std::unique_ptr<BackendTransaction>> Start(std::unique_ptr<Connection> conn,
                                                    std::string_view begin) {
    int rc = conn->Exec(begin);
    if (rc != SQLITE_OK) {
      Error error = SqliteError(conn->db(), rc, begin);
      Release(std::move(conn));
      return error;
    }
    return std::unique_ptr<BackendTransaction>(
        std::make_unique<SqliteTransaction>(this, std::move(conn)));
  }

  // A read connection is query-only: a write through it fails instead of taking the lock.
  Result<std::unique_ptr<Connection>> Connect(bool read_only) {
    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(path_.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto conn = std::make_unique<Connection>(raw, read_only);  // closes `raw` even on failure
    if (rc != SQLITE_OK) {
      return SqliteError(raw, rc, "cannot open database file \"" + path_ + "\"");
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
    std::string pragmas =
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";
    if (read_only) pragmas += " PRAGMA query_only = ON;";
    rc = sqlite3_exec(raw, pragmas.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(raw, rc, "configure \"" + path_ + "\"");
    return conn;
  }

  const std::string path_;
  ConnectionPool<std::unique_ptr<Connection>> pool_;
  ConnectionPool<std::unique_ptr<Connection>> read_pool_;
};

SqliteTransaction::~SqliteTransaction() {
  // After some errors (e.g. SQLITE_FULL) SQLite has already rolled the transaction back.
  if (!done_ && sqlite3_get_autocommit(conn_->db()) == 0) {
    sqlite3_exec(conn_->db(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  owner_->Release(std::move(conn_));
}

}  // namespace

// The database holds password hashes, sealed secrets and bills: only its owner may read it.
// SQLite creates the -wal and -shm files with the database file's mode, so creating that one
// 0600 covers all three; files an older version created world-readable are tightened.
Status RestrictPermissions(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) return Status::Ok();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(ErrorCode::kUnavailable,
                 "cannot open database file \"" + path + "\": " + std::strerror(errno));
  }
  ::close(fd);
  for (const std::string& file : {path, path + "-wal", path + "-shm", path + "-journal"}) {
    struct stat st;
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      ::chmod(file.c_str(), st.st_mode & 0700);
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Database>> OpenSqlite(std::string_view path) {
  // SQLite counts every allocation under one process-wide mutex unless told not to (we never
  // read those statistics); this must happen before the first connection.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  PC_RETURN_IF_ERROR(RestrictPermissions(std::string(path)));
  auto db = std::make_unique<SqliteDatabase>(std::string(path));
  PC_RETURN_IF_ERROR(db->Warm());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace pc::store::internal
