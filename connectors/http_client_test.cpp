// HttpClient against a real local server (core/http) that misbehaves on purpose.
#include "connectors/http_client.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>

#include "core/http/server.h"

namespace pc::connectors {
namespace {

class FlakyServer {
 public:
  FlakyServer() {
    router_.Add(http::Verb::get, "/throttled-then-ok", [this](http::RequestContext&) {
      if (throttled_calls_++ < 2) {
        auto res = http::ErrorResponse(http::Status::too_many_requests, "TooManyRequests", "slow");
        res.set("Retry-After", "1");
        return res;
      }
      return http::JsonResponse(http::Status::ok, json::object{{"ok", true}});
    });
    router_.Add(http::Verb::get, "/always-500", [this](http::RequestContext&) {
      ++failing_calls_;
      return http::ErrorResponse(http::Status::internal_server_error, "Boom", "boom");
    });
    router_.Add(http::Verb::get, "/not-found", [this](http::RequestContext&) {
      ++not_found_calls_;
      return http::ErrorResponse(http::Status::not_found, "NotFound", "nope");
    });
    // 32 MiB of zeros as gzip (about 32 KiB on the wire).
    router_.Add(http::Verb::get, "/gzip-bomb", [this](http::RequestContext&) {
      ++bomb_calls_;
      std::string zeros(32 << 20, '\0');
      z_stream z{};
      deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
      std::string gz(deflateBound(&z, zeros.size()), '\0');
      z.next_in = reinterpret_cast<Bytef*>(zeros.data());
      z.avail_in = static_cast<uInt>(zeros.size());
      z.next_out = reinterpret_cast<Bytef*>(gz.data());
      z.avail_out = static_cast<uInt>(gz.size());
      deflate(&z, Z_FINISH);
      gz.resize(z.total_out);
      deflateEnd(&z);
      auto res = http::TextResponse(http::Status::ok, std::move(gz), "application/json");
      res.set("Content-Encoding", "gzip");
      return res;
    });
    router_.Add(http::Verb::post, "/echo", [](http::RequestContext& ctx) {
      return http::TextResponse(http::Status::ok, ctx.request.body(), "text/plain");
    });
    http::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.access_log = false;
    server_ = std::make_unique<http::Server>(options, router_, nullptr);
    port_ = *server_->Listen();
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~FlakyServer() {
    server_->Shutdown();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  std::atomic<int> throttled_calls_{0}, failing_calls_{0}, not_found_calls_{0}, bomb_calls_{0};

 private:
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(HttpClientTest, HonoursRetryAfterThenSucceeds) {
  FlakyServer server;
  std::vector<std::chrono::milliseconds> waits;
  HttpClientOptions options;
  options.upstream = "test";
  options.retry.base_delay = std::chrono::milliseconds(10);
  options.on_wait = [&](std::chrono::milliseconds w) { waits.push_back(w); };
  HttpClient client(options);
  auto res = client.Send({"GET", server.Url("/throttled-then-ok"), {}, "", {}, ""});
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(server.throttled_calls_, 3);
  ASSERT_EQ(waits.size(), 2u);
  for (auto w : waits) EXPECT_GE(w, std::chrono::milliseconds(1000));
}

TEST(HttpClientTest, GivesUpAfterMaxAttemptsAndReturnsLastResponse) {
  FlakyServer server;
  HttpClientOptions options;
  options.retry.max_attempts = 3;
  options.retry.base_delay = std::chrono::milliseconds(5);
  HttpClient client(options);
  auto res = client.Send({"GET", server.Url("/always-500"), {}, "", {}, ""});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(server.failing_calls_, 3);
}

TEST(HttpClientTest, DoesNotRetryClientErrors) {
  FlakyServer server;
  HttpClient client({});
  auto res = client.Send({"GET", server.Url("/not-found"), {}, "", {}, ""});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(server.not_found_calls_, 1);
  EXPECT_NE(res->body.find("\"NotFound\""), std::string::npos);
}

TEST(HttpClientTest, RefusedConnectionIsUnavailableAfterRetries) {
  HttpClientOptions options;
  options.retry.max_attempts = 2;
  options.retry.base_delay = std::chrono::milliseconds(5);
  HttpClient client(options);
  // Port 1 on loopback: nothing listens there.
  auto res =
      client.Send({"GET", "http://127.0.0.1:1/x", {}, "", std::chrono::milliseconds(500), ""});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kUnavailable);
}

TEST(HttpClientTest, SendsBodyAndHeaders) {
  FlakyServer server;
  HttpClient client({});
  auto res = client.Send({"POST",
                          server.Url("/echo"),
                          {{"Content-Type", "text/plain"}},
                          FormEncode({{"a", "1 2"}, {"b", "x&y"}}),
                          {},
                          ""});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->body, "a=1%202&b=x%26y");
  EXPECT_EQ(res->Header("content-type"), "text/plain");
}

// An upstream answer is bounded by what it decodes to: a gzip bomb stops at the limit, once.
TEST(HttpClientTest, AGzipAnswerIsBoundedByItsDecodedSize) {
  FlakyServer server;
  HttpClientOptions options;
  options.max_response_bytes = 4 << 20;
  HttpClient client(options);
  auto res = client.Send({"GET", server.Url("/gzip-bomb"), {}, "", {}, ""});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kPayloadTooLarge);
  EXPECT_NE(res.error().message.find("larger than 4 MiB once decoded"), std::string::npos)
      << res.error().message;
  EXPECT_EQ(server.bomb_calls_, 1);  // not retried
  options.max_response_bytes = 64 << 20;
  HttpClient roomy(options);
  auto whole = roomy.Send({"GET", server.Url("/gzip-bomb"), {}, "", {}, ""});
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->body.size(), size_t{32} << 20);
}

TEST(HttpClientTest, RetryAfterParsesSecondsAndDates) {
  EXPECT_EQ(HttpClient::RetryAfter("3"), std::chrono::milliseconds(3000));
  EXPECT_EQ(HttpClient::RetryAfter(""), std::chrono::milliseconds(0));
  EXPECT_EQ(HttpClient::RetryAfter("soon"), std::chrono::milliseconds(0));
  // A date in the past asks for no wait at all.
  EXPECT_EQ(HttpClient::RetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::chrono::milliseconds(0));
  // A date two minutes ahead asks for about two minutes: a parser that ignored dates says 0.
  auto ahead = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                    std::chrono::seconds(120));
  std::tm utc{};
  gmtime_r(&ahead, &utc);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  auto wait = HttpClient::RetryAfter(date);
  EXPECT_GE(wait, std::chrono::seconds(100)) << date;
  EXPECT_LE(wait, std::chrono::seconds(120)) << date;
}

TEST(TokenBucketTest, LimitsTheRate) {
  TokenBucket bucket(6000, 5);  // 100 per second, burst 5
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 25; ++i) bucket.Acquire();
  auto took = std::chrono::steady_clock::now() - start;
  // 5 from the burst, then 20 at 10 ms each: at least ~190 ms whatever the machine's speed.
  EXPECT_GE(took, std::chrono::milliseconds(180));
}

}  // namespace
}  // namespace pc::connectors
