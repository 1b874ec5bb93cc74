#include "core/http/metrics.h"

#include <cstdio>

namespace pc::http {

namespace {

// Prometheus label values escape backslash, quote and newline.
std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Seconds(int64_t micros) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(micros / 1000000),
                static_cast<long long>(micros % 1000000));
  return buf;
}

}  // namespace

void HttpMetrics::RequestFinished(std::string_view method, std::string_view route, int status,
                                  std::chrono::microseconds latency) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  std::string r = route.empty() ? "unmatched" : std::string(route);
  std::lock_guard lock(mu_);
  ++requests_[{std::string(method), r, status}];
  auto& h = latency_[r];
  int64_t us = latency.count();
  for (size_t i = 0; i < kBucketsMicros.size(); ++i) {
    if (us <= kBucketsMicros[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum_micros += us;
}

std::string HttpMetrics::Render(std::string_view prefix) const {
  std::string p(prefix);
  std::string out;
  out += "# HELP " + p + "_http_requests_total HTTP requests by method, route and status.\n";
  out += "# TYPE " + p + "_http_requests_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    out += p + "_http_requests_total{method=\"" + Escape(method) + "\",route=\"" + Escape(route) +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP " + p + "_http_request_duration_seconds Time from request read to response.\n";
  out += "# TYPE " + p + "_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    std::string lbl = "route=\"" + Escape(route) + "\"";
    for (size_t i = 0; i < kBucketsMicros.size(); ++i) {
      out += p + "_http_request_duration_seconds_bucket{" + lbl + ",le=\"" +
             Seconds(kBucketsMicros[i]) + "\"} " + std::to_string(h.buckets[i]) + "\n";
    }
    out += p + "_http_request_duration_seconds_bucket{" + lbl + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += p + "_http_request_duration_seconds_sum{" + lbl + "} " + Seconds(h.sum_micros) + "\n";
    out +=
        p + "_http_request_duration_seconds_count{" + lbl + "} " + std::to_string(h.count) + "\n";
  }
  out += "# HELP " + p + "_http_requests_in_flight Requests being handled now.\n";
  out += "# TYPE " + p + "_http_requests_in_flight gauge\n";
  out += p + "_http_requests_in_flight " + std::to_string(in_flight()) + "\n";
  return out;
}

}  // namespace pc::http
