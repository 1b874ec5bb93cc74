// Server: the HTTP/1.1 server (Boost.Beast, one C++20 coroutine per connection).
//
// Every read has a deadline (header, body, keep-alive idle), bodies over the limit get 413
// before they are read, a route's BodyPolicy::admit (authentication) runs before its body is
// read, malformed requests get 400, and every error goes through the router's ErrorResponder so
// the body has the right format. Whatever one connection sends (an exception included) ends
// that connection only; the memory a connection holds is bounded by the header limit, the read
// buffer and the route's body limit. Graceful shutdown: stop accepting, close
// idle connections, let requests already being read or handled finish, then Run() returns.
// Handlers run on the server's threads and may block (database calls); size `threads` for it.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/http/metrics.h"
#include "core/http/router.h"
#include "core/result.h"

namespace pc::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port; Listen() returns it
  int threads = 4;
  uint64_t body_limit = 1024 * 1024;  // routes may set their own (Router BodyPolicy)
  // Request line and headers, and separately a chunked body's trailer fields, at most this
  // many bytes each (larger: 431). No single field can reach Beast's 64 KiB field limit.
  uint32_t header_limit = 16 * 1024;
  // Open connections at most; further connections are closed as soon as they are accepted.
  int max_connections = 1024;
  // Bodies being written to temporary files (BodyPolicy::spool) at once; more get 503.
  int max_concurrent_spools = 2;
  std::chrono::seconds header_timeout{10};  // first request line and headers
  std::chrono::seconds read_timeout{60};    // the body
  std::chrono::seconds idle_timeout{30};    // between keep-alive requests
  std::chrono::seconds write_timeout{60};
  std::string server_name = "partnercloud";
  // One JSON line per request on stdout, written in batches: when 64 KiB are waiting, every
  // 200 ms and at shutdown (a crash loses at most the last 200 ms of lines).
  bool access_log = true;
};

class Server {
 public:
  // `router` and `metrics` must outlive the server. `metrics` may be null.
  Server(ServerOptions options, const Router& router, HttpMetrics* metrics);
  ~Server();

  // Binds and listens. Returns the bound port, or an error naming the address.
  Result<uint16_t> Listen();
  // Also shut down gracefully on SIGTERM and SIGINT.
  void HandleSignals();
  // Called once when shutdown begins (e.g. to stop background workers).
  void OnShutdown(std::function<void()> callback);
  // Serves until shutdown has completed. Blocks the calling thread (plus options.threads - 1).
  void Run();
  // Begins a graceful shutdown. Thread-safe, idempotent.
  void Shutdown();

  boost::asio::io_context& io_context();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pc::http
