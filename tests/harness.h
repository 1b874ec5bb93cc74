// Test harness for end-to-end tests: the real partnercloud binary as a child process on an
// ephemeral port, a libcurl HTTP client, and throwaway databases (SQLite file or a fresh
// database on the PostgreSQL server that scripts/with-postgres.sh started).
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "store/store.h"

namespace pc::test {

// The password AddUser gives every test user.
extern const std::string kTestPassword;

// Parses a JSON text, failing the current test (not aborting it) if it is not JSON.
boost::json::value Json(const std::string& text);
// The string value, or "" if `v` is not a string.
std::string Str(const boost::json::value& v);

// Path of the partnercloud binary under test (env PARTNERCLOUD_BINARY, set by CTest).
std::string BinaryPath();
// A fresh empty directory under the system temp dir, removed at process exit.
std::string TempDir(const std::string& prefix);
// Reads a whole file ("" if missing).
std::string ReadFile(const std::string& path);

enum class Backend { kSqlite, kPostgres };
std::string BackendName(Backend b);

// A fresh, empty database of the given kind. For PostgreSQL it creates a new database on the
// server named by PARTNERCLOUD_TEST_PG_URL; fails the test if that variable is missing.
struct TestDatabase {
  Backend backend;
  std::string url;  // what --database gets
  std::string dir;  // temp dir (SQLite file lives here)
  // Every row of every table as text, for searching for leaked secrets.
  std::string DumpAllRows() const;
};
TestDatabase MakeDatabase(Backend backend);

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the binary to completion with `args` and optional standard input.
RunResult RunCommand(const std::vector<std::string>& args, const std::string& stdin_text = "",
                     const std::map<std::string, std::string>& env = {});

// The binary as a server: `serve` or `demo` with --port 0 and a port file.
class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts `partnercloud <args...> --port 0 --port-file F` and waits until it listens.
  void Start(const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env = {});
  uint16_t port() const { return port_; }
  std::string BaseUrl() const;
  pid_t pid() const { return pid_; }
  void Signal(int signo);
  // Waits for exit; returns the exit code (128+signal if killed), or -1 on timeout.
  int Wait(std::chrono::seconds timeout = std::chrono::seconds(30));
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const;
};

// One HTTP request with libcurl. `headers` are "Name: value" lines.
HttpResponse Http(const std::string& method, const std::string& url, const std::string& body = "",
                  const std::vector<std::string>& headers = {});

// Waits until `condition()` is true, asking every 20 ms, for at most `limit`; returns whether it
// became true. Tests wait for conditions, never for fixed times.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds limit = std::chrono::seconds(60));

// `partnercloud user add` on `database_url`: the user, with password kTestPassword, in
// organization `organization` (created if missing, of `kind` customer or partner). Fails the test
// if the command fails.
void AddUser(const std::string& database_url, const std::string& email, const std::string& role,
             const std::string& organization, const std::string& kind = "customer");

// A signed-in user, as POST /api/v1/session answered.
struct Session {
  std::string token;
  std::string csrf;
  std::string user_id;
  std::string organization_id;
  std::string set_cookie;  // the Set-Cookie header of the answer
  std::vector<std::string> Bearer() const { return {"Authorization: Bearer " + token}; }
};
// Signs in at the server `base_url` ("http://127.0.0.1:port"). Fails the test (and returns an
// empty Session) unless it answers 200.
Session Login(const std::string& base_url, const std::string& email,
              const std::string& password = kTestPassword);

// Runs one SQL statement in its own transaction; fails the test on error.
void Exec(store::Database& db, const std::string& sql,
          const std::vector<store::Param>& params = {});

// Sends raw bytes on a new TCP connection to 127.0.0.1:port (for malformed or slow requests).
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);
  ~RawConnection();
  void Send(const std::string& bytes);
  // Reads until the peer closes or `timeout` passes.
  std::string ReadAll(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // Reads until what was read contains `needle`, the peer closes or `timeout` passes.
  std::string ReadUntil(const std::string& needle,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

 private:
  int fd_ = -1;
};

// tests/webhook_receiver.js (Node, its own HMAC check of every signature) as a child process:
// a webhook receiver on a loopback port that logs every request it gets.
class WebhookReceiver {
 public:
  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;
  // Where to send webhooks: http://127.0.0.1:port/hooks.
  std::string Url() const;
  // POST /control/{what} on the receiver (the secret to verify with, failures to answer, ...).
  void Control(const std::string& what, const std::string& value);
  // Every request received, in order.
  std::vector<boost::json::object> Requests() const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace pc::test
