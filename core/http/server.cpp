#include "core/http/server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "core/time.h"

namespace pc::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// The most a connection's read buffer holds (see Session).
constexpr size_t kReadBufferLimit = 64 << 10;

// One open connection, as seen by Shutdown().
struct Connection {
  asio::strand<asio::io_context::executor_type> strand;
  beast::tcp_stream* stream = nullptr;
  bool busy = false;  // a request is being read or handled; only touched on `strand`
  explicit Connection(asio::strand<asio::io_context::executor_type> s) : strand(std::move(s)) {}
};

std::string JsonEscape(std::string_view s) {
  // Most values (paths, routes, request IDs) need no escaping: quoted as they are.
  if (std::all_of(s.begin(), s.end(),
                  [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; })) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    out += s;
    out += '"';
    return out;
  }
  return json::serialize(json::string(s));
}

// A request ID: 96 random bits in URL-safe base64 (16 characters), as RandomToken(12) gives, but
// without a system call per request: an ID is not a secret (it is sent back and logged), so a
// per-thread generator seeded once from the system's randomness serves.
std::string NewRequestId() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  std::string id(16, '\0');
  uint64_t bits = generator();
  for (int i = 0; i < 16; ++i) {
    if (i == 10) bits = generator();  // 60 bits from the first draw, 36 from the second
    id[i] = kAlphabet[bits & 63];
    bits >>= 6;
  }
  return id;
}

// 0..999 as three digits ("007"): the fraction of a millisecond count in the access log.
std::string Digits3(int64_t n) {
  return {char('0' + n / 100 % 10), char('0' + n / 10 % 10), char('0' + n % 10)};
}

// An unnamed temporary file (created in the temporary directory, then unlinked), or -1.
int UnnamedTempFile() {
  std::error_code ec;
  std::string dir = std::filesystem::temp_directory_path(ec).string();
  if (ec) dir = "/tmp";
  std::string path = dir + "/partnercloud-body-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd >= 0) ::unlink(path.c_str());
  return fd;
}

// Writes all of [data, data + n) to fd; false (errno set) on failure.
bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  const Router& router;
  HttpMetrics* metrics;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc};
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::set<std::shared_ptr<Connection>> connections;
  std::vector<std::function<void()>> on_shutdown;
  std::once_flag shutdown_once;
  std::chrono::steady_clock::time_point last_refusal_log{};  // only touched by Accept
  // Access log lines waiting for stdout (ServerOptions::access_log). `log_write_mu` keeps the
  // batches in order; appending takes only `log_mu`.
  std::mutex log_mu, log_write_mu;
  std::string log_buffer;
  asio::steady_timer log_timer{ioc};
  static constexpr size_t kLogBatchBytes = 64 * 1024;

  Impl(ServerOptions o, const Router& r, HttpMetrics* m)
      : options(std::move(o)), router(r), metrics(m), ioc(std::max(1, options.threads)) {}

  awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) {
        if (draining || ec == asio::error::operation_aborted) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      if (open_connections.load() >= options.max_connections) {
        // Over the limit: the socket closes as it goes out of scope.
        auto now = std::chrono::steady_clock::now();
        if (now - last_refusal_log > std::chrono::seconds(10)) {
          last_refusal_log = now;
          spdlog::warn("{} connections open (server.max_connections): refusing more",
                       options.max_connections);
        }
        continue;
      }
      auto conn = std::make_shared<Connection>(asio::make_strand(ioc));
      {
        std::lock_guard lock(mu);
        if (draining) continue;  // socket closes as it goes out of scope
        connections.insert(conn);
        open_connections.fetch_add(1);
      }
      asio::co_spawn(conn->strand, Session(conn, std::move(socket)), [](std::exception_ptr e) {
        // Session catches what a request throws; this is the last line of defence.
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("connection ended by an uncaught error: {}", ex.what());
        } catch (...) {
          spdlog::error("connection ended by an uncaught error");
        }
      });
    }
  }

  void Log(std::string_view line) {
    {
      std::lock_guard lock(log_mu);
      log_buffer += line;
      if (log_buffer.size() < kLogBatchBytes) return;
    }
    FlushLog();
  }

  void FlushLog() {
    std::lock_guard write_lock(log_write_mu);
    std::string batch;
    {
      std::lock_guard lock(log_mu);
      batch.swap(log_buffer);
    }
    if (batch.empty()) return;
    std::cout.write(batch.data(), static_cast<std::streamsize>(batch.size()));
    std::cout.flush();
  }

  awaitable<void> FlushLogPeriodically() {
    for (;;) {
      log_timer.expires_after(std::chrono::milliseconds(200));
      auto [ec] = co_await log_timer.async_wait(kTuple);
      FlushLog();
      if (ec || draining) co_return;
    }
  }

  // Writes `res`, closing the connection afterwards unless keep_alive is set.
  awaitable<bool> Write(beast::tcp_stream& stream, Response& res, bool head) {
    res.set(beast_http::field::server, options.server_name);
    res.prepare_payload();
    if (head) {
      auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    // Most responses fit in the socket's send buffer: written at once, without a timer or a trip
    // through the event loop. What does not fit goes out as the client reads, under the write
    // timeout.
    beast_http::response_serializer<beast_http::string_body> serializer{res};
    boost::system::error_code ec;
    stream.socket().non_blocking(true, ec);
    if (!ec) beast_http::write(stream.socket(), serializer, ec);
    if (!ec) co_return true;
    if (ec != asio::error::would_block && ec != asio::error::try_again) co_return false;
    stream.expires_after(options.write_timeout);
    auto [aec, n] = co_await beast_http::async_write(stream, serializer, kTuple);
    co_return !aec;
  }

  // Sends `res` as the start of a streamed body (chunked), then what `body.next` produces,
  // waiting on a timer in between; the connection closes afterwards. Returns the bytes sent.
  awaitable<size_t> WriteStream(beast::tcp_stream& stream, const Response& res,
                                ResponseStream& body) {
    beast_http::response<beast_http::empty_body> head{res.result(), res.version()};
    for (const auto& field : res) head.set(field.name_string(), field.value());
    head.set(beast_http::field::server, options.server_name);
    head.chunked(true);
    head.keep_alive(false);
    beast_http::response_serializer<beast_http::empty_body> serializer{head};
    stream.expires_after(options.write_timeout);
    auto [ec, n] = co_await beast_http::async_write_header(stream, serializer, kTuple);
    if (ec) co_return 0;
    size_t sent = 0;
    auto send = [&](const std::string& data) -> awaitable<bool> {
      stream.expires_after(options.write_timeout);
      auto [wec, wn] = co_await asio::async_write(
          stream, beast_http::make_chunk(asio::const_buffer(data.data(), data.size())), kTuple);
      sent += data.size();
      co_return !wec;
    };
    bool open = res.body().empty() || co_await send(res.body());
    auto until = std::chrono::steady_clock::now() + body.max_duration;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (open && !draining && std::chrono::steady_clock::now() < until) {
      timer.expires_after(body.interval);
      co_await timer.async_wait(kTuple);
      if (draining) break;
      std::optional<std::string> chunk = body.next();
      if (!chunk) break;
      if (!chunk->empty()) open = co_await send(*chunk);
    }
    if (open) {
      stream.expires_after(options.write_timeout);
      co_await asio::async_write(stream, beast_http::make_chunk_last(), kTuple);
    }
    co_return sent;
  }

  struct Spooled {
    boost::system::error_code ec;  // reading the request failed
    std::string disk_error;        // writing the file failed
    std::shared_ptr<SpooledBody> body;
  };

  // Reads the body into an unnamed temporary file, 64 KiB at a time, so that a large body
  // (a usage file) costs disk, not memory.
  awaitable<Spooled> ReadSpooled(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                 beast_http::request_parser<beast_http::buffer_body>& parser) {
    Spooled out;
    auto body = std::make_shared<SpooledBody>();
    body->fd = UnnamedTempFile();
    if (body->fd < 0) {
      out.disk_error = std::string("cannot create a temporary file: ") + std::strerror(errno);
      co_return out;
    }
    std::vector<char> chunk(64 << 10);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      auto [ec, n] = co_await beast_http::async_read(stream, buffer, parser, kTuple);
      if (ec == beast_http::error::need_buffer) ec = {};
      if (ec) {
        out.ec = ec;
        co_return out;
      }
      size_t got = chunk.size() - parser.get().body().size;
      if (!WriteAll(body->fd, chunk.data(), got)) {
        out.disk_error = std::string("cannot write a temporary file: ") + std::strerror(errno);
        co_return out;
      }
      body->size += got;
    }
    out.body = std::move(body);
    co_return out;
  }

  // Bytes of the fields of `fields` as they travel ("Name: value\r\n").
  static size_t FieldBytes(const beast_http::fields& fields) {
    size_t n = 0;
    for (const auto& f : fields) n += f.name_string().size() + f.value().size() + 4;
    return n;
  }

  // Holds one of the max_concurrent_spools slots while a body is written to disk.
  struct SpoolSlot {
    std::atomic<int>* count = nullptr;
    SpoolSlot() = default;
    SpoolSlot(const SpoolSlot&) = delete;
    SpoolSlot& operator=(const SpoolSlot&) = delete;
    ~SpoolSlot() {
      if (count) count->fetch_sub(1);
    }
  };
  std::atomic<int> spools{0};
  std::atomic<int> open_connections{0};

  // What one request/response exchange ended with.
  enum class Next { kKeepAlive, kClose };

  // The state of a connection that outlives one exchange (for the error path).
  struct Exchange {
    bool writing = false;  // a response has started to go out: nothing more can be said
    bool linger = false;   // refused, maybe with the request unread: see Linger
  };

  // Bytes and time a closing connection spends on a refused request's unread rest.
  static constexpr size_t kLingerBytes = 8 << 20;
  static constexpr std::chrono::seconds kLingerTime{2};

  // After an answer that refused a request whose body may still be on its way (413, 401 before
  // the body, a malformed request), reads and drops what the client still sends, until it
  // closes, 8 MiB or 2 seconds: closing with unread data would send the client a reset, which
  // can reach it before the answer and hide it ("connection reset" instead of "413").
  awaitable<void> Linger(beast::tcp_stream& stream) {
    std::vector<char> sink(64 << 10);
    stream.expires_after(kLingerTime);
    for (size_t dropped = 0; dropped < kLingerBytes;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
      dropped += n;
    }
  }

  // (Takes the response by reference: GCC 12 mishandles non-trivial temporaries passed by value
  // to a coroutine inside co_await; callers pass named locals.)
  awaitable<Next> WriteFinal(beast::tcp_stream& stream, Exchange& ex, Response& res) {
    res.keep_alive(false);
    ex.writing = true;
    ex.linger = true;
    co_await Write(stream, res, false);
    co_return Next::kClose;
  }

  // Reads one request (headers, admission, body), dispatches it and writes the response.
  awaitable<Next> ServeOne(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                           const std::string& client_addr, bool first, Connection& conn,
                           Exchange& ex) {
    const ErrorResponder& error = router.error_responder();
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(options.header_limit);
    parser.body_limit(boost::none);  // checked against the route's limit once headers are in
    stream.expires_after(first ? options.header_timeout : options.idle_timeout);
    auto [ec, n] = co_await beast_http::async_read_header(stream, buffer, parser, kTuple);
    if (ec == beast_http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      co_return Next::kClose;
    }
    if (ec) {
      bool too_large =
          ec == beast_http::error::header_limit || ec == beast_http::error::buffer_overflow;
      Response res;
      if (too_large) {
        res = error(Status::request_header_fields_too_large, "HeadersTooLarge",
                    "The request line and headers exceed " +
                        std::to_string(options.header_limit / 1024) + " KiB.");
      } else {
        res = error(Status::bad_request, "BadRequest",
                    "The request is not valid HTTP/1.1: " + ec.message());
      }
      co_return co_await WriteFinal(stream, ex, res);
    }
    auto started = std::chrono::steady_clock::now();
    conn.busy = true;
    if (metrics) metrics->RequestStarted();
    struct Finished {  // every started request is counted as finished exactly once
      Impl* self;
      std::string method, route;
      int status = 0;
      std::chrono::steady_clock::time_point started;
      bool done = false;
      void Done(int s, std::string r) {
        if (done) return;
        done = true;
        status = s;
        route = std::move(r);
        if (self->metrics) {
          self->metrics->RequestFinished(method, route, status,
                                         std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - started));
        }
      }
      ~Finished() { Done(0, ""); }
    };
    const auto& header = parser.get();
    Finished finished{this, std::string(beast_http::to_string(header.method())), "", 0, started};
    bool head = header.method() == Verb::head;
    const size_t header_bytes = FieldBytes(header);  // trailers, if any, come on top
    const std::string target(header.target());       // `header` moves if the body is spooled
    std::string request_id(header["X-Request-Id"]);
    if (request_id.empty() || request_id.size() > 128 ||
        std::any_of(request_id.begin(), request_id.end(),
                    [](char c) { return c < 0x21 || c > 0x7e; })) {
      request_id = NewRequestId();
    }
    Response res;
    bool close_after = false;
    std::string route_pattern;
    std::shared_ptr<ResponseStream> streamed;  // a handler's streamed body (server-sent events)
    std::string path;
    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
      res = error(Status::bad_request, "BadRequest", "The request target is not a valid URL.");
      close_after = !parser.is_done();
    } else {
      path = std::string(url->path());
      const Route* route = router.Find(header.method(), path);
      const BodyPolicy* policy = route ? &route->body : nullptr;
      uint64_t limit = policy && policy->limit ? policy->limit : options.body_limit;
      parser.body_limit(limit);
      SpoolSlot slot;
      std::any admitted;  // what the admission hands to the handler
      bool spool = policy && policy->spool && !parser.is_done();
      bool refused = false;
      if (parser.content_length() && *parser.content_length() > limit) {
        refused = true;
        res = error(
            Status::payload_too_large, "PayloadTooLarge",
            "The request body is larger than the limit of " + std::to_string(limit) + " bytes.");
      } else if (policy && policy->admit) {
        if (auto answer = policy->admit(header, client_addr, admitted)) {
          refused = true;
          res = std::move(*answer);
        }
      }
      if (!refused && spool) {
        if (spools.fetch_add(1) >= options.max_concurrent_spools) {
          spools.fetch_sub(1);
          refused = true;
          res = error(Status::service_unavailable, "Busy",
                      "The server is receiving as many large uploads as it accepts at once (" +
                          std::to_string(options.max_concurrent_spools) +
                          "); try again in a few seconds.");
          res.set(beast_http::field::retry_after, "5");
        } else {
          slot.count = &spools;
        }
      }
      if (refused) {
        // The body is never read: answer and close.
        close_after = true;
      } else {
        if (beast::iequals(header[beast_http::field::expect], "100-continue")) {
          beast_http::response<beast_http::empty_body> cont{Status::continue_, 11};
          stream.expires_after(options.write_timeout);
          co_await beast_http::async_write(stream, cont, kTuple);
        }
        std::optional<Request> read;
        std::shared_ptr<const SpooledBody> spooled;
        boost::system::error_code rec;
        std::string disk_error;
        if (spool) {
          stream.expires_after(options.read_timeout);
          // Beast reads as much as the buffer has room for (at least 512 bytes): make room
          // for 64 KiB reads, or a large body takes one system call per 512 bytes.
          buffer.reserve(std::min<size_t>(64 << 10, buffer.max_size() - buffer.size()));
          beast_http::request_parser<beast_http::buffer_body> body_parser(std::move(parser));
          body_parser.body_limit(limit);
          Spooled s = co_await ReadSpooled(stream, buffer, body_parser);
          rec = s.ec;
          disk_error = std::move(s.disk_error);
          if (!rec && disk_error.empty()) {
            auto message = body_parser.release();
            read.emplace(std::move(message.base()));
            spooled = std::move(s.body);
          }
        } else if (parser.is_done()) {
          read.emplace(parser.release());  // no body (a GET): nothing more to wait for
        } else {
          stream.expires_after(options.read_timeout);
          auto [ec2, rn] = co_await beast_http::async_read(stream, buffer, parser, kTuple);
          rec = ec2;
          if (!rec) read.emplace(parser.release());
        }
        if (!disk_error.empty()) {
          spdlog::error("request body of {} {}: {}", finished.method, target, disk_error);
          res = error(Status::insufficient_storage, "InsufficientStorage",
                      "The server could not store the request body; try again later.");
          close_after = true;
        } else if (rec == beast_http::error::body_limit) {
          res = error(
              Status::payload_too_large, "PayloadTooLarge",
              "The request body is larger than the limit of " + std::to_string(limit) + " bytes.");
          close_after = true;
        } else if (rec == beast_http::error::buffer_overflow ||
                   (read && FieldBytes(read->base()) > header_bytes + options.header_limit)) {
          res = error(Status::request_header_fields_too_large, "TrailersTooLarge",
                      "The chunked body's trailer fields (or a chunk header) exceed " +
                          std::to_string(options.header_limit / 1024) + " KiB.");
          close_after = true;
        } else if (rec) {
          if (rec == beast::error::timeout || rec == asio::error::eof ||
              rec == beast_http::error::end_of_stream || rec == asio::error::connection_reset ||
              rec == asio::error::operation_aborted) {
            co_return Next::kClose;
          }
          Response bad = error(Status::bad_request, "BadRequest",
                               "The request body could not be read: " + rec.message());
          co_return co_await WriteFinal(stream, ex, bad);
        } else {
          Request& req = *read;
          RequestContext ctx{req, client_addr, path, {}, {}, "", request_id, spooled};
          ctx.admitted = std::move(admitted);
          for (auto param : url->params()) ctx.query[param.key] = param.value;
          res = router.Dispatch(ctx);
          route_pattern = ctx.route;
          if (!head && res.result() == Status::ok) streamed = std::move(ctx.stream);
          close_after = !req.keep_alive();
        }
      }
    }
    if (path.empty()) path = target.substr(0, target.find('?'));
    if (draining) close_after = true;
    res.keep_alive(!close_after);
    if (close_after && res.result_int() >= 400) ex.linger = true;
    res.set("X-Request-Id", request_id);
    int status = res.result_int();
    size_t bytes_out = res.body().size();
    // Counted before the write, so a client that has its answer sees it in /metrics.
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    finished.Done(status, route_pattern);
    ex.writing = true;
    bool written = false;
    if (streamed) {
      bytes_out = co_await WriteStream(stream, res, *streamed);
      close_after = true;
    } else {
      written = co_await Write(stream, res, head);
    }
    ex.writing = false;
    if (options.access_log) {
      std::string line =
          "{\"time\":\"" + FormatTimestamp(Now()) + "\",\"remote\":" + JsonEscape(client_addr) +
          ",\"method\":" + JsonEscape(finished.method) + ",\"path\":" + JsonEscape(path) +
          ",\"route\":" + JsonEscape(route_pattern) + ",\"status\":" + std::to_string(status) +
          ",\"durationMs\":" + std::to_string(latency.count() / 1000) + '.' +
          Digits3(latency.count() % 1000) + ",\"bytesOut\":" + std::to_string(bytes_out) +
          ",\"requestId\":" + JsonEscape(request_id) + "}\n";
      Log(line);
    }
    co_return written && !close_after ? Next::kKeepAlive : Next::kClose;
  }

  awaitable<void> Session(std::shared_ptr<Connection> conn, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    conn->stream = &stream;
    // Whatever happens below, the connection leaves the set.
    struct Leave {
      Impl* self;
      std::shared_ptr<Connection> conn;
      ~Leave() {
        conn->stream = nullptr;
        self->open_connections.fetch_sub(1);
        std::lock_guard lock(self->mu);
        self->connections.erase(conn);
      }
    } leave{this, conn};
    std::string client_addr;
    {
      boost::system::error_code ec;
      auto ep = stream.socket().remote_endpoint(ec);
      if (!ec) client_addr = ep.address().to_string();
    }
    // The read buffer is bounded: headers, chunk headers and trailers must fit in it, so no
    // field can reach Beast's 64 KiB field limit and a client cannot grow it without bound.
    beast::flat_buffer buffer(kReadBufferLimit);
    bool first = true;
    Exchange ex;
    for (;;) {
      conn->busy = false;
      if (draining) break;
      ex = Exchange{};
      std::string failure;
      Next next = Next::kClose;
      try {
        next = co_await ServeOne(stream, buffer, client_addr, first, *conn, ex);
      } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "unknown error";
      } catch (...) {
        failure = "unknown error";
      }
      first = false;
      if (!failure.empty()) {
        // One bad request ends its own connection, never the process.
        spdlog::warn("connection from {} ended by an error: {}", client_addr, failure);
        if (!ex.writing) {
          Response bad = router.error_responder()(Status::bad_request, "BadRequest",
                                                  "The request could not be processed: " + failure);
          try {
            co_await WriteFinal(stream, ex, bad);
          } catch (const std::exception&) {
          }
        }
        break;
      }
      if (next == Next::kClose) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (ex.linger && !draining) co_await Linger(stream);
  }

  void BeginShutdown() {
    std::call_once(shutdown_once, [this] {
      draining = true;
      for (auto& cb : on_shutdown) cb();
      asio::post(ioc, [this] {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        signals.cancel(ignored);
        log_timer.cancel();
      });
      std::lock_guard lock(mu);
      for (const auto& conn : connections) {
        asio::post(conn->strand, [conn] {
          if (!conn->busy && conn->stream) conn->stream->socket().cancel();
        });
      }
    });
  }
};

Server::Server(ServerOptions options, const Router& router, HttpMetrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() = default;

Result<uint16_t> Server::Listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return InvalidArgument("Invalid listen address '" + impl_->options.address + "'");
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("Cannot listen on " + impl_->options.address + ":" +
                       std::to_string(impl_->options.port) + ": " + ec.message());
  }
  return acc.local_endpoint().port();
}

void Server::HandleSignals() {
  impl_->signals.add(SIGTERM);
  impl_->signals.add(SIGINT);
  impl_->signals.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {} received: finishing requests in flight, then exiting", signo);
    Shutdown();
  });
}

void Server::OnShutdown(std::function<void()> callback) {
  impl_->on_shutdown.push_back(std::move(callback));
}

void Server::Run() {
  asio::co_spawn(impl_->ioc, impl_->Accept(), asio::detached);
  if (impl_->options.access_log) {
    asio::co_spawn(impl_->ioc, impl_->FlushLogPeriodically(), asio::detached);
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->options.threads; ++i) {
    threads.emplace_back([this] { impl_->ioc.run(); });
  }
  impl_->ioc.run();
  for (auto& t : threads) t.join();
  impl_->FlushLog();
}

void Server::Shutdown() { impl_->BeginShutdown(); }

boost::asio::io_context& Server::io_context() { return impl_->ioc; }

}  // namespace pc::http
