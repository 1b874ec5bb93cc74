#include "core/http/message.h"

#include <unistd.h>

namespace pc::http {

SpooledBody::~SpooledBody() {
  if (fd >= 0) ::close(fd);
}

Response JsonResponse(Status status, const json::value& body) {
  return JsonTextResponse(status, json::serialize(body));
}

Response JsonTextResponse(Status status, std::string body) {
  auto res = TextResponse(status, std::move(body), "application/json");
  // API answers carry tokens, bills and personal data: no cache keeps them.
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

Response ErrorResponse(Status status, std::string_view code, std::string_view message) {
  json::object err;
  err["code"] = code;
  err["message"] = message;
  return JsonResponse(status, json::object{{"error", std::move(err)}});
}

Response TextResponse(Status status, std::string body, std::string_view content_type) {
  Response res{status, 11};
  res.set(beast_http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

}  // namespace pc::http
