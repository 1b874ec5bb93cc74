// Router: maps (method, path) to a handler. Patterns are literal segments and `{name}`
// parameters: "/api/v1/users/{id}". A path that matches no pattern is 404; a path whose
// pattern exists but not for this method is 405 with an Allow header.
// Routes are added before the server starts; Dispatch is then thread-safe.
#pragma once

#include <any>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/http/message.h"

namespace pc::http {

using Handler = std::function<Response(RequestContext&)>;
using RequestHeader = beast_http::request_header<>;

// What a route accepts before its body is read. The server consults it once the headers are in.
struct BodyPolicy {
  uint64_t limit = 0;  // largest body in bytes; 0: the server's default (ServerOptions)
  // Write the body to an unnamed temporary file instead of memory (RequestContext::spooled).
  // Spooling routes count against ServerOptions::max_concurrent_spools.
  bool spool = false;
  // Runs after the headers and before any of the body is read (e.g. authentication and
  // authorization): a response here is sent instead, the body is never read, and the connection
  // closes. Whatever it stores in `admitted` reaches the handler as RequestContext::admitted.
  // Must be thread-safe. Empty: admit everything.
  std::function<std::optional<Response>(const RequestHeader&, std::string_view client_addr,
                                        std::any& admitted)>
      admit;
};

struct Route {
  Verb method;
  std::string pattern;
  Handler handler;
  BodyPolicy body;
  std::vector<std::string> segments;  // `pattern` split at '/', set by Router::Add
};

// Builds the error response for router and server failures (404, 405, 400, 413, ...), so that
// each emulated service in the sandbox can answer in its own error format.
using ErrorResponder =
    std::function<Response(Status status, std::string_view code, std::string_view message)>;

class Router {
 public:
  explicit Router(ErrorResponder error_responder = ErrorResponse);

  void Add(Verb method, std::string pattern, Handler handler, BodyPolicy body = {});
  // The route that would handle `method` on the decoded `path`, or null (404, 405 or the
  // fallback then).
  const Route* Find(Verb method, std::string_view path) const;
  // Runs `handler` for a path that matches no route under any method (instead of the 404),
  // e.g. to serve the web app's files and deep links. Not listed in routes().
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }
  // Routes in the order they were added (for the OpenAPI consistency test and docs).
  const std::vector<Route>& routes() const { return routes_; }
  // Lets the builder adjust routes (e.g. a default admission) before the server starts.
  std::vector<Route>& mutable_routes() { return routes_; }

  // Matches ctx.path and ctx.request.method(), fills ctx.params and ctx.route, runs the handler.
  // A handler that throws gets a 500 with the error body; the exception is not propagated.
  Response Dispatch(RequestContext& ctx) const;

  const ErrorResponder& error_responder() const { return error_responder_; }

 private:
  std::vector<Route> routes_;
  Handler fallback_;
  ErrorResponder error_responder_;
};

// Splits "/a/b/c" into {"a","b","c"}.
std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace pc::http
