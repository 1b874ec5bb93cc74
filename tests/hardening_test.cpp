// Hostile input against a real `partnercloud serve`: each finding of the hardening review as it
// was reproduced (it crashed, grew memory or disk, or was accepted), then checks that the process
// still serves, answers quickly and kept its memory bounded.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#include "tests/harness.h"

namespace pc::test {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

const std::string& kPassword = kTestPassword;

// A TCP connection that reports what it could send (the server may close early on purpose).
class Socket {
 public:
  explicit Socket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ADD_FAILURE() << "connect to port " << port << " failed";
    }
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Sends all of `bytes`; false once the peer has closed or reset the connection.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent_ += static_cast<size_t>(n);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Whatever arrives until the peer closes or `timeout` passes.
  std::string Read(std::chrono::milliseconds timeout) {
    std::string out;
    auto deadline = Clock::now() + timeout;
    char buf[4096];
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&p, 1, std::max<int>(1, static_cast<int>(left.count()))) <= 0) break;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.find("\r\n\r\n") != std::string::npos && !waiting_for_close_) break;
    }
    return out;
  }
  void WaitForClose() { waiting_for_close_ = true; }
  size_t sent() const { return sent_; }

 private:
  int fd_ = -1;
  size_t sent_ = 0;
  bool waiting_for_close_ = false;
};

// Resident and peak memory of a process in KiB, from /proc.
struct Memory {
  long rss_kib = 0;
  long peak_kib = 0;
};
Memory MemoryOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  Memory m;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss_kib = std::stol(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) m.peak_kib = std::stol(line.substr(6));
  }
  return m;
}

std::string StatusLine(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }

class HardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(Backend::kSqlite);
    AddUser("admin@acme.example", "org_admin", "Acme", "customer");
    AddUser("dev@acme.example", "org_member", "Acme", "customer");
    AddUser("ops@partner.example", "operator", "Partner Operations", "partner");
    server_.Start({"serve", "--database", db_.url, "--set", "log.level=warn"});
  }

  void AddUser(const std::string& email, const std::string& role, const std::string& org,
               const std::string& kind) {
    test::AddUser(db_.url, email, role, org, kind);
  }

  std::string Url(const std::string& path) const { return server_.BaseUrl() + path; }

  Session Login(const std::string& email, const std::string& password = kTestPassword) {
    return test::Login(server_.BaseUrl(), email, password);
  }

  // The process is alive and /healthz answers; returns the median latency of five requests.
  std::chrono::milliseconds ExpectServing() {
    std::vector<std::chrono::milliseconds> took;
    for (int i = 0; i < 5; ++i) {
      auto start = Clock::now();
      auto res = Http("GET", Url("/healthz"));
      took.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start));
      std::string err = server_.Stderr();
      EXPECT_EQ(res.status, 200) << "server stopped serving: "
                                 << err.substr(err.size() > 3000 ? err.size() - 3000 : 0);
      if (res.status != 200) break;
    }
    std::sort(took.begin(), took.end());
    return took[took.size() / 2];
  }

  std::string ErrorCode(const HttpResponse& res) {
    auto v = Json(res.body);
    if (!v.is_object() || !v.as_object().contains("error")) return "";
    return Str(v.at("error").at("code"));
  }

  TestDatabase db_;
  ServerProcess server_;
};

// Finding 1: a trailer field of 64 KiB or more threw an uncaught std::length_error and
// terminated the process. Now the connection gets a 4xx and the process serves on.
TEST_F(HardeningTest, HugeTrailerFieldEndsOnlyItsConnection) {
  for (size_t size : {size_t{65535}, size_t{70000}}) {
    Socket s(server_.port());
    s.Send(
        "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\n{}\r\n0\r\nX-Trailer: " +
        std::string(size, 'a') + "\r\n\r\n");
    std::string reply = s.Read(std::chrono::seconds(10));
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 431") || reply.starts_with("HTTP/1.1 400"))
        << StatusLine(reply);
    ExpectServing();
  }
}

// Finding 2: trailers were not bounded (100 MB of trailer lines grew the process by 230 MiB).
// Now the server stops reading after its read buffer (64 KiB) and answers 431.
TEST_F(HardeningTest, TrailerLinesAreBoundedLikeHeaders) {
  Memory before = MemoryOf(server_.pid());
  Socket s(server_.port());
  s.Send(
      "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\n");
  std::string lines;
  for (int i = 0; i < 4096; ++i) lines += "X-T" + std::to_string(i) + ": 1234567890\r\n";
  bool accepted = true;
  // Up to 64 MiB of trailer lines; the server must close long before.
  for (int round = 0; round < 1000 && accepted; ++round) accepted = s.Send(lines);
  s.WaitForClose();
  std::string reply = s.Read(std::chrono::seconds(5));
  EXPECT_FALSE(accepted) << "the server read " << s.sent() << " bytes of trailers";
  EXPECT_LT(s.sent(), size_t{16} << 20) << "bytes the server took before closing";
  if (!reply.empty()) {
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 431")) << StatusLine(reply);
  }
  Memory after = MemoryOf(server_.pid());
  EXPECT_LT(after.rss_kib - before.rss_kib, 32 * 1024) << "RSS grew by KiB";
  ExpectServing();

  // Small trailers stay fine.
  Socket ok(server_.port());
  ok.Send(
      "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n"
      "2\r\n{}\r\n0\r\nX-Checksum: abc\r\n\r\n");
  EXPECT_TRUE(ok.Read(std::chrono::seconds(10)).starts_with("HTTP/1.1 400"));  // no email
}

// Finding 3: the import spooled the body to disk before authenticating anyone. Now the answer
// comes from the headers alone, before a byte of the body is sent.
TEST_F(HardeningTest, ImportAuthenticatesBeforeReadingTheBody) {
  auto headers_only = [&](const std::string& auth) {
    Socket s(server_.port());
    s.Send(
        "POST /api/v1/usage/imports?name=x.csv HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: text/csv\r\nContent-Length: 2000000000\r\n" +
        auth + "\r\n");
    return s.Read(std::chrono::seconds(5));
  };
  EXPECT_TRUE(headers_only("").starts_with("HTTP/1.1 401"));
  Session member = Login("dev@acme.example");
  Session admin = Login("admin@acme.example");
  EXPECT_TRUE(
      headers_only("Authorization: Bearer " + admin.token + "\r\n").starts_with("HTTP/1.1 403"));
  EXPECT_TRUE(
      headers_only("Authorization: Bearer " + member.token + "\r\n").starts_with("HTTP/1.1 403"));
  // Any other API body is authenticated from its headers too (no 1 MiB per anonymous request).
  {
    Socket s(server_.port());
    s.Send(
        "POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000000\r\n\r\n");
    EXPECT_TRUE(s.Read(std::chrono::seconds(5)).starts_with("HTTP/1.1 401"));
  }

  // Concurrent uploads are bounded (server.max_concurrent_imports, 2 by default): two
  // operators' uploads in progress, a third is told to come back.
  Session ops = Login("ops@partner.example");
  std::string start =
      "POST /api/v1/usage/imports?name=slow.csv HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: text/csv\r\nContent-Length: 1000000\r\nAuthorization: Bearer " +
      ops.token + "\r\n\r\nCustomerId,";
  Socket first(server_.port()), second(server_.port());
  first.Send(start);
  second.Send(start);
  // Wait until both are being received: a third upload is then refused at once.
  std::string third;
  for (int i = 0; i < 100; ++i) {
    Socket s(server_.port());
    s.Send(start);
    third = s.Read(std::chrono::milliseconds(300));
    if (!third.empty()) break;
  }
  EXPECT_TRUE(third.starts_with("HTTP/1.1 503")) << StatusLine(third);
  EXPECT_NE(third.find("Retry-After: 5"), std::string::npos) << third;
  ExpectServing();
}

std::string DayPlus(int days) {
  std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// Finding 4: a password change revoked sessions but not API tokens, tokens never expired, and
// one's own password changed without the current one.
TEST_F(HardeningTest, TokensExpireAndPasswordChangesRevokeThem) {
  Session admin = Login("admin@acme.example");
  Session dev = Login("dev@acme.example");
  auto created = Http("POST", Url("/api/v1/tokens"), R"({"name":"ci"})", dev.Bearer());
  ASSERT_EQ(created.status, 201) << created.body;
  auto token = Json(created.body);
  std::string expires = Str(token.at("expiresAt"));
  EXPECT_TRUE(expires.starts_with(DayPlus(90)) || expires.starts_with(DayPlus(89)) ||
              expires.starts_with(DayPlus(91)))
      << expires;
  std::vector<std::string> tok = {"Authorization: Bearer " + Str(token.at("token"))};
  ASSERT_EQ(Http("GET", Url("/api/v1/me"), "", tok).status, 200);
  auto listed = Json(Http("GET", Url("/api/v1/tokens"), "", dev.Bearer()).body);
  EXPECT_FALSE(listed.at("items").at(0).at("lastUsedAt").is_null()) << listed;

  // An admin's reset revokes the user's sessions and tokens.
  auto reset = Http("PATCH", Url("/api/v1/users/" + dev.user_id),
                    R"({"password":"An0ther-Long-Secret"})", admin.Bearer());
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(Http("GET", Url("/api/v1/me"), "", tok).status, 401);
  EXPECT_EQ(Http("GET", Url("/api/v1/me"), "", dev.Bearer()).status, 401);

  // One's own change needs the current password, and also revokes the API tokens.
  dev = Login("dev@acme.example", "An0ther-Long-Secret");
  auto second = Json(Http("POST", Url("/api/v1/tokens"), R"({"name":"cli"})", dev.Bearer()).body);
  tok = {"Authorization: Bearer " + Str(second.at("token"))};
  std::string path = "/api/v1/users/" + dev.user_id;
  auto without = Http("PATCH", Url(path), R"({"password":"Third-Long-Secret"})", dev.Bearer());
  EXPECT_EQ(without.status, 400) << without.body;
  EXPECT_NE(without.body.find("currentPassword"), std::string::npos);
  auto wrong =
      Http("PATCH", Url(path),
           R"({"password":"Third-Long-Secret","currentPassword":"guess-guess"})", dev.Bearer());
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  EXPECT_EQ(Http("GET", Url("/api/v1/me"), "", tok).status, 200);
  auto right = Http("PATCH", Url(path),
                    R"({"password":"Third-Long-Secret","currentPassword":"An0ther-Long-Secret"})",
                    dev.Bearer());
  EXPECT_EQ(right.status, 200) << right.body;
  EXPECT_EQ(Http("GET", Url("/api/v1/me"), "", tok).status, 401);
  EXPECT_EQ(Http("GET", Url("/api/v1/me"), "", dev.Bearer()).status, 200);  // this session

  // Disabling revokes too.
  Session again = Login("dev@acme.example", "Third-Long-Secret");
  auto third = Json(Http("POST", Url("/api/v1/tokens"), R"({"name":"x"})", again.Bearer()).body);
  tok = {"Authorization: Bearer " + Str(third.at("token"))};
  ASSERT_EQ(Http("PATCH", Url(path), R"({"disabled":true})", admin.Bearer()).status, 200);
  EXPECT_EQ(Http("GET", Url("/api/v1/me"), "", tok).status, 401);
}

// Finding 5: each failed login with a different 1 MB e-mail stored a 1 MB throttle key.
// A client that sends its whole body before it reads, as most do, gets the refusal and not a
// reset: the server reads and drops the rest of a refused request before it closes (closing
// with unread data resets the connection, and the client never sees the 413).
TEST_F(HardeningTest, ARefusedBodyIsReadAndDroppedSoTheClientGetsTheAnswer) {
  for (int round = 0; round < 3; ++round) {
    Socket s(server_.port());
    const size_t body = 3 << 20;  // over the 1 MiB limit, under the 8 MiB the server drops
    const std::string head =
        "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: " +
        std::to_string(body) + "\r\n\r\n";
    EXPECT_TRUE(s.Send(head + std::string(body, ' ')))
        << "round " << round << ": the connection was reset after " << s.sent() << " bytes";
    std::string answer = s.Read(std::chrono::seconds(10));
    EXPECT_NE(answer.find("HTTP/1.1 413"), std::string::npos)
        << "round " << round << ": " << answer;
  }
  ExpectServing();
}

TEST_F(HardeningTest, LoginFieldsAndThrottleKeysAreBounded) {
  auto huge = Http("POST", Url("/api/v1/session"),
                   R"({"email":")" + std::string(1 << 20, 'a') + R"(@x.example","password":"p"})");
  EXPECT_EQ(huge.status, 413) << huge.body.substr(0, 200);
  std::string long_email = std::string(300, 'b') + "@example.com";
  auto too_long =
      Http("POST", Url("/api/v1/session"), R"({"email":")" + long_email + R"(","password":"p"})");
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  EXPECT_NE(too_long.body.find("254"), std::string::npos) << too_long.body;

  // Distinct long (valid-length) e-mails: the throttle rows stay small (keyed by a digest).
  std::string marker = std::string(200, 'q');
  for (int i = 0; i < 5; ++i) {
    auto r = Http("POST", Url("/api/v1/session"),
                  R"({"email":")" + marker + std::to_string(i) + R"(@x.example","password":"p"})");
    EXPECT_EQ(r.status, 401);
  }
  std::string dump = db_.DumpAllRows();
  size_t in_keys = 0;
  for (size_t at = dump.find("account:" + marker); at != std::string::npos;
       at = dump.find("account:" + marker, at + 1)) {
    ++in_keys;
  }
  EXPECT_EQ(in_keys, 0u) << "throttle keys hold the typed e-mail";

  // Every string in a JSON body is bounded (server.max_text_field, 4000 characters).
  Session admin = Login("admin@acme.example");
  auto connect =
      Http("POST", Url("/api/v1/clc/connections"),
           R"({"username":")" + std::string(5000, 'u') + R"(","password":"x"})", admin.Bearer());
  EXPECT_EQ(connect.status, 400) << connect.body.substr(0, 300);
  EXPECT_NE(connect.body.find("longer than 4000 characters"), std::string::npos)
      << connect.body.substr(0, 300);
  ExpectServing();
}

// Finding 7: names took NUL, CR/LF and bidirectional overrides; pricing rules took any alias.
TEST_F(HardeningTest, NamesRefuseControlAndBidiCharactersAndRulesNeedAKnownAlias) {
  Session ops = Login("ops@partner.example");
  Session admin = Login("admin@acme.example");
  for (std::string bad : {std::string("Evil\\u0000Corp"), std::string("Line\\r\\nBreak"),
                          std::string("invoice\\u202Etxt.exe"), std::string("Tab\\there")}) {
    auto org =
        Http("POST", Url("/api/v1/organizations"), R"({"name":")" + bad + R"("})", ops.Bearer());
    EXPECT_EQ(org.status, 400) << bad << " " << org.body;
    auto token =
        Http("POST", Url("/api/v1/tokens"), R"({"name":")" + bad + R"("})", admin.Bearer());
    EXPECT_EQ(token.status, 400) << bad << " " << token.body;
    auto user = Http("POST", Url("/api/v1/users"),
                     R"({"email":"new@acme.example","role":"org_member","password":")" + kPassword +
                         R"(","name":")" + bad + R"("})",
                     admin.Bearer());
    EXPECT_EQ(user.status, 400) << bad << " " << user.body;
  }
  auto fine = Http("POST", Url("/api/v1/organizations"), R"j({"name":"Zoë & Søn Ltd (株式会社)"})j",
                   ops.Bearer());
  EXPECT_EQ(fine.status, 201) << fine.body;

  auto unknown =
      Http("POST", Url("/api/v1/pricing-rules"),
           R"({"billingAlias":"NOPE","percent":"5","effectiveFrom":"2099-01-01"})", ops.Bearer());
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.body.find("not known"), std::string::npos) << unknown.body;
  auto newline = Http("POST", Url("/api/v1/pricing-rules"),
                      R"({"billingAlias":"AC\r\nME","percent":"5","effectiveFrom":"2099-01-01"})",
                      ops.Bearer());
  EXPECT_EQ(newline.status, 400) << newline.body;
  auto note = Http(
      "POST", Url("/api/v1/pricing-rules"),
      R"({"meterCategory":"Storage","percent":"5","effectiveFrom":"2099-01-01","note":"a\u0000b"})",
      ops.Bearer());
  EXPECT_EQ(note.status, 400) << note.body;
}

// Finding 9: argon2id ran on the request threads without bound. Now at most
// security.password_hash_concurrency run at once; beyond that 503 with Retry-After at once, and
// other routes stay fast.
TEST_F(HardeningTest, ConcurrentLoginsAreBoundedAndHealthStaysFast) {
  std::atomic<int> ok{0}, busy{0}, other{0};
  std::atomic<bool> retry_after{true};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto r = Http("POST", Url("/api/v1/session"),
                    R"({"email":"admin@acme.example","password":")" + kPassword + R"("})");
      if (r.status == 200) {
        ++ok;
      } else if (r.status == 503) {
        ++busy;
        if (r.Header("retry-after").empty()) retry_after = false;
      } else {
        ++other;
      }
    });
  }
  auto health = ExpectServing();
  for (auto& t : threads) t.join();
  EXPECT_GT(busy.load(), 0) << "16 logins at once were all hashed at once";
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(other.load(), 0);
  EXPECT_TRUE(retry_after.load());
  // Median of five health checks while the logins ran (a generous bound: ASan, shared cores).
  EXPECT_LT(health.count(), 500);
  Memory m = MemoryOf(server_.pid());
  EXPECT_LT(m.peak_kib, 700 * 1024) << "peak RSS in KiB";
}

// Finding 10: no-store on credentials, database files 0600, /metrics behind a token.
TEST_F(HardeningTest, CredentialsAreNotCachedFilesArePrivateMetricsNeedAToken) {
  auto login = Http("POST", Url("/api/v1/session"),
                    R"({"email":"admin@acme.example","password":")" + kPassword + R"("})");
  EXPECT_EQ(login.Header("cache-control"), "no-store");
  std::string token = Str(Json(login.body).at("token"));
  auto created =
      Http("POST", Url("/api/v1/tokens"), R"({"name":"ci"})", {"Authorization: Bearer " + token});
  EXPECT_EQ(created.Header("cache-control"), "no-store");
  for (const char* suffix : {"", "-wal"}) {
    struct stat st {};
    std::string path = db_.dir + "/partnercloud.db" + suffix;
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  // Loopback clients may read /metrics when no token is configured.
  EXPECT_EQ(Http("GET", Url("/metrics")).status, 200);
  ServerProcess guarded;
  guarded.Start({"serve", "--database", db_.url, "--set", "metrics.token=scrape-me-please"});
  EXPECT_EQ(Http("GET", guarded.BaseUrl() + "/metrics").status, 401);
  EXPECT_EQ(Http("GET", guarded.BaseUrl() + "/metrics", "", {"Authorization: Bearer wrong"}).status,
            401);
  auto scraped =
      Http("GET", guarded.BaseUrl() + "/metrics", "", {"Authorization: Bearer scrape-me-please"});
  EXPECT_EQ(scraped.status, 200);
  EXPECT_NE(scraped.body.find("http_requests"), std::string::npos) << scraped.body.substr(0, 200);
}

// Every finding replayed against one process: it is alive afterwards, answers /healthz quickly
// and its peak memory stayed under a bound.
TEST_F(HardeningTest, HostileInputLeavesTheServerServingWithBoundedMemory) {
  Memory start = MemoryOf(server_.pid());
  const std::vector<std::string> hostile = {
      // Trailers, huge and many.
      "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " +
          std::string(70000, 'z') + "\r\n\r\n",
      "POST /api/v1/session HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n0\r\n" +
          std::string(200000, 'y') + "\r\n\r\n",
      // A chunk extension that never ends, a chunk size that overflows.
      "POST /api/v1/session HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
          std::string(200000, 'e') + "\r\n",
      "POST /api/v1/session HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "ffffffffffffffffffff\r\n",
      // Headers: too many, too long, malformed.
      "GET /healthz HTTP/1.1\r\n" + std::string(20000, 'h') + ": v\r\n\r\n",
      "GET /" + std::string(70000, 'p') + " HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "GET /%zz%00/../../etc/passwd HTTP/1.1\r\n\r\n",
      std::string("\0\0\0\x16\x03\x01 not http", 15),
      // Bodies the server must not read without a login.
      "POST /api/v1/usage/imports HTTP/1.1\r\nContent-Length: 9000000000\r\n\r\nabc",
      "PATCH /api/v1/users/x HTTP/1.1\r\nContent-Length: 900000\r\n\r\n{",
      // A login body larger than its limit, JSON nested deeply.
      "POST /api/v1/session HTTP/1.1\r\nContent-Length: 100000\r\n\r\n",
      "POST /api/v1/session HTTP/1.1\r\nContent-Length: 4000\r\n\r\n" + std::string(2000, '[') +
          std::string(2000, ']'),
  };
  for (int round = 0; round < 5; ++round) {
    for (const auto& bytes : hostile) {
      Socket s(server_.port());
      s.Send(bytes);
      std::string reply = s.Read(std::chrono::seconds(3));
      if (!reply.empty()) {
        int status = std::atoi(reply.substr(9, 3).c_str());
        EXPECT_TRUE(status >= 400 && status < 500)
            << StatusLine(reply) << " for " << bytes.substr(0, 60);
      }
    }
  }
  auto median = ExpectServing();
  EXPECT_LT(median.count(), 100) << "median /healthz latency after the hostile input";
  Memory end = MemoryOf(server_.pid());
  EXPECT_LT(end.peak_kib - start.peak_kib, 64 * 1024)
      << "peak RSS grew by KiB (from " << start.peak_kib << ")";
}

// 200 connections send their headers or bodies a byte at a time for 20 s; a normal client's
// requests are served quickly all along.
TEST_F(HardeningTest, SlowClientsDoNotSlowOthers) {
  Session admin = Login("admin@acme.example");
  std::atomic<bool> stop{false};
  std::vector<std::thread> slow;
  const int kThreads = 4, kPerThread = 50;
  for (int t = 0; t < kThreads; ++t) {
    slow.emplace_back([&, t] {
      std::vector<std::unique_ptr<Socket>> conns;
      std::vector<std::string> payloads;
      for (int i = 0; i < kPerThread; ++i) {
        conns.push_back(std::make_unique<Socket>(server_.port()));
        bool body = (t + i) % 2 == 0;
        payloads.push_back(body ? "POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                                  "Content-Length: 4000\r\n\r\n" +
                                      std::string(3990, ' ')
                                : "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Slow: " +
                                      std::string(4000, 's') + "\r\n\r\n");
      }
      size_t pos = 0;
      auto end = Clock::now() + std::chrono::seconds(20);
      while (!stop && Clock::now() < end) {
        for (int i = 0; i < kPerThread; ++i) {
          if (pos < payloads[i].size()) conns[i]->Send(payloads[i].substr(pos, 1));
        }
        ++pos;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  std::vector<long> latencies;
  auto until = Clock::now() + std::chrono::seconds(20);
  int failures = 0;
  while (Clock::now() < until) {
    auto start = Clock::now();
    auto res = Http("GET", Url("/api/v1/me"), "", admin.Bearer());
    if (res.status != 200) ++failures;
    latencies.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (auto& t : slow) t.join();
  std::sort(latencies.begin(), latencies.end());
  ASSERT_FALSE(latencies.empty());
  long p95 = latencies[latencies.size() * 95 / 100];
  EXPECT_EQ(failures, 0);
  EXPECT_LT(p95, 100) << "p95 of " << latencies.size() << " requests; max " << latencies.back();
  RecordProperty("p95_ms", static_cast<int>(p95));
  RecordProperty("max_ms", static_cast<int>(latencies.back()));
  ExpectServing();
}

}  // namespace
}  // namespace pc::test
