// The request and response types shared by the HTTP server, the router and the handlers.
#pragma once

#include <any>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"

namespace pc::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;
using Status = beast_http::status;
using Verb = beast_http::verb;

// A request body the server wrote to an unnamed temporary file rather than to memory (routes
// whose BodyPolicy says spool): read it with pread, from offset 0. Closed (and so
// gone) with the last reference.
struct SpooledBody {
  int fd = -1;
  uint64_t size = 0;
  SpooledBody() = default;
  SpooledBody(const SpooledBody&) = delete;
  SpooledBody& operator=(const SpooledBody&) = delete;
  ~SpooledBody();
};

// A response body produced over time (server-sent events). A handler sets
// RequestContext::stream and returns the status, the headers and the first part of the body.
// The server sends those with chunked transfer encoding, then calls `next` every `interval`
// from a timer (no thread is held in between) and sends what it returns; "" sends nothing.
// std::nullopt, `max_duration`, a failed write (the client went away) or the server shutting
// down ends the stream and the connection. `next` runs on an I/O thread: keep it short.
struct ResponseStream {
  std::chrono::milliseconds interval{1000};
  std::chrono::seconds max_duration{300};
  std::function<std::optional<std::string>()> next;
};

// Everything a handler gets: the request, who sent it, and what the router matched.
struct RequestContext {
  const Request& request;
  std::string client_addr;                    // peer IP address, no port
  std::string path;                           // percent-decoded path, no query string
  std::map<std::string, std::string> query;   // decoded query parameters (last one wins)
  std::map<std::string, std::string> params;  // path parameters: "/users/{id}" -> params["id"]
  std::string route;                          // the matched route pattern, "" if none
  std::string request_id;                     // X-Request-Id, received or generated
  // Set when the body was spooled to a file; request.body() is then empty.
  std::shared_ptr<const SpooledBody> spooled = nullptr;
  // Set by a handler whose response body continues after the first part (see ResponseStream).
  std::shared_ptr<ResponseStream> stream = nullptr;
  // What the route's BodyPolicy::admit left for the handler (e.g. the authenticated principal,
  // so a request with a body is authenticated once); empty when admit did not run.
  std::any admitted{};
};

// A response with a JSON body and the given status, marked Cache-Control: no-store.
Response JsonResponse(Status status, const json::value& body);
// The same for a body already serialized.
Response JsonTextResponse(Status status, std::string body);
// The project's error body: {"error":{"code":"...","message":"..."}}.
Response ErrorResponse(Status status, std::string_view code, std::string_view message);
// A response with a body of the given content type.
Response TextResponse(Status status, std::string body, std::string_view content_type);

}  // namespace pc::http
