// The browser app (web/, built by Vite into web/dist) served by the same server as the API:
// "/" and every deep link (/providers/123) answer index.html, hashed files under /assets are
// cached for a year, and unknown /api/... paths keep the API's JSON 404. Files are read from a
// folder (config key web.root), not embedded, so a rebuilt app needs no rebuilt binary.
// Every response carries the page security headers (strict CSP, nosniff, Referrer-Policy).
#pragma once

#include <filesystem>
#include <string>

#include "core/http/router.h"

namespace pc::api {

// The folder holding the built app's index.html: `configured` when not empty (returned even if
// it does not exist, so the server can say so), else the first of <binary>/../web/dist,
// <binary>/../../web/dist and ./web/dist that has an index.html; empty when none has.
std::filesystem::path FindWebRoot(const std::string& configured);

// Adds Content-Security-Policy (self only, no inline script, frame-ancestors 'none'),
// X-Content-Type-Options, Referrer-Policy and X-Frame-Options to a page response.
void AddPageSecurityHeaders(http::Response& res);

// The router fallback serving the app from `root` (see above). GET/HEAD only; other methods
// and /api/... paths get the JSON 404 (or 405). With an empty or missing root, "/" answers a
// short page saying how to build the app. Thread-safe: reads files per request.
http::Handler WebAppHandler(std::filesystem::path root);

}  // namespace pc::api
