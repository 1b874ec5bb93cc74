// Router: maps (method, path) to a handler. Patterns are literal segments and `{name}`
// parameters: "/api/v1/users/{id}". A path that matches no pattern is 404; a path whose
// pattern exists but not for this method is 405 with an Allow header.
// Routes are added before the server starts; Dispatch is then thread-safe.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/http/message.h"

namespace pc::http {

using Handler = std::function<Response(RequestContext&)>;

struct Route {
  Verb method;
  std::string pattern;
  Handler handler;
};

// Builds the error response for router and server failures (404, 405, 400, 413, ...), so that
// each emulated service in the sandbox can answer in its own error format.
using ErrorResponder =
    std::function<Response(Status status, std::string_view code, std::string_view message)>;

class Router {
 public:
  explicit Router(ErrorResponder error_responder = ErrorResponse);

  void Add(Verb method, std::string pattern, Handler handler);
  // Runs `handler` for a path that matches no route under any method (instead of the 404),
  // e.g. to serve the web app's files and deep links. Not listed in routes().
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }
  // Routes in the order they were added (for the OpenAPI consistency test and docs).
  const std::vector<Route>& routes() const { return routes_; }

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
