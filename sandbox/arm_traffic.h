// ARM traffic as the sandbox saw it, so that a test can assert that a client never called ARM
// faster than its configured pace: every request under /arm (answered, throttled or faulted) is
// counted per second and per subscription. GET /sandbox/control/arm-traffic answers
// {"total":N,"bySubscription":{"<id>":N},"perSecond":[{"second":<unix>,"count":N}]} (the last
// hour, oldest first); POST clears the counts.
// Thread-safe (a mutex of its own; never takes State::mu).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "core/http/message.h"

namespace pc::sandbox {

class ArmTraffic {
 public:
  // `path` is the normalized path, starting with "/arm".
  void Count(const std::string& path);
  http::Response Control(const http::Request& req);

 private:
  std::mutex mu_;
  int64_t total_ = 0;
  std::map<std::string, int64_t> by_subscription_;
  std::map<int64_t, int64_t> per_second_;  // unix second -> requests
};

}  // namespace pc::sandbox
