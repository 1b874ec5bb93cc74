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

HttpMetrics::Shard& HttpMetrics::ThisThreadsShard() {
  static std::atomic<size_t> next{0};  // threads take the shards in turn
  thread_local const size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shards_[index];
}

void HttpMetrics::RequestFinished(std::string_view method, std::string_view route, int status,
                                  std::chrono::microseconds latency) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (route.empty()) route = "unmatched";
  Shard& shard = ThisThreadsShard();
  std::lock_guard lock(shard.mu);
  auto counted = shard.requests.find(RequestKeyLess::View(method, route, status));
  if (counted == shard.requests.end()) {
    counted = shard.requests.emplace(std::tuple(std::string(method), std::string(route), status), 0)
                  .first;
  }
  ++counted->second;
  auto it = shard.latency.find(route);
  if (it == shard.latency.end()) it = shard.latency.emplace(std::string(route), Histogram{}).first;
  Histogram& h = it->second;
  int64_t us = latency.count();
  for (size_t i = 0; i < kBucketsMicros.size(); ++i) {
    if (us <= kBucketsMicros[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum_micros += us;
}

std::string HttpMetrics::Render(std::string_view prefix) const {
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests;
  std::map<std::string, Histogram> latency;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [key, n] : shard.requests) requests[key] += n;
    for (const auto& [route, h] : shard.latency) {
      Histogram& sum = latency[route];
      for (size_t i = 0; i < kBucketsMicros.size(); ++i) sum.buckets[i] += h.buckets[i];
      sum.count += h.count;
      sum.sum_micros += h.sum_micros;
    }
  }
  std::string p(prefix);
  std::string out;
  out += "# HELP " + p + "_http_requests_total HTTP requests by method, route and status.\n";
  out += "# TYPE " + p + "_http_requests_total counter\n";
  for (const auto& [key, n] : requests) {
    const auto& [method, route, status] = key;
    out += p + "_http_requests_total{method=\"" + Escape(method) + "\",route=\"" + Escape(route) +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP " + p + "_http_request_duration_seconds Time from request read to response.\n";
  out += "# TYPE " + p + "_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency) {
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
