#include "core/http/router.h"

#include <spdlog/spdlog.h>

namespace pc::http {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

namespace {

bool IsParam(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Whether the route's pattern matches the path's segments; no allocation.
bool Match(const Route& route, const std::vector<std::string_view>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& pat = route.segments[i];
    if (IsParam(pat) ? segments[i].empty() : pat != segments[i]) return false;
  }
  return true;
}

// The `{name}` parameters of a route that matches.
std::map<std::string, std::string> Params(const Route& route,
                                          const std::vector<std::string_view>& segments) {
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& pat = route.segments[i];
    if (IsParam(pat)) found.emplace(pat.substr(1, pat.size() - 2), std::string(segments[i]));
  }
  return found;
}

}  // namespace

Router::Router(ErrorResponder error_responder) : error_responder_(std::move(error_responder)) {}

void Router::Add(Verb method, std::string pattern, Handler handler, BodyPolicy body) {
  std::vector<std::string> segments;
  for (auto part : SplitPath(pattern)) segments.emplace_back(part);
  routes_.push_back(
      {method, std::move(pattern), std::move(handler), std::move(body), std::move(segments)});
}

const Route* Router::Find(Verb method, std::string_view path) const {
  auto segments = SplitPath(path);
  for (const auto& route : routes_) {
    bool same = route.method == method || (method == Verb::head && route.method == Verb::get);
    if (same && Match(route, segments)) return &route;
  }
  return nullptr;
}

Response Router::Dispatch(RequestContext& ctx) const {
  auto segments = SplitPath(ctx.path);
  std::string allow;
  Verb method = ctx.request.method();
  for (const auto& route : routes_) {
    if (!Match(route, segments)) continue;
    bool same = route.method == method || (method == Verb::head && route.method == Verb::get);
    if (!same) {
      if (!allow.empty()) allow += ", ";
      allow += std::string(beast_http::to_string(route.method));
      continue;
    }
    ctx.params = Params(route, segments);
    ctx.route = route.pattern;
    try {
      return route.handler(ctx);
    } catch (const std::exception& e) {
      spdlog::error("handler for {} {} failed: {}", std::string(beast_http::to_string(method)),
                    route.pattern, e.what());
      return error_responder_(Status::internal_server_error, "Internal",
                              "The server failed to handle this request; it has been logged.");
    }
  }
  if (!allow.empty()) {
    auto res = error_responder_(Status::method_not_allowed, "MethodNotAllowed",
                                "Method " + std::string(beast_http::to_string(method)) +
                                    " is not allowed on " + ctx.path + "; allowed: " + allow);
    res.set(beast_http::field::allow, allow);
    return res;
  }
  if (fallback_) {
    try {
      return fallback_(ctx);
    } catch (const std::exception& e) {
      spdlog::error("fallback handler for {} failed: {}", ctx.path, e.what());
      return error_responder_(Status::internal_server_error, "Internal",
                              "The server failed to handle this request; it has been logged.");
    }
  }
  return error_responder_(Status::not_found, "NotFound", "No route for " + ctx.path);
}

}  // namespace pc::http
