// Mapping of service results to HTTP responses, and request authentication.
#pragma once

#include <chrono>

#include "api/api.h"
#include "core/http/message.h"
#include "core/http/router.h"
#include "core/result.h"

namespace pc::api {

// The HTTP status for an expected failure.
http::Status StatusFor(ErrorCode code);
// Retry-After of a 429 or 503 whose error gives no advice of its own.
inline constexpr std::chrono::milliseconds kDefaultRetryAfter{5000};
// The project's JSON error body for `error`: {"error":{"code","message"}} with the error's stable
// code (Error::StableCode, core/error_codes.h) and the status of its kind (StatusFor). A 429 or
// 503 always carries Retry-After: the error's retry_after in whole seconds (rounded up), or
// kDefaultRetryAfter. A 401 carries WWW-Authenticate.
http::Response ErrorReply(const Error& error);
// 200 (or `status`) with the JSON value, or the error.
http::Response Reply(const Result<json::value>& result, http::Status status = http::Status::ok);
http::Response Reply(const Status& status);  // 204 or the error

// Authenticates the request: `Authorization: Bearer <session or API token>` or the session
// cookie. Cookie-authenticated writes (anything but GET/HEAD) must carry X-CSRF-Token. The
// principal the route's admission already found (RequestContext::admitted) is used as is.
// Errors: Unauthenticated (401), PermissionDenied (403) for a missing or wrong CSRF token.
Result<identity::Principal> Authenticate(http::RequestContext& req, ApiContext& ctx);
// The same from the request headers alone (before the body is read).
Result<identity::Principal> AuthenticateHeader(const http::RequestHeader& header,
                                               std::string_view client_addr, ApiContext& ctx);
// True if the request announces a body (Content-Length above 0, or Transfer-Encoding).
bool HasBody(const http::RequestHeader& header);

// A handler that runs `fn(request, principal)` for an authenticated request and answers the
// authentication error otherwise.
template <class Fn>
http::Handler Authed(ApiContext& ctx, Fn fn) {
  return [&ctx, fn](http::RequestContext& req) -> http::Response {
    auto who = Authenticate(req, ctx);
    if (!who.ok()) return ErrorReply(who.error());
    return fn(req, *who);
  };
}

// The query parameter `limit`: `fallback` when absent, InvalidArgument unless an integer in
// 1..`max`.
Result<int64_t> LimitParam(const http::RequestContext& req, int64_t fallback, int64_t max = 500);

// Parses the body as a JSON object, with a clear error for a wrong content type or bad JSON,
// or for a string anywhere in it longer than the text field limit (SetTextFieldLimit).
Result<json::object> JsonBody(const http::RequestContext& req);
// The longest string JsonBody accepts, in characters (server.max_text_field). Set once at start.
void SetTextFieldLimit(size_t max_chars);

}  // namespace pc::api
