#include "api/web_routes.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "core/result.h"

namespace pc::api {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'";

std::string_view ContentTypeFor(const fs::path& file) {
  std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

// A single path segment that cannot leave the folder: letters, digits, '.', '-', '_', not
// starting with a dot.
bool SafeName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.size() > 200) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool ReadFile(const fs::path& path, std::string& out) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = std::move(ss).str();
  return true;
}

http::Response PageResponse(http::Status status, std::string body, std::string_view type,
                            std::string_view cache_control) {
  auto res = http::TextResponse(status, std::move(body), type);
  res.set(http::beast_http::field::cache_control, cache_control);
  AddPageSecurityHeaders(res);
  return res;
}

constexpr std::string_view kNotBuilt =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>partnercloud"
    "</title></head><body><h1>partnercloud</h1><p>The web UI is not built. Run <code>make "
    "web</code> (or <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>), or set "
    "<code>web.root</code> to the folder holding its <code>index.html</code>. The API is at "
    "<a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p></body></html>";

}  // namespace

fs::path FindWebRoot(const std::string& configured) {
  if (!configured.empty()) return fs::path(configured);
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "web" / "dist");
    candidates.push_back(exe.parent_path().parent_path().parent_path() / "web" / "dist");
  }
  candidates.push_back(fs::current_path(ec) / "web" / "dist");
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c / "index.html", ec)) return c.lexically_normal();
  }
  return {};
}

void AddPageSecurityHeaders(http::Response& res) {
  res.set("Content-Security-Policy", kCsp);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "same-origin");
  res.set("X-Frame-Options", "DENY");
}

http::Handler WebAppHandler(fs::path root) {
  return [root = std::move(root)](http::RequestContext& ctx) -> http::Response {
    auto method = ctx.request.method();
    auto segments = http::SplitPath(ctx.path);
    bool api = !segments.empty() && segments.front() == "api";
    if (api || (method != http::Verb::get && method != http::Verb::head)) {
      return http::ErrorResponse(http::Status::not_found, ErrorCodeName(ErrorCode::kNotFound),
                                 "No route for " + ctx.path);
    }
    std::string body;
    if (root.empty() || !ReadFile(root / "index.html", body)) {
      if (!segments.empty()) {
        return PageResponse(http::Status::not_found, "Not found\n", "text/plain; charset=utf-8",
                            "no-cache");
      }
      return PageResponse(http::Status::ok, std::string(kNotBuilt), "text/html; charset=utf-8",
                          "no-cache");
    }
    // Hashed build output: /assets/<name>, immutable.
    if (!segments.empty() && segments.front() == "assets") {
      std::string file;
      if (segments.size() == 2 && SafeName(segments[1]) &&
          ReadFile(root / "assets" / std::string(segments[1]), file)) {
        return PageResponse(http::Status::ok, std::move(file),
                            ContentTypeFor(fs::path(std::string(segments[1]))),
                            "public, max-age=31536000, immutable");
      }
      return PageResponse(http::Status::not_found, "Not found\n", "text/plain; charset=utf-8",
                          "no-cache");
    }
    // Unhashed files at the top of the build (favicon.svg, robots.txt).
    if (segments.size() == 1 && SafeName(segments[0]) && segments[0] != "index.html") {
      std::string file;
      if (ReadFile(root / std::string(segments[0]), file)) {
        return PageResponse(http::Status::ok, std::move(file),
                            ContentTypeFor(fs::path(std::string(segments[0]))), "no-cache");
      }
    }
    // Everything else is a page of the app (deep links): index.html, revalidated each time.
    return PageResponse(http::Status::ok, std::move(body), "text/html; charset=utf-8", "no-cache");
  };
}

}  // namespace pc::api
