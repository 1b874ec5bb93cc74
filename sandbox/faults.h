// Fault injection for the sandbox: per-route error, throttle and timeout rates, added latency,
// and an eventual-consistency delay, all decided by a seeded PRNG so that the same seed and the
// same sequence of requests give the same faults. Not thread-safe: callers hold the state mutex.
#pragma once

#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace pc::sandbox {

// splitmix64: a tiny deterministic generator (same seed, same sequence, on every platform).
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed = 1) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, bound); bound > 0.
  uint64_t Below(uint64_t bound) { return Next() % bound; }
  // Uniform in [0, 1) with 53 bits (rates only; never money).
  double Fraction() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  // A random RFC 9562 v4-shaped UUID string drawn from this generator.
  std::string Guid();
  // The generator's position, to save and restore it (a restarted sandbox continues the
  // sequence instead of repeating it).
  uint64_t position() const { return state_; }
  void set_position(uint64_t p) { state_ = p; }

 private:
  uint64_t state_;
};

struct FaultRule {
  std::string route;  // regular expression matched against "METHOD /path"
  std::regex pattern;
  double error_rate = 0;     // 500
  double throttle_rate = 0;  // 429 with Retry-After
  int retry_after_seconds = 1;
  double timeout_rate = 0;  // held for timeout_ms, then 504
  int timeout_ms = 15000;
  int latency_ms = 0;
};

enum class FaultKind { kNone, kError, kThrottle, kTimeout };

struct FaultDecision {
  FaultKind kind = FaultKind::kNone;
  int latency_ms = 0;
  int retry_after_seconds = 0;
  int timeout_ms = 0;
};

class FaultPlan {
 public:
  // Parses {"seed":1,"consistencyDelaySeconds":30,"rules":[{"route":"...","errorRate":0.05,
  // "throttleRate":0.2,"retryAfterSeconds":2,"timeoutRate":0.02,"timeoutMs":15000,
  // "latencyMs":0}]}. Errors name the field (rates must be in [0,1], routes valid regexes).
  static Result<FaultPlan> Parse(const json::value& body);

  // The fault for one request "METHOD /path"; the first matching rule applies. Draws from the
  // seeded generator only when a rule matches, so unrelated traffic does not shift the sequence.
  FaultDecision Decide(const std::string& method_and_path);

  int64_t consistency_delay_seconds() const { return consistency_delay_seconds_; }
  const json::value& source() const { return source_; }

 private:
  std::vector<FaultRule> rules_;
  SeededRandom random_{1};
  int64_t consistency_delay_seconds_ = 0;
  json::value source_;
};

}  // namespace pc::sandbox
