#include "api/respond.h"

#include <boost/beast/core/string.hpp>
#include <charconv>

namespace pc::api {

namespace bh = boost::beast::http;

http::Status StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return http::Status::bad_request;
    case ErrorCode::kUnauthenticated:
      return http::Status::unauthorized;
    case ErrorCode::kPermissionDenied:
      return http::Status::forbidden;
    case ErrorCode::kNotFound:
      return http::Status::not_found;
    case ErrorCode::kConflict:
      return http::Status::conflict;
    case ErrorCode::kFailedPrecondition:
      return http::Status::conflict;
    case ErrorCode::kPayloadTooLarge:
      return http::Status::payload_too_large;
    case ErrorCode::kResourceExhausted:
      return http::Status::too_many_requests;
    case ErrorCode::kOutOfRange:
      return http::Status::bad_request;
    case ErrorCode::kUnavailable:
      return http::Status::service_unavailable;
    case ErrorCode::kInternal:
      return http::Status::internal_server_error;
  }
  return http::Status::internal_server_error;
}

http::Response ErrorReply(const Error& error) {
  auto res = http::ErrorResponse(StatusFor(error.code), ErrorCodeName(error.code), error.message);
  if (error.code == ErrorCode::kUnauthenticated) {
    res.set(bh::field::www_authenticate, "Bearer realm=\"partnercloud\"");
  }
  return res;
}

http::Response Reply(const Result<json::value>& result, http::Status status) {
  if (!result.ok()) return ErrorReply(result.error());
  return http::JsonResponse(status, *result);
}

http::Response Reply(const Status& status) {
  if (!status.ok()) return ErrorReply(status.error());
  http::Response res{http::Status::no_content, 11};
  return res;
}

namespace {

std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

}  // namespace

Result<identity::Principal> Authenticate(http::RequestContext& req, ApiContext& ctx) {
  std::string_view auth = req.request[bh::field::authorization];
  if (!auth.empty()) {
    if (auth.size() < 7 || !boost::beast::iequals(auth.substr(0, 7), "Bearer ")) {
      return Unauthenticated("The Authorization header must be 'Bearer <token>'");
    }
    return ctx.identity.Authenticate(auth.substr(7), req.client_addr);
  }
  std::string_view cookie = CookieValue(req.request[bh::field::cookie], "pc_session");
  if (cookie.empty()) {
    return Unauthenticated(
        "Log in first: POST /api/v1/session, then send the session cookie "
        "or 'Authorization: Bearer <token>'");
  }
  PC_ASSIGN_OR_RETURN(auto who, ctx.identity.Authenticate(cookie, req.client_addr));
  auto method = req.request.method();
  if (method != http::Verb::get && method != http::Verb::head) {
    std::string_view csrf = req.request["X-CSRF-Token"];
    if (!ctx.identity.CheckCsrf(who, csrf)) {
      return PermissionDenied(
          "A cookie-authenticated change needs the X-CSRF-Token header "
          "with the csrfToken returned at login");
    }
  }
  return who;
}

Result<int64_t> LimitParam(const http::RequestContext& req, int64_t fallback, int64_t max) {
  auto it = req.query.find("limit");
  if (it == req.query.end() || it->second.empty()) return fallback;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || value < 1 ||
      value > max) {
    return InvalidArgument("Query parameter 'limit' must be a whole number from 1 to " +
                           std::to_string(max));
  }
  return value;
}

Result<json::object> JsonBody(const http::RequestContext& req) {
  // The body is parsed as JSON whatever the Content-Type says (curl -d sends a form type).
  return ParseJsonObject(req.request.body());
}

}  // namespace pc::api
