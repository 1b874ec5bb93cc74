#include "connectors/http_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <random>
#include <thread>

#include "connectors/tls_trust.h"
#include "core/random.h"

namespace pc::connectors {

namespace {

std::once_flag curl_init_once;

// The response body as curl decodes it, bounded.
struct BodySink {
  std::string* body;
  size_t max;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  if (sink->body->size() + size * n > sink->max) {
    sink->too_large = true;
    return 0;  // stops the transfer (CURLE_WRITE_ERROR)
  }
  sink->body->append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a new response (after 100 Continue or a redirect)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  (*headers)[name] = std::string(value);
  return size * n;
}

// The URL without its query string, for logs.
std::string LoggableUrl(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace

namespace {
std::mutex ca_file_mu;
std::string ca_file;  // guarded by ca_file_mu
}  // namespace

void SetUpstreamCaFile(std::string path) {
  std::lock_guard lock(ca_file_mu);
  ca_file = std::move(path);
}

std::string UpstreamCaFile() {
  std::lock_guard lock(ca_file_mu);
  return ca_file;
}

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

TokenBucket::TokenBucket(double per_minute, double burst)
    : rate_per_ms_(per_minute / 60000.0),
      burst_(std::max(1.0, burst)),
      tokens_(std::max(1.0, burst)),
      last_(std::chrono::steady_clock::now()) {}

void TokenBucket::Acquire() {
  for (;;) {
    std::chrono::milliseconds wait{0};
    {
      std::lock_guard lock(mu_);
      auto now = std::chrono::steady_clock::now();
      double elapsed = std::chrono::duration<double, std::milli>(now - last_).count();
      last_ = now;
      tokens_ = std::min(burst_, tokens_ + elapsed * rate_per_ms_);
      if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return;
      }
      wait = std::chrono::milliseconds(static_cast<int64_t>((1.0 - tokens_) / rate_per_ms_) + 1);
    }
    std::this_thread::sleep_for(wait);
  }
}

struct HttpClient::Pool {
  std::mutex mu;
  std::vector<CURL*> idle;
  ~Pool() {
    for (CURL* h : idle) curl_easy_cleanup(h);
  }
  CURL* Take() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* h) {
    curl_easy_reset(h);  // keeps the connection cache
    std::lock_guard lock(mu);
    idle.push_back(h);
  }
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>()) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (options_.requests_per_minute > 0) {
    bucket_ = std::make_unique<TokenBucket>(options_.requests_per_minute, options_.burst);
  }
}

HttpClient::~HttpClient() = default;

bool HttpClient::IsRetryable(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds HttpClient::RetryAfter(const std::string& value) {
  if (value.empty()) return std::chrono::milliseconds(0);
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::milliseconds(0);
    return std::chrono::seconds(std::stoll(value));
  }
  // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
  time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) return std::chrono::milliseconds(0);
  auto delta = std::chrono::system_clock::from_time_t(when) - std::chrono::system_clock::now();
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(delta));
}

Result<HttpResponse> HttpClient::SendOnce(const HttpRequest& request) {
  CURL* h = pool_->Take();
  if (!h) return Internal("curl_easy_init failed");
  HttpResponse res;
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : request.headers) {
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  BodySink sink{&res.body, options_.max_response_bytes};
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &res.headers);
  auto timeout = request.timeout;
  if (options_.max_timeout.count() > 0) timeout = std::min(timeout, options_.max_timeout);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(timeout.count(), 10000)));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (std::string ca = UpstreamCaFile(); !ca.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, ca.c_str());
  }
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res.status);
  curl_slist_free_all(headers);
  pool_->Give(h);
  if (sink.too_large) {
    return Error(ErrorCode::kPayloadTooLarge,
                 options_.upstream + " " + request.method + " " + LoggableUrl(request.url) +
                     ": the answer is larger than " +
                     std::to_string(options_.max_response_bytes >> 20) + " MiB once decoded");
  }
  if (rc != CURLE_OK) {
    return Unavailable(options_.upstream + " " + request.method + " " + LoggableUrl(request.url) +
                       ": " + curl_easy_strerror(rc));
  }
  return res;
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  const auto& policy = options_.retry;
  Error last_error = Unavailable(options_.upstream + ": no attempt made");
  for (int attempt = 1; attempt <= policy.max_attempts; ++attempt) {
    if (options_.acquire_for) {
      options_.acquire_for(request);
    } else if (options_.acquire) {
      options_.acquire();
    } else if (bucket_) {
      bucket_->Acquire();
    }
    auto started = std::chrono::steady_clock::now();
    auto result = SendOnce(request);
    // In milliseconds with microsecond precision: a loopback call takes well under 1 ms.
    double took_ms = static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - started)
                                             .count()) /
                     1000.0;
    std::chrono::milliseconds retry_after{0};
    bool retry = false;
    if (result.ok()) {
      spdlog::info(
          R"({{"upstream":"{}","method":"{}","url":"{}","status":{},"attempt":{},"durationMs":{:.3f}}})",
          options_.upstream, request.method, LoggableUrl(request.url), result->status, attempt,
          took_ms);
      if (!IsRetryable(result->status)) return result;
      retry_after = RetryAfter(result->Header("retry-after"));
      retry = true;
    } else {
      if (result.error().code == ErrorCode::kPayloadTooLarge) return result;  // would recur
      spdlog::warn(
          R"({{"upstream":"{}","method":"{}","url":"{}","error":"{}","attempt":{},"durationMs":{:.3f}}})",
          options_.upstream, request.method, LoggableUrl(request.url), "no response", attempt,
          took_ms);
      last_error = result.error();
      retry = true;
    }
    if (!retry || attempt == policy.max_attempts) return result;
    if (retry_after > policy.max_retry_after) return result;
    // Full jitter over an exponentially growing ceiling, never below Retry-After.
    auto ceiling = std::min<int64_t>(policy.max_delay.count(), policy.base_delay.count()
                                                                   << std::min(attempt - 1, 16));
    auto jitter = std::chrono::milliseconds(
        RandomUniform(static_cast<uint32_t>(std::max<int64_t>(1, ceiling))));
    auto wait = std::max(retry_after, jitter);
    if (options_.on_wait) options_.on_wait(wait);
    std::this_thread::sleep_for(wait);
  }
  return last_error;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    char* ek = curl_easy_escape(nullptr, k.c_str(), static_cast<int>(k.size()));
    char* ev = curl_easy_escape(nullptr, v.c_str(), static_cast<int>(v.size()));
    out += ek;
    out += '=';
    out += ev;
    curl_free(ek);
    curl_free(ev);
  }
  return out;
}

}  // namespace pc::connectors
