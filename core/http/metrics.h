// HTTP metrics in Prometheus text format: requests by method, route and status, a latency
// histogram by route, and the number of requests in flight. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace pc::http {

class HttpMetrics {
 public:
  // Upper bounds of the latency buckets, in microseconds (rendered in seconds).
  static constexpr std::array<int64_t, 12> kBucketsMicros = {
      500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000};

  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  // `route` is the matched pattern ("" for none), so label cardinality stays bounded.
  void RequestFinished(std::string_view method, std::string_view route, int status,
                       std::chrono::microseconds latency);
  int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  // The exposition text for GET /metrics, with `prefix` before each metric name.
  std::string Render(std::string_view prefix = "partnercloud") const;

 private:
  struct Histogram {
    std::array<int64_t, kBucketsMicros.size()> buckets{};
    int64_t count = 0;
    int64_t sum_micros = 0;
  };
  // Counted in shards, a thread keeping to one, so that request threads do not queue on one
  // lock for every response; Render adds them up.
  using RequestKey = std::tuple<std::string, std::string, int>;  // method, route, status
  // Orders keys and their views alike, so that a lookup needs no copies of the strings.
  struct RequestKeyLess {
    using is_transparent = void;
    using View = std::tuple<std::string_view, std::string_view, int>;
    static View AsView(const RequestKey& k) {
      return {std::get<0>(k), std::get<1>(k), std::get<2>(k)};
    }
    static View AsView(const View& k) { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return AsView(a) < AsView(b);
    }
  };
  struct Shard {
    std::mutex mu;
    std::map<RequestKey, int64_t, RequestKeyLess> requests;
    std::map<std::string, Histogram, std::less<>> latency;
  };
  static constexpr size_t kShards = 16;
  Shard& ThisThreadsShard();

  std::atomic<int64_t> in_flight_{0};
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace pc::http
