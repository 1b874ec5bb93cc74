// The PostgreSQL backend: libpq connections in a pool that grows on demand.
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/backend.h"
#include "store/connection_pool.h"

namespace pc::store::internal {

namespace {

constexpr size_t kMaxConnections = 16;

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};

// The statements a connection keeps prepared: a read transaction's queries, by text and
// parameter types, so that the server parses and plans each once per connection, not once per
// request. Bounded; beyond it a query runs unprepared.
constexpr size_t kMaxPreparedPerConnection = 512;

// A libpq connection and what is prepared on it.
class PgConn {
 public:
  PgConn() = default;
  explicit PgConn(PGconn* conn) : conn_(conn) {}
  PGconn* get() const { return conn_.get(); }
  bool operator==(std::nullptr_t) const { return conn_ == nullptr; }

  std::unordered_map<std::string, std::string> prepared;  // key (see StatementKey) → name
  int64_t next_statement = 0;

 private:
  std::unique_ptr<PGconn, PgConnDeleter> conn_;
};

// Notices ("relation already exists, skipping") are not errors; keep them off stderr.
void IgnoreNotice(void*, const char*) {}

// Replaces every occurrence of `secret` in `text`.
std::string Redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
    at += 3;
  }
  return text;
}

std::string TrimEnd(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Maps a failed result to an Error by SQLSTATE. Built from the primary message, the constraint
// name and the SQLSTATE only: PostgreSQL's DETAIL ("Key (email)=(a@b.c) already exists") and
// data-exception messages ("invalid input syntax for type integer: \"x\"") quote values.
Error PgResultError(const PGresult* result, std::string_view what) {
  auto field = [&](int code) -> std::string {
    const char* v = PQresultErrorField(result, code);
    return v != nullptr ? v : "";
  };
  std::string state = field(PG_DIAG_SQLSTATE);
  std::string primary = field(PG_DIAG_MESSAGE_PRIMARY);
  if (state.starts_with("22")) primary = "invalid value for its type";
  if (primary.empty()) primary = "error";  // the full message may carry a DETAIL with values
  std::string message = "postgres: " + std::string(what) + ": " + primary;
  if (std::string constraint = field(PG_DIAG_CONSTRAINT_NAME); !constraint.empty()) {
    message += " (constraint " + constraint + ")";
  }
  if (!state.empty()) message += " [SQLSTATE " + state + "]";
  if (state.starts_with("23")) return Conflict(std::move(message));
  if (state == "40001" || state == "40P01" || state == "55P03" || state.starts_with("08") ||
      state.starts_with("53") || state.starts_with("57P")) {
    return Unavailable(std::move(message));
  }
  return Internal(std::move(message));
}

class PostgresDatabase;

constexpr const char* kBeginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

class PostgresTransaction final : public BackendTransaction {
 public:
  // `deferred_begin`: a BEGIN not yet sent, which goes out with the first statement.
  PostgresTransaction(PostgresDatabase* owner, PgConn conn, const char* deferred_begin = nullptr)
      : owner_(owner), conn_(std::move(conn)), begin_(deferred_begin), read_(deferred_begin) {}
  ~PostgresTransaction() override;

  Result<Rows> Query(std::string_view sql, const std::vector<Param>& params) override {
    PC_ASSIGN_OR_RETURN(PgResult result, Run(sql, params));
    int columns = PQnfields(result.get());
    int count = PQntuples(result.get());
    auto names = std::make_shared<std::vector<std::string>>();
    names->reserve(columns);
    for (int c = 0; c < columns; ++c) names->emplace_back(PQfname(result.get(), c));
    Rows rows;
    rows.reserve(count);
    for (int r = 0; r < count; ++r) {
      std::vector<std::optional<std::string>> values;
      values.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          values.emplace_back(std::nullopt);
        } else {
          values.emplace_back(
              std::string(PQgetvalue(result.get(), r, c), PQgetlength(result.get(), r, c)));
        }
      }
      rows.emplace_back(names, std::move(values));
    }
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, const std::vector<Param>& params) override {
    PC_ASSIGN_OR_RETURN(PgResult result, Run(sql, params));
    std::string_view tuples = PQcmdTuples(result.get());
    int64_t changed = 0;
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), changed);  // "" → 0
    return changed;
  }

  Status ExecuteScript(std::string_view sql) override {
    PC_RETURN_IF_ERROR(Usable());
    if (begin_) {  // a script cannot share the round trip: BEGIN first
      PgResult begun(PQexec(conn_.get(), std::exchange(begin_, nullptr)));
      PC_RETURN_IF_ERROR(Check(begun.get(), "BEGIN"));
    }
    // The simple query protocol runs every statement of the script in this transaction.
    PgResult result(PQexec(conn_.get(), std::string(sql).c_str()));
    PC_RETURN_IF_ERROR(Check(result.get(), "script"));
    return Status::Ok();
  }

  Status Commit() override {
    PC_RETURN_IF_ERROR(Usable());
    if (begin_) {  // no statement ran, so no transaction was begun: nothing to end
      done_ = true;
      return Status::Ok();
    }
    PgResult result(PQexec(conn_.get(), "COMMIT"));
    PC_RETURN_IF_ERROR(Check(result.get(), "COMMIT"));
    done_ = true;
    // COMMIT of a transaction that failed reports ROLLBACK; Usable() has caught that case.
    if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
      return Internal("postgres: COMMIT rolled back the transaction");
    }
    return Status::Ok();
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

 private:
  Status Usable() const {
    if (failed_) return *failed_;
    if (done_) return Internal("store: the transaction has already been committed");
    return Status::Ok();
  }

  // Records the first failure: PostgreSQL refuses everything after it until ROLLBACK.
  Status Check(const PGresult* result, std::string_view what) {
    ExecStatusType status = PQresultStatus(result);
    if (result != nullptr &&
        (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)) {
      return Status::Ok();
    }
    Error error;
    if (PQstatus(conn_.get()) == CONNECTION_BAD) {
      error = Unavailable("postgres: " + std::string(what) +
                          ": connection lost: " + TrimEnd(PQerrorMessage(conn_.get())));
    } else if (result == nullptr) {
      error = Internal("postgres: " + std::string(what) + ": out of memory");
    } else {
      error = PgResultError(result, what);
    }
    failed_ = error;
    return error;
  }

  Result<PgResult> Run(std::string_view sql, const std::vector<Param>& params) {
    PC_RETURN_IF_ERROR(Usable());
    auto rewritten = RewritePlaceholders(sql, params.size());
    if (!rewritten.ok()) {
      failed_ = rewritten.error();
      return rewritten.error();
    }
    // All values go as text. Integers are typed bigint and strings text, so that "? IS NULL"
    // or "SELECT ?" work; NULL is left untyped so that it fits any column.
    constexpr Oid kUntyped = 0, kBigint = 20, kText = 25;
    std::vector<std::string> digits(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<Oid> types(params.size(), kUntyped);
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<int64_t>(&params[i])) {
        digits[i] = std::to_string(*n);
        values[i] = digits[i].c_str();
        types[i] = kBigint;
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        values[i] = s->c_str();
        types[i] = kText;
      }
    }
    const int count = static_cast<int>(params.size());
    if (read_) return RunRead(sql, *rewritten, count, types.data(), values.data());
    PgResult result(PQexecParams(conn_.get(), rewritten->c_str(), count, types.data(),
                                 values.data(), nullptr, nullptr, 0));
    PC_RETURN_IF_ERROR(Check(result.get(), "\"" + Abbreviate(sql) + "\""));
    return result;
  }

  // A read transaction's statement: prepared on this connection (once), executed, and after a
  // deferred BEGIN, all in one round trip (libpq's pipeline mode). A connection the server
  // closed while it was idle in the pool (restart, idle timeout) is replaced once when this is
  // the transaction's first statement: nothing has happened in the transaction yet.
  Result<PgResult> RunRead(std::string_view sql, const std::string& rewritten, int count,
                           const Oid* types, const char* const* values);

  // One statement of a pipeline.
  struct Step {
    enum class Kind { kQuery, kPrepare, kExecute } kind;
    const char* text = nullptr;  // the SQL ($n placeholders) for kQuery and kPrepare
    const char* name = "";       // the prepared statement, for kPrepare and kExecute
  };

  // Sends `steps` as one pipeline (each with the parameters given, but for BEGIN-like steps
  // with no placeholders: `count` applies to kPrepare, kExecute and a kQuery with `values`)
  // and returns their results in order, null where none came (the connection failed). The
  // connection leaves pipeline mode, or is left unusable (Release then drops it).
  std::vector<PgResult> Pipeline(const std::vector<Step>& steps, int count, const Oid* types,
                                 const char* const* values) {
    PGconn* c = conn_.get();
    std::vector<PgResult> out(steps.size());
    if (PQenterPipelineMode(c) != 1) return out;
    bool sent = true;
    for (size_t i = 0; sent && i < steps.size(); ++i) {
      const Step& step = steps[i];
      const bool last = i + 1 == steps.size();  // the statement; earlier ones take no values
      switch (step.kind) {
        case Step::Kind::kQuery:
          sent = PQsendQueryParams(c, step.text, last ? count : 0, last ? types : nullptr,
                                   last ? values : nullptr, nullptr, nullptr, 0) == 1;
          break;
        case Step::Kind::kPrepare:
          sent = PQsendPrepare(c, step.name, step.text, count, types) == 1;
          break;
        case Step::Kind::kExecute:
          sent = PQsendQueryPrepared(c, step.name, count, values, nullptr, nullptr, 0) == 1;
          break;
      }
    }
    if (sent && PQpipelineSync(c) == 1) {
      // Each statement's result is followed by a null, then the sync's own result ends it.
      size_t statement = 0;
      for (size_t guard = 0; guard < 4 * steps.size() + 4; ++guard) {
        PGresult* r = PQgetResult(c);
        if (r == nullptr) {
          if (PQstatus(c) == CONNECTION_BAD) break;
          ++statement;
          continue;
        }
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
          PQclear(r);
          break;
        }
        if (statement < out.size() && !out[statement]) {
          out[statement].reset(r);
        } else {
          PQclear(r);
        }
      }
    }
    PQexitPipelineMode(c);  // fails if results are left: the connection is then dropped
    return out;
  }

  PostgresDatabase* owner_;
  PgConn conn_;
  const char* begin_;  // the BEGIN still to send with the first statement, if any
  const bool read_;    // a read-only transaction: its statements are prepared (RunRead)
  std::optional<Error> failed_;
  bool done_ = false;
};

class PostgresDatabase final : public BackendDatabase {
 public:
  // `options`: libpq connection keywords and values, as parsed from the URL.
  PostgresDatabase(std::vector<std::pair<std::string, std::string>> options, std::string password,
                   std::string display)
      : options_(std::move(options)), password_(std::move(password)), display_(std::move(display)) {
    for (const auto& [key, value] : options_) {
      keywords_.push_back(key.c_str());
      values_.push_back(value.c_str());
    }
    keywords_.push_back(nullptr);
    values_.push_back(nullptr);
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  // Opens one connection now so that Open() reports a bad URL or a server that is down at once.
  Status Warm() {
    PC_ASSIGN_OR_RETURN(PgConn conn, Acquire());
    Release(std::move(conn));
    return Status::Ok();
  }

  Result<std::unique_ptr<BackendTransaction>> BeginBackend() override { return Start("BEGIN"); }

  // One snapshot for every statement of the transaction; a read-only transaction never fails
  // to serialize.
  // Its BEGIN goes out with the first statement, a round trip fewer (the snapshot is taken at
  // the first statement either way).
  Result<std::unique_ptr<BackendTransaction>> BeginReadBackend() override {
    PC_ASSIGN_OR_RETURN(PgConn conn, Acquire());
    return std::unique_ptr<BackendTransaction>(
        std::make_unique<PostgresTransaction>(this, std::move(conn), kBeginRead));
  }

  // A new connection in place of one the server closed (the caller holds its pool slot).
  Result<PgConn> Replacement() { return Connect(); }

  Result<std::unique_ptr<BackendTransaction>> Start(const char* begin) {
    PC_ASSIGN_OR_RETURN(PgConn conn, Acquire());
    PgResult result(PQexec(conn.get(), begin));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK &&
        PQstatus(conn.get()) == CONNECTION_BAD) {
      // The server closed an idle connection (restart, idle timeout): replace it once.
      auto fresh = Connect();
      if (!fresh.ok()) {
        Release(std::move(conn));  // drops it and frees its slot
        return fresh.error();
      }
      conn = std::move(fresh).value();
      result.reset(PQexec(conn.get(), begin));
    }
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      Error error = PQstatus(conn.get()) == CONNECTION_BAD
                        ? Unavailable("postgres: lost the connection to " + display_)
                        : PgResultError(result.get(), begin);
      Release(std::move(conn));
      return error;
    }
    return std::unique_ptr<BackendTransaction>(
        std::make_unique<PostgresTransaction>(this, std::move(conn)));
  }

  // Takes back a connection after a transaction; one left inside a transaction is rolled back,
  // and one that is broken is dropped (a new one is made on demand).
  void Release(PgConn conn) {
    if (PQpipelineStatus(conn.get()) != PQ_PIPELINE_OFF) {  // a pipeline that failed midway
      pool_.Release(std::move(conn), false);
      return;
    }
    if (PQstatus(conn.get()) == CONNECTION_OK && PQtransactionStatus(conn.get()) != PQTRANS_IDLE) {
      PgResult result(PQexec(conn.get(), "ROLLBACK"));
    }
    bool healthy =
        PQstatus(conn.get()) == CONNECTION_OK && PQtransactionStatus(conn.get()) == PQTRANS_IDLE;
    pool_.Release(std::move(conn), healthy);  // a dropped connection is closed outside the lock
  }

 private:
  Result<PgConn> Acquire() { return pool_.Acquire(); }

  Result<PgConn> Connect() {
    PgConn conn(PQconnectdbParams(keywords_.data(), values_.data(), 0));
    if (conn == nullptr) return Internal("postgres: out of memory");
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return Unavailable("postgres: cannot connect to " + display_ + ": " +
                         Redact(TrimEnd(PQerrorMessage(conn.get())), password_));
    }
    PQsetNoticeProcessor(conn.get(), IgnoreNotice, nullptr);
    PgResult result(PQexec(conn.get(), "SET TIME ZONE 'UTC'"));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return PgResultError(result.get(), "SET TIME ZONE");
    }
    return conn;
  }

  const std::vector<std::pair<std::string, std::string>> options_;
  std::vector<const char*> keywords_;  // point into options_, null-terminated for libpq
  std::vector<const char*> values_;
  const std::string password_;  // only to scrub it from libpq's messages
  const std::string display_;   // "user@host:port/db", for messages
  ConnectionPool<PgConn> pool_{kMaxConnections, [this] { return Connect(); }};
};

PostgresTransaction::~PostgresTransaction() {
  // Release() rolls back a transaction that was not committed.
  owner_->Release(std::move(conn_));
}

Result<PgResult> PostgresTransaction::RunRead(std::string_view sql, const std::string& rewritten,
                                              int count, const Oid* types,
                                              const char* const* values) {
  // The same text with other parameter types is another statement.
  std::string key(sql);
  key += '\0';
  for (int i = 0; i < count; ++i) key += std::to_string(types[i]) + ',';
  const char* begin = std::exchange(begin_, nullptr);
  for (int attempt = 0;; ++attempt) {
    std::vector<Step> steps;
    if (begin) steps.push_back({Step::Kind::kQuery, begin});
    std::string name;
    bool prepare = false;
    if (auto found = conn_.prepared.find(key); found != conn_.prepared.end()) {
      name = found->second;
    } else if (conn_.prepared.size() < kMaxPreparedPerConnection) {
      name = "r" + std::to_string(++conn_.next_statement);
      prepare = true;
      steps.push_back({Step::Kind::kPrepare, rewritten.c_str(), name.c_str()});
    }
    if (name.empty()) {
      steps.push_back({Step::Kind::kQuery, rewritten.c_str()});
    } else {
      steps.push_back({Step::Kind::kExecute, nullptr, name.c_str()});
    }
    std::vector<PgResult> results = Pipeline(steps, count, types, values);
    if (begin && attempt == 0 && PQstatus(conn_.get()) == CONNECTION_BAD) {
      auto fresh = owner_->Replacement();
      if (!fresh.ok()) {
        failed_ = fresh.error();
        return fresh.error();
      }
      conn_ = std::move(fresh).value();
      continue;
    }
    const std::string what = "\"" + Abbreviate(sql) + "\"";
    size_t at = 0;
    if (begin) PC_RETURN_IF_ERROR(Check(results[at++].get(), "BEGIN"));
    if (prepare) {
      PC_RETURN_IF_ERROR(Check(results[at++].get(), what));
      conn_.prepared.emplace(std::move(key), name);
    }
    PC_RETURN_IF_ERROR(Check(results[at].get(), what));
    return std::move(results[at]);
  }
}

}  // namespace

Result<std::string> RewritePlaceholders(std::string_view sql, size_t param_count) {
  auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  // The index of the last character of the literal, comment or quoted name starting at i, or
  // npos if none starts there. Unterminated ones run to the end (the server reports them).
  auto skip = [&](size_t i) -> size_t {
    char c = sql[i];
    char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    bool word_before = i > 0 && is_word(sql[i - 1]);
    size_t end = std::string_view::npos;
    if (c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
        (i < 2 || !is_word(sql[i - 2]))) {
      // E'...': backslash escapes, so \' does not end it.
      for (end = i + 1; end < sql.size() && sql[end] != '\''; ++end) {
        if (sql[end] == '\\') ++end;
      }
    } else if (c == '\'' || c == '"') {
      // A doubled quote inside closes and reopens it, which comes to the same.
      end = sql.find(c, i + 1);
    } else if (c == '-' && next == '-') {
      end = sql.find('\n', i);
    } else if (c == '/' && next == '*') {
      end = sql.find("*/", i + 2);
      if (end != std::string_view::npos) ++end;
    } else if (c == '$' && !word_before && !std::isdigit(static_cast<unsigned char>(next))) {
      // $tag$...$tag$ (a tag does not start with a digit; $1 is a parameter).
      size_t close = sql.find('$', i + 1);
      if (close == std::string_view::npos) return std::string_view::npos;
      std::string_view tag = sql.substr(i, close - i + 1);
      for (char t : tag.substr(1, tag.size() - 2)) {
        if (!is_word(t)) return std::string_view::npos;
      }
      end = sql.find(tag, close + 1);
      if (end != std::string_view::npos) end += tag.size() - 1;
    } else {
      return std::string_view::npos;
    }
    return std::min(end, sql.size() - 1);
  };

  std::string out;
  out.reserve(sql.size() + 8);
  size_t count = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (size_t end = skip(i); end != std::string_view::npos) {
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (sql[i] == '?') {
      out += '$';
      out += std::to_string(++count);
    } else {
      out += sql[i];
    }
  }
  if (count != param_count) {
    return Internal("store: \"" + Abbreviate(sql) + "\" has " + std::to_string(count) +
                    " placeholders but " + std::to_string(param_count) + " parameters were given");
  }
  return out;
}

Result<std::unique_ptr<Database>> OpenPostgres(std::string_view url) {
  std::string conninfo(url);
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (options == nullptr) {
    // libpq's reason may quote the offending part, which may be the password: say less.
    PQfreemem(parse_error);
    return InvalidArgument(
        "malformed PostgreSQL URL (expected postgresql://USER[:PASSWORD]@HOST"
        "[:PORT]/DATABASE[?OPTIONS])");
  }
  // Defaults unless the URL says otherwise: give up on an unreachable server after 10 s, and
  // name the application in pg_stat_activity.
  std::vector<std::pair<std::string, std::string>> settings = {
      {"connect_timeout", "10"}, {"application_name", "partnercloud"}};
  std::string password, user, host, port, dbname;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view key = o->keyword;
    std::string value = o->val;
    auto set = std::find_if(settings.begin(), settings.end(),
                            [&](const auto& kv) { return kv.first == key; });
    if (set != settings.end()) {
      set->second = value;
    } else {
      settings.emplace_back(key, value);
    }
    if (key == "password") password = value;
    if (key == "user") user = value;
    if (key == "host" || (key == "hostaddr" && host.empty())) host = value;
    if (key == "port") port = value;
    if (key == "dbname") dbname = value;
  }
  PQconninfoFree(options);
  std::string display = (user.empty() ? "" : user + "@") + (host.empty() ? "localhost" : host) +
                        (port.empty() ? "" : ":" + port) + "/" + dbname;
  auto db = std::make_unique<PostgresDatabase>(std::move(settings), std::move(password),
                                               std::move(display));
  PC_RETURN_IF_ERROR(db->Warm());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace pc::store::internal
