#include "sandbox/faults.h"

#include <cstdio>

namespace pc::sandbox {

uint64_t SeededRandom::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string SeededRandom::Guid() {
  uint64_t a = Next(), b = Next();
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

namespace {

Result<double> Rate(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0.0;
  if (!it->value().is_number()) {
    return InvalidArgument("Field '" + std::string(key) + "' must be a number between 0 and 1");
  }
  double v = it->value().to_number<double>();
  if (!(v >= 0 && v <= 1)) {
    return InvalidArgument("Field '" + std::string(key) + "' must be between 0 and 1");
  }
  return v;
}

Result<int64_t> NonNegative(const json::object& o, std::string_view key, int64_t def, int64_t max) {
  auto it = o.find(key);
  if (it == o.end()) return def;
  if (!it->value().is_int64() && !it->value().is_uint64()) {
    return InvalidArgument("Field '" + std::string(key) + "' must be an integer");
  }
  int64_t v = it->value().is_int64() ? it->value().as_int64()
                                     : static_cast<int64_t>(it->value().as_uint64());
  if (v < 0 || v > max) {
    return InvalidArgument("Field '" + std::string(key) + "' must be between 0 and " +
                           std::to_string(max));
  }
  return v;
}

}  // namespace

Result<FaultPlan> FaultPlan::Parse(const json::value& body) {
  if (!body.is_object()) return InvalidArgument("The request body must be a JSON object");
  const auto& o = body.as_object();
  FaultPlan plan;
  plan.source_ = body;
  PC_ASSIGN_OR_RETURN(int64_t seed, NonNegative(o, "seed", 1, INT64_MAX));
  plan.random_ = SeededRandom(static_cast<uint64_t>(seed));
  PC_ASSIGN_OR_RETURN(plan.consistency_delay_seconds_,
                      NonNegative(o, "consistencyDelaySeconds", 0, 86400));
  if (auto it = o.find("rules"); it != o.end()) {
    if (!it->value().is_array()) return InvalidArgument("Field 'rules' must be an array");
    for (const auto& r : it->value().as_array()) {
      if (!r.is_object()) return InvalidArgument("Each rule must be a JSON object");
      const auto& ro = r.as_object();
      FaultRule rule;
      PC_ASSIGN_OR_RETURN(rule.route, RequiredString(ro, "route"));
      try {
        rule.pattern = std::regex(rule.route, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return InvalidArgument("Field 'route' is not a valid regular expression: " + rule.route);
      }
      PC_ASSIGN_OR_RETURN(rule.error_rate, Rate(ro, "errorRate"));
      PC_ASSIGN_OR_RETURN(rule.throttle_rate, Rate(ro, "throttleRate"));
      PC_ASSIGN_OR_RETURN(rule.timeout_rate, Rate(ro, "timeoutRate"));
      PC_ASSIGN_OR_RETURN(int64_t retry, NonNegative(ro, "retryAfterSeconds", 1, 3600));
      PC_ASSIGN_OR_RETURN(int64_t latency, NonNegative(ro, "latencyMs", 0, 60000));
      PC_ASSIGN_OR_RETURN(int64_t timeout, NonNegative(ro, "timeoutMs", 15000, 120000));
      rule.retry_after_seconds = static_cast<int>(retry);
      rule.latency_ms = static_cast<int>(latency);
      rule.timeout_ms = static_cast<int>(timeout);
      plan.rules_.push_back(std::move(rule));
    }
  }
  return plan;
}

FaultDecision FaultPlan::Decide(const std::string& method_and_path) {
  FaultDecision d;
  for (const auto& rule : rules_) {
    if (!std::regex_search(method_and_path, rule.pattern)) continue;
    d.latency_ms = rule.latency_ms;
    double x = random_.Fraction();
    if (x < rule.error_rate) {
      d.kind = FaultKind::kError;
    } else if (x < rule.error_rate + rule.throttle_rate) {
      d.kind = FaultKind::kThrottle;
      d.retry_after_seconds = rule.retry_after_seconds;
    } else if (x < rule.error_rate + rule.throttle_rate + rule.timeout_rate) {
      d.kind = FaultKind::kTimeout;
      d.timeout_ms = rule.timeout_ms;
    }
    return d;
  }
  return d;
}

}  // namespace pc::sandbox
