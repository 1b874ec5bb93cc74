#include "api/respond.h"

#include <atomic>
#include <boost/beast/core/string.hpp>
#include <charconv>

#include "core/text.h"

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
  http::Status status = StatusFor(error.code);
  auto res = http::ErrorResponse(status, error.StableCode(), error.message);
  if (status == http::Status::too_many_requests || status == http::Status::service_unavailable) {
    auto after = error.retry_after.count() > 0 ? error.retry_after : kDefaultRetryAfter;
    res.set(bh::field::retry_after, std::to_string((after.count() + 999) / 1000));
  }
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
  // Already authenticated from the headers by the route's admission (requests with a body).
  if (const auto* who = std::any_cast<identity::Principal>(&req.admitted)) return *who;
  return AuthenticateHeader(req.request, req.client_addr, ctx);
}

bool HasBody(const http::RequestHeader& header) {
  if (!header[bh::field::transfer_encoding].empty()) return true;
  auto length = header[bh::field::content_length];
  return !length.empty() && length != "0";
}

Result<identity::Principal> AuthenticateHeader(const http::RequestHeader& header,
                                               std::string_view client_addr, ApiContext& ctx) {
  std::string_view auth = header[bh::field::authorization];
  if (!auth.empty()) {
    if (auth.size() < 7 || !boost::beast::iequals(auth.substr(0, 7), "Bearer ")) {
      return Unauthenticated("The Authorization header must be 'Bearer <token>'");
    }
    return ctx.identity.Authenticate(auth.substr(7), client_addr);
  }
  std::string_view cookie = CookieValue(header[bh::field::cookie], "pc_session");
  if (cookie.empty()) {
    return Unauthenticated(
        "Log in first: POST /api/v1/session, then send the session cookie "
        "or 'Authorization: Bearer <token>'");
  }
  PC_ASSIGN_OR_RETURN(auto who, ctx.identity.Authenticate(cookie, client_addr));
  auto method = header.method();
  if (method != http::Verb::get && method != http::Verb::head) {
    std::string_view csrf = header["X-CSRF-Token"];
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

namespace {

std::atomic<size_t> text_field_limit{4000};

// The first string in `v` (keys included) longer than the limit, as a field path, or "".
std::string LongString(const json::value& v, const std::string& path, size_t limit) {
  auto too_long = [&](std::string_view s) {
    // Bytes first (cheap): a string of at most `limit` bytes has at most `limit` characters.
    if (s.size() <= limit) return false;
    size_t chars = Utf8Length(s);
    return chars == std::string_view::npos || chars > limit;
  };
  if (v.is_string()) return too_long(v.get_string()) ? (path.empty() ? "(body)" : path) : "";
  if (v.is_array()) {
    const auto& a = v.get_array();
    for (size_t i = 0; i < a.size(); ++i) {
      auto found = LongString(a[i], path + "[" + std::to_string(i) + "]", limit);
      if (!found.empty()) return found;
    }
  } else if (v.is_object()) {
    for (const auto& [key, value] : v.get_object()) {
      std::string child = path.empty() ? std::string(key) : path + "." + std::string(key);
      if (too_long(key)) return child.substr(0, 64) + "...";
      auto found = LongString(value, child, limit);
      if (!found.empty()) return found;
    }
  }
  return "";
}

}  // namespace

void SetTextFieldLimit(size_t max_chars) { text_field_limit = max_chars; }

Result<json::object> JsonBody(const http::RequestContext& req) {
  // The body is parsed as JSON whatever the Content-Type says (curl -d sends a form type).
  PC_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req.request.body()));
  size_t limit = text_field_limit.load();
  std::string field;
  for (const auto& [key, value] : body) {
    field = key.size() > limit ? std::string(key).substr(0, 64) + "..."
                               : LongString(value, std::string(key), limit);
    if (!field.empty()) break;
  }
  if (!field.empty()) {
    return InvalidArgument("Field '" + field + "' is longer than " + std::to_string(limit) +
                           " characters, the most any text field accepts");
  }
  return body;
}

}  // namespace pc::api
