#include "webhooks/sender.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <boost/url/parse.hpp>
#include <mutex>

namespace pc::webhooks {

namespace {

std::once_flag curl_init_once;

struct Guard {
  const TargetPolicy* policy;
  bool http = false;
  std::string refused;  // the last address refused and why
};

curl_socket_t OpenSocket(void* data, curlsocktype purpose, curl_sockaddr* address) {
  auto* guard = static_cast<Guard*>(data);
  if (purpose != CURLSOCKTYPE_IPCXN) {
    guard->refused = "connection type not allowed";
    return CURL_SOCKET_BAD;
  }
  auto addr = AddressOf(&address->addr);
  if (!addr) {
    guard->refused = "address family not allowed";
    return CURL_SOCKET_BAD;
  }
  std::optional<std::string> reason;
  if (guard->policy->allow_http_loopback && IsLoopback(*addr)) {
    reason = std::nullopt;
  } else if (guard->http) {
    reason = "not loopback, and http is allowed only to loopback";
  } else {
    reason = RefusalReason(*addr, guard->policy->allowed);
  }
  if (reason) {
    guard->refused = "address " + AddressText(*addr) + " refused (" + *reason + ")";
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

struct Sink {
  size_t limit;
  size_t received = 0;
  bool truncated = false;
};

size_t OnBody(char*, size_t size, size_t n, void* data) {
  auto* sink = static_cast<Sink*>(data);
  sink->received += size * n;
  if (sink->received > sink->limit) {
    sink->truncated = true;
    return 0;  // stop reading: the status is what counts
  }
  return size * n;
}

}  // namespace

Status CheckTargetUrl(std::string_view url, const TargetPolicy& policy) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed)
    return InvalidArgument("'url' must be an absolute URL, e.g. https://hooks.example/x");
  std::string scheme = parsed->scheme();
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "http") {
    if (!policy.allow_http_loopback) {
      return InvalidArgument("'url' must be https:// (http is not allowed on this server)");
    }
  } else if (scheme != "https") {
    return InvalidArgument("'url' must be https://");
  }
  if (!parsed->has_authority() || parsed->encoded_host().empty()) {
    return InvalidArgument("'url' has no host");
  }
  if (parsed->has_userinfo()) {
    return InvalidArgument("'url' must not carry a user name or password");
  }
  if (parsed->has_fragment()) return InvalidArgument("'url' must not have a #fragment");
  std::string host = parsed->host_address();
  std::optional<Address> literal = ParseAddress(host);
  if (literal) {
    if (!(policy.allow_http_loopback && IsLoopback(*literal))) {
      if (scheme == "http") {
        return InvalidArgument("'url': http is allowed only to a loopback address");
      }
      if (auto reason = RefusalReason(*literal, policy.allowed)) {
        return InvalidArgument("'url' points at " + AddressText(*literal) + ", a " + *reason +
                               " address: webhooks go only to public addresses");
      }
    }
  } else if (scheme == "http" && host != "localhost") {
    return InvalidArgument("'url': http is allowed only to a loopback address");
  } else if (host == "localhost" && !policy.allow_http_loopback) {
    return InvalidArgument("'url' points at localhost: webhooks go only to public addresses");
  }
  return Status::Ok();
}

Attempt Post(const std::string& url,
             const std::vector<std::pair<std::string, std::string>>& headers,
             const std::string& body, const TargetPolicy& policy) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  Attempt attempt;
  Guard guard{&policy, false, ""};
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    attempt.error = "not an absolute URL";
    return attempt;
  }
  std::string scheme = parsed->scheme();
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  guard.http = scheme == "http";
  if (guard.http && !policy.allow_http_loopback) {
    attempt.error = "http is not allowed on this server";
    return attempt;
  }
  CURL* h = curl_easy_init();
  if (h == nullptr) {
    attempt.error = "out of memory";
    return attempt;
  }
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) {
    list = curl_slist_append(list, (name + ": " + value).c_str());
  }
  list = curl_slist_append(list, "Content-Type: application/json");
  list = curl_slist_append(list, "Expect:");
  Sink sink{policy.max_response_bytes};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "partnercloud-webhooks/1");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &guard);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, policy.allow_http_loopback ? "http,https" : "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // never through a proxy from the environment
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(policy.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(policy.timeout.count(), 5000)));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
  auto started = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(h);
  attempt.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  attempt.status = status;
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && sink.truncated && status > 0)) {
    attempt.status = sink.truncated ? status : 0;
    if (!guard.refused.empty()) {
      attempt.error = guard.refused;
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      attempt.error = "no answer within " + std::to_string(policy.timeout.count()) + " ms";
    } else {
      attempt.error = curl_easy_strerror(rc);
    }
  } else if (!attempt.ok()) {
    attempt.error = "answered HTTP " + std::to_string(status);
    if (status >= 300 && status < 400) attempt.error += " (redirects are not followed)";
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  return attempt;
}

}  // namespace pc::webhooks
