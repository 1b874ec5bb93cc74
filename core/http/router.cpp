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

bool Match(std::string_view pattern, const std::vector<std::string_view>& segments,
           std::map<std::string, std::string>* params) {
  auto pat = SplitPath(pattern);
  if (pat.size() != segments.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < pat.size(); ++i) {
    if (pat[i].size() >= 2 && pat[i].front() == '{' && pat[i].back() == '}') {
      if (segments[i].empty()) return false;
      found.emplace(std::string(pat[i].substr(1, pat[i].size() - 2)), std::string(segments[i]));
    } else if (pat[i] != segments[i]) {
      return false;
    }
  }
  if (params) *params = std::move(found);
  return true;
}

}  // namespace

Router::Router(ErrorResponder error_responder) : error_responder_(std::move(error_responder)) {}

void Router::Add(Verb method, std::string pattern, Handler handler, BodyPolicy body) {
  routes_.push_back({method, std::move(pattern), std::move(handler), std::move(body)});
}

const Route* Router::Find(Verb method, std::string_view path) const {
  auto segments = SplitPath(path);
  for (const auto& route : routes_) {
    bool same = route.method == method || (method == Verb::head && route.method == Verb::get);
    if (same && Match(route.pattern, segments, nullptr)) return &route;
  }
  return nullptr;
}

Response Router::Dispatch(RequestContext& ctx) const {
  auto segments = SplitPath(ctx.path);
  std::string allow;
  Verb method = ctx.request.method();
  for (const auto& route : routes_) {
    std::map<std::string, std::string> params;
    if (!Match(route.pattern, segments, &params)) continue;
    bool same = route.method == method || (method == Verb::head && route.method == Verb::get);
    if (!same) {
      if (!allow.empty()) allow += ", ";
      allow += std::string(beast_http::to_string(route.method));
      continue;
    }
    ctx.params = std::move(params);
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
