#include "tests/harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "store/scratch_database.h"

namespace pc::test {

namespace fs = std::filesystem;

const std::string kTestPassword = "Corr3ct-Horse-Battery";

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void AddUser(const std::string& database_url, const std::string& email, const std::string& role,
             const std::string& organization, const std::string& kind) {
  auto r = RunCommand({"user", "add", "--database", database_url, "--email", email, "--role", role,
                       "--organization", organization, "--create-organization",
                       "--organization-kind", kind, "--password-stdin"},
                      kTestPassword + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(r.out.find("created " + email), std::string::npos) << r.out;
}

Session Login(const std::string& base_url, const std::string& email, const std::string& password) {
  boost::json::object body{{"email", email}, {"password", password}};
  auto res = Http("POST", base_url + "/api/v1/session", boost::json::serialize(body));
  EXPECT_EQ(res.status, 200) << res.body;
  Session s;
  if (res.status != 200) return s;
  auto v = Json(res.body);
  s.token = Str(v.at("token"));
  s.csrf = Str(v.at("csrfToken"));
  s.user_id = Str(v.at("user").at("id"));
  s.organization_id = Str(v.at("organization").at("id"));
  s.set_cookie = res.Header("set-cookie");
  return s;
}

void Exec(store::Database& db, const std::string& sql, const std::vector<store::Param>& params) {
  auto tx = db.Begin();
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  auto r = (*tx)->Execute(sql, params);
  ASSERT_TRUE(r.ok()) << r.error().message << "\n" << sql;
  auto committed = (*tx)->Commit();
  ASSERT_TRUE(committed.ok()) << committed.error().message;
}

boost::json::value Json(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text.substr(0, 500);
  return v;
}

std::string Str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : "";
}

std::string BinaryPath() {
  const char* p = std::getenv("PARTNERCLOUD_BINARY");
  return p ? p : "build/partnercloud";
}

std::string TempDir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* made = mkdtemp(tmpl.data());
  if (!made) throw std::runtime_error("mkdtemp failed");
  static std::vector<std::string>* dirs = [] {
    auto* v = new std::vector<std::string>;
    std::atexit([] {
      for (const auto& d : *dirs) {
        std::error_code ec;
        fs::remove_all(d, ec);
      }
    });
    return v;
  }();
  dirs->push_back(made);
  return made;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string BackendName(Backend b) { return b == Backend::kSqlite ? "SQLite" : "PostgreSQL"; }

namespace {

std::string PgServerUrl() {
  const char* url = std::getenv("PARTNERCLOUD_TEST_PG_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "PARTNERCLOUD_TEST_PG_URL is not set: run the tests with `make test` (which "
                     "starts a PostgreSQL server through scripts/with-postgres.sh)";
    return "";
  }
  return url;
}

std::string PgQueryText(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string out;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      for (int i = 0; i < PQntuples(r); ++i) {
        for (int j = 0; j < PQnfields(r); ++j) {
          out += PQgetvalue(r, i, j);
          out += "\n";
        }
      }
    } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      ADD_FAILURE() << "PostgreSQL: " << PQerrorMessage(conn);
    }
    PQclear(r);
  } else {
    ADD_FAILURE() << "cannot connect to PostgreSQL: " << PQerrorMessage(conn);
  }
  PQfinish(conn);
  return out;
}

}  // namespace

TestDatabase MakeDatabase(Backend backend) {
  TestDatabase db{backend, "", TempDir("pc-db")};
  if (backend == Backend::kSqlite) {
    db.url = "sqlite:" + db.dir + "/partnercloud.db";
    return db;
  }
  std::string server = PgServerUrl();
  if (server.empty()) return db;
  std::random_device rd;
  std::string name = "pc_test_" + std::to_string(getpid()) + "_" + std::to_string(rd() % 1000000);
  std::string error = store::PostgresAdminExec(server, "CREATE DATABASE " + name);
  EXPECT_EQ(error, "") << "cannot create a test database";
  db.url = store::PostgresUrlWithDatabase(server, name);
  return db;
}

std::string TestDatabase::DumpAllRows() const {
  if (backend == Backend::kSqlite) {
    std::string all;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      all += ReadFile(dir + "/partnercloud.db" + suffix);
    }
    return all;
  }
  std::string tables = PgQueryText(
      url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
  std::string all;
  std::istringstream in(tables);
  for (std::string t; std::getline(in, t);) {
    if (!t.empty()) all += PgQueryText(url, "SELECT x::text FROM \"" + t + "\" x");
  }
  return all;
}

namespace {

pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& out_path, const std::string& err_path, int stdin_fd) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(out, 1);
  dup2(err, 2);
  if (stdin_fd >= 0) {
    dup2(stdin_fd, 0);
  } else {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
  }
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> argv;
  std::string bin = BinaryPath();
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(bin.c_str(), argv.data());
  _exit(127);
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

RunResult RunCommand(const std::vector<std::string>& args, const std::string& stdin_text,
                     const std::map<std::string, std::string>& env) {
  std::string dir = TempDir("pc-run");
  std::string in_path = dir + "/stdin";
  {
    std::ofstream in(in_path);
    in << stdin_text;
  }
  int in_fd = open(in_path.c_str(), O_RDONLY);
  pid_t pid = Spawn(args, env, dir + "/out", dir + "/err", in_fd);
  close(in_fd);
  int status = 0;
  waitpid(pid, &status, 0);
  return {ExitCode(status), ReadFile(dir + "/out"), ReadFile(dir + "/err")};
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

void ServerProcess::Start(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env) {
  dir_ = TempDir("pc-server");
  std::string port_file = dir_ + "/port";
  std::vector<std::string> full = args;
  full.insert(full.end(), {"--port", "0", "--port-file", port_file});
  pid_ = Spawn(full, env, dir_ + "/stdout", dir_ + "/stderr", -1);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = ReadFile(port_file);
    if (!text.empty()) {
      port_ = static_cast<uint16_t>(std::stoi(text));
      return;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "server exited early (" << ExitCode(status) << "): " << Stderr();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL() << "server did not start within 60 s: " << Stderr();
}

std::string ServerProcess::BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

void ServerProcess::Signal(int signo) {
  if (pid_ > 0) kill(pid_, signo);
}

int ServerProcess::Wait(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return ExitCode(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string ServerProcess::Stdout() const { return ReadFile(dir_ + "/stdout"); }
std::string ServerProcess::Stderr() const { return ReadFile(dir_ + "/stderr"); }

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

namespace {

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(c));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*headers)[name] = value;
  }
  return size * n;
}

}  // namespace

HttpResponse Http(const std::string& method, const std::string& url, const std::string& body,
                  const std::vector<std::string>& headers) {
  HttpResponse res;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  bool has_type = false;
  for (const auto& h : headers) {
    list = curl_slist_append(list, h.c_str());
    if (h.rfind("Content-Type:", 0) == 0) has_type = true;
  }
  if (!body.empty() && !has_type) list = curl_slist_append(list, "Content-Type: application/json");
  bool has_expect = false;
  for (const auto& h : headers) has_expect = has_expect || h.rfind("Expect:", 0) == 0;
  if (!has_expect) list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &res.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res.status);
  } else {
    res.status = -1;
    res.body = curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return res;
}

RawConnection::RawConnection(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ADD_FAILURE() << "connect to port " << port << " failed";
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

void RawConnection::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string RawConnection::ReadAll(std::chrono::milliseconds timeout) {
  return ReadUntil("", timeout);
}

std::string RawConnection::ReadUntil(const std::string& needle, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (poll(&p, 1, std::max(1, left)) <= 0) break;
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (!needle.empty() && out.find(needle) != std::string::npos) break;
  }
  return out;
}

WebhookReceiver::WebhookReceiver() {
  dir_ = TempDir("pc-webhook-receiver");
  pid_ = fork();
  if (pid_ == 0) {
    std::string script = std::string(PC_TESTS_DIR) + "/webhook_receiver.js";
    std::string port_file = dir_ + "/port", log = dir_ + "/log.jsonl";
    execlp("node", "node", script.c_str(), port_file.c_str(), log.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  EXPECT_TRUE(
      WaitUntil([&] { return !ReadFile(dir_ + "/port").empty(); }, std::chrono::seconds(20)))
      << "the Node receiver did not start";
  port_ = std::stoi("0" + ReadFile(dir_ + "/port"));
}

WebhookReceiver::~WebhookReceiver() {
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
}

std::string WebhookReceiver::Url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/hooks";
}

void WebhookReceiver::Control(const std::string& what, const std::string& value) {
  auto r = Http("POST", "http://127.0.0.1:" + std::to_string(port_) + "/control/" + what, value);
  EXPECT_EQ(r.status, 200) << "receiver control " << what;
}

std::vector<boost::json::object> WebhookReceiver::Requests() const {
  std::vector<boost::json::object> out;
  std::istringstream lines(ReadFile(dir_ + "/log.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) out.push_back(Json(line).as_object());
  }
  return out;
}

}  // namespace pc::test
