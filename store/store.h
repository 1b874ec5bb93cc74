// Store: one interface over two SQL backends, chosen by URL.
//
//   sqlite:PATH              embedded SQLite file (WAL, busy timeout, foreign keys on)
//   postgresql://...         PostgreSQL through libpq (also postgres://)
//
// SQL is written once with `?` placeholders; the PostgreSQL backend rewrites them to $1..$n
// (outside quoted strings). Keep SQL portable: TEXT, BIGINT/INTEGER, no REAL for money
// (decimals are stored as text or as integers of minor units), UUID keys as TEXT.
//
// Thread-safety: a Database is shared by all threads; a Transaction belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace pc::store {

enum class Dialect { kSqlite, kPostgres };

// A bound parameter: NULL, an integer or text. On PostgreSQL an integer is a bigint, text is
// text and NULL is untyped (it fits any column; where nothing else gives it a type, as in
// "? IS NULL", write CAST(? AS TEXT)).
using Param = std::variant<std::nullptr_t, int64_t, std::string>;

// One result row: column values as text (NULL = nullopt), in SELECT order.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> names,
      std::vector<std::optional<std::string>> values)
      : names_(std::move(names)), values_(std::move(values)) {}

  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const { return !values_.at(i).has_value(); }
  // Text of column i; "" for NULL.
  const std::string& Text(size_t i) const;
  // Integer value of column i; 0 for NULL. Throws std::runtime_error if not an integer.
  int64_t Int(size_t i) const;
  const std::optional<std::string>& Get(size_t i) const { return values_.at(i); }
  // By column name (as in the SELECT list); throws std::out_of_range for an unknown name.
  const std::string& Text(std::string_view column) const;
  int64_t Int(std::string_view column) const;
  bool IsNull(std::string_view column) const;

 private:
  size_t IndexOf(std::string_view column) const;
  std::shared_ptr<const std::vector<std::string>> names_;
  std::vector<std::optional<std::string>> values_;
};

using Rows = std::vector<Row>;

// An open transaction. Destroying it without Commit() rolls it back.
// Errors: a unique or foreign-key violation is ErrorCode::kConflict (the message names the
// constraint); lock contention or a serialization failure is kUnavailable (retryable);
// anything else kInternal. Messages never include parameter values.
// After a statement fails the transaction is finished on both backends (as PostgreSQL does):
// later calls and Commit() return that first error. Write "INSERT ... ON CONFLICT DO NOTHING"
// rather than catching a conflict and carrying on.
// Isolation: SQLite write transactions are serialized and read-only ones (BeginRead) see a
// snapshot; PostgreSQL ones run at READ COMMITTED (read-only: REPEATABLE READ), so a
// read-modify-write uses a single UPDATE (SET n = n + 1 ... RETURNING) or, on kPostgres,
// SELECT ... FOR UPDATE.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual Result<Rows> Query(std::string_view sql, const std::vector<Param>& params = {}) = 0;
  // Runs a statement; returns the number of rows changed.
  virtual Result<int64_t> Execute(std::string_view sql, const std::vector<Param>& params = {}) = 0;
  virtual Status Commit() = 0;
  virtual Dialect dialect() const = 0;
};

class Database {
 public:
  virtual ~Database() = default;

  // Opens a database by URL. Does not migrate. Errors name the URL scheme problem or the
  // connection failure (without the password).
  static Result<std::unique_ptr<Database>> Open(std::string_view url);

  virtual Dialect dialect() const = 0;
  // Starts a transaction. On SQLite a write transaction (BEGIN IMMEDIATE) is always used so that
  // two writers never deadlock on a lock upgrade. Connections come from a pool; when all are in
  // use, Begin() waits for one, so a thread must not hold one Transaction while beginning another.
  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;

  // Starts a read-only transaction that sees one snapshot of the database, for the read paths
  // (a GET, an authentication). On SQLite it runs on a separate pool of query-only connections
  // with a deferred BEGIN, so in WAL mode readers wait neither for the writer nor for each
  // other; on PostgreSQL it is REPEATABLE READ, READ ONLY. A statement that writes fails
  // (kInternal). Same pool rule as Begin(): do not hold one while beginning another.
  virtual Result<std::unique_ptr<Transaction>> BeginRead() { return Begin(); }
  // Applies every migration compiled into the binary that this database has not applied yet,
  // in order, each in its own transaction; safe to run concurrently from several processes.
  virtual Status Migrate() = 0;
  // The highest applied migration number (0 if none).
  virtual Result<int> SchemaVersion() = 0;
  // A trivial round trip (for /readyz).
  virtual Status Ping() = 0;

  // Runs fn in a transaction and commits if fn succeeds. Retries the whole transaction a few
  // times, with a short jittered backoff, when it fails with kUnavailable (busy / serialization).
  template <class T>
  Result<T> InTransaction(const std::function<Result<T>(Transaction&)>& fn);
  Status InTransaction(const std::function<Status(Transaction&)>& fn);

  // Runs fn in a read-only transaction (BeginRead), with the same retries.
  template <class T>
  Result<T> InReadTransaction(const std::function<Result<T>(Transaction&)>& fn);
  Status InReadTransaction(const std::function<Status(Transaction&)>& fn);
};

namespace detail {

inline constexpr int kTransactionAttempts = 8;
// Sleeps before retry number `attempt` (1-based): a few ms, doubling up to ~200 ms, jittered.
void SleepBeforeRetry(int attempt);

// The body of Database::InTransaction, shared by Result<T> and Status.
enum class Access { kReadWrite, kReadOnly };

template <class R>
R RunInTransaction(Database& db, const std::function<R(Transaction&)>& fn,
                   Access access = Access::kReadWrite) {
  for (int attempt = 1;; ++attempt) {
    Error error;
    if (auto tx = access == Access::kReadOnly ? db.BeginRead() : db.Begin(); !tx.ok()) {
      error = tx.error();
    } else if (R result = fn(**tx); !result.ok()) {
      error = result.error();
    } else if (Status committed = (*tx)->Commit(); !committed.ok()) {
      error = committed.error();
    } else {
      return result;
    }
    if (error.code != ErrorCode::kUnavailable || attempt >= kTransactionAttempts) return error;
    SleepBeforeRetry(attempt);  // the failed transaction was rolled back when `tx` went away
  }
}

}  // namespace detail

template <class T>
Result<T> Database::InTransaction(const std::function<Result<T>(Transaction&)>& fn) {
  return detail::RunInTransaction<Result<T>>(*this, fn);
}

template <class T>
Result<T> Database::InReadTransaction(const std::function<Result<T>(Transaction&)>& fn) {
  return detail::RunInTransaction<Result<T>>(*this, fn, detail::Access::kReadOnly);
}

}  // namespace pc::store
