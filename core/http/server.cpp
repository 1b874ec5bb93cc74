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
#include <set>
#include <thread>
#include <vector>

#include "core/random.h"
#include "core/time.h"

namespace pc::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// One open connection, as seen by Shutdown().
struct Connection {
  asio::strand<asio::io_context::executor_type> strand;
  beast::tcp_stream* stream = nullptr;
  bool busy = false;  // a request is being read or handled; only touched on `strand`
  explicit Connection(asio::strand<asio::io_context::executor_type> s) : strand(std::move(s)) {}
};

std::string JsonEscape(std::string_view s) { return json::serialize(json::string(s)); }

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
      auto conn = std::make_shared<Connection>(asio::make_strand(ioc));
      {
        std::lock_guard lock(mu);
        if (draining) continue;  // socket closes as it goes out of scope
        connections.insert(conn);
      }
      asio::co_spawn(conn->strand, Session(conn, std::move(socket)), asio::detached);
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
    stream.expires_after(options.write_timeout);
    auto [ec, n] = co_await beast_http::async_write(stream, res, kTuple);
    co_return !ec;
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

  bool LargeBody(std::string_view target) const {
    return !options.large_body_prefix.empty() && target.starts_with(options.large_body_prefix);
  }

  uint64_t BodyLimitFor(std::string_view target) const {
    if (LargeBody(target)) return std::max(options.body_limit, options.large_body_limit);
    return options.body_limit;
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

  awaitable<void> Session(std::shared_ptr<Connection> conn, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    conn->stream = &stream;
    std::string client_addr;
    {
      boost::system::error_code ec;
      auto ep = stream.socket().remote_endpoint(ec);
      if (!ec) client_addr = ep.address().to_string();
    }
    beast::flat_buffer buffer;
    bool first = true;
    const ErrorResponder& error = router.error_responder();
    for (;;) {
      conn->busy = false;
      if (draining) break;
      beast_http::request_parser<beast_http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(boost::none);  // checked against the route's limit once headers are in
      stream.expires_after(first ? options.header_timeout : options.idle_timeout);
      first = false;
      auto [ec, n] = co_await beast_http::async_read_header(stream, buffer, parser, kTuple);
      if (ec == beast_http::error::end_of_stream || ec == asio::error::operation_aborted ||
          ec == beast::error::timeout || ec == asio::error::connection_reset ||
          ec == asio::error::eof) {
        break;
      }
      auto started = std::chrono::steady_clock::now();
      if (ec) {
        Response res = ec == beast_http::error::header_limit
                           ? error(Status::request_header_fields_too_large, "HeadersTooLarge",
                                   "The request headers exceed 16 KiB.")
                           : error(Status::bad_request, "BadRequest",
                                   "The request is not valid HTTP/1.1: " + ec.message());
        res.keep_alive(false);
        co_await Write(stream, res, false);
        break;
      }
      conn->busy = true;
      if (metrics) metrics->RequestStarted();
      const auto& header = parser.get();
      bool head = header.method() == Verb::head;
      const std::string target(header.target());  // `header` moves if the body is spooled
      uint64_t limit = BodyLimitFor(target);
      parser.body_limit(limit);
      Response res;
      bool close_after = false;
      std::string route;
      std::string request_id(header["X-Request-Id"]);
      if (request_id.empty() || request_id.size() > 128) request_id = RandomToken(12);
      std::string method(beast_http::to_string(header.method()));
      std::string path;
      std::shared_ptr<ResponseStream> streamed;
      if (parser.content_length() && *parser.content_length() > limit) {
        res = error(
            Status::payload_too_large, "PayloadTooLarge",
            "The request body is larger than the limit of " + std::to_string(limit) + " bytes.");
        close_after = true;
      } else {
        if (beast::iequals(header[beast_http::field::expect], "100-continue")) {
          beast_http::response<beast_http::empty_body> cont{Status::continue_, 11};
          stream.expires_after(options.write_timeout);
          co_await beast_http::async_write(stream, cont, kTuple);
        }
        stream.expires_after(options.read_timeout);
        std::optional<Request> read;
        std::shared_ptr<const SpooledBody> spooled;
        boost::system::error_code rec;
        std::string disk_error;
        if (LargeBody(target) && !parser.is_done()) {
          // Beast reads as much as the buffer has room for (at least 512 bytes): make room
          // for 64 KiB reads, or a large body takes one system call per 512 bytes.
          buffer.reserve(64 << 10);
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
        } else {
          auto [ec2, rn] = co_await beast_http::async_read(stream, buffer, parser, kTuple);
          rec = ec2;
          if (!rec) read.emplace(parser.release());
        }
        if (!disk_error.empty()) {
          spdlog::error("request body of {} {}: {}", method, target, disk_error);
          res = error(Status::insufficient_storage, "InsufficientStorage",
                      "The server could not store the request body; try again later.");
          close_after = true;
        } else if (rec == beast_http::error::body_limit) {
          res = error(
              Status::payload_too_large, "PayloadTooLarge",
              "The request body is larger than the limit of " + std::to_string(limit) + " bytes.");
          close_after = true;
        } else if (rec) {
          if (metrics) metrics->RequestFinished(method, "", 0, {});
          if (rec != beast::error::timeout && rec != asio::error::eof &&
              rec != beast_http::error::end_of_stream) {
            res = error(Status::bad_request, "BadRequest",
                        "The request body could not be read: " + rec.message());
            res.keep_alive(false);
            co_await Write(stream, res, false);
          }
          break;
        } else {
          Request& req = *read;
          RequestContext ctx{req, client_addr, "", {}, {}, "", request_id, spooled};
          auto url = boost::urls::parse_origin_form(req.target());
          if (!url) {
            res =
                error(Status::bad_request, "BadRequest", "The request target is not a valid URL.");
          } else {
            ctx.path = std::string(url->path());
            for (auto param : url->params()) ctx.query[param.key] = param.value;
            res = router.Dispatch(ctx);
            route = ctx.route;
            if (!head && res.result() == Status::ok) streamed = std::move(ctx.stream);
          }
          path = ctx.path;
          close_after = !req.keep_alive();
        }
      }
      if (path.empty()) path = target.substr(0, target.find('?'));
      if (draining) close_after = true;
      res.keep_alive(!close_after);
      res.set("X-Request-Id", request_id);
      int status = res.result_int();
      size_t bytes_out = res.body().size();
      // Counted before the write, so a client that has its answer sees it in /metrics.
      auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - started);
      if (metrics) metrics->RequestFinished(method, route, status, latency);
      bool written = false;
      if (streamed) {
        bytes_out = co_await WriteStream(stream, res, *streamed);
        close_after = true;
      } else {
        written = co_await Write(stream, res, head);
      }
      if (options.access_log) {
        std::string line =
            "{\"time\":\"" + FormatTimestamp(Now()) + "\",\"remote\":" + JsonEscape(client_addr) +
            ",\"method\":" + JsonEscape(method) + ",\"path\":" + JsonEscape(path) +
            ",\"route\":" + JsonEscape(route) + ",\"status\":" + std::to_string(status) +
            ",\"durationMs\":" + std::to_string(latency.count() / 1000.0) +
            ",\"bytesOut\":" + std::to_string(bytes_out) +
            ",\"requestId\":" + JsonEscape(request_id) + "}\n";
        std::cout << line << std::flush;
      }
      if (!written || close_after) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    conn->stream = nullptr;
    std::lock_guard lock(mu);
    connections.erase(conn);
  }

  void BeginShutdown() {
    std::call_once(shutdown_once, [this] {
      draining = true;
      for (auto& cb : on_shutdown) cb();
      asio::post(ioc, [this] {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        signals.cancel(ignored);
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
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->options.threads; ++i) {
    threads.emplace_back([this] { impl_->ioc.run(); });
  }
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void Server::Shutdown() { impl_->BeginShutdown(); }

boost::asio::io_context& Server::io_context() { return impl_->ioc; }

}  // namespace pc::http
