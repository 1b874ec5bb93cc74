#include "jobs/deferral.h"

#include <thread>

namespace pc::jobs {

namespace {
thread_local int in_step = 0;
}  // namespace

DeferralScope::DeferralScope() { ++in_step; }
DeferralScope::~DeferralScope() { --in_step; }

void SleepOrDefer(std::chrono::microseconds wait, const std::string& why) {
  if (in_step > 0 && wait >= kMinDeferral) {
    throw StepDeferred{std::chrono::ceil<std::chrono::milliseconds>(wait), why};
  }
  std::this_thread::sleep_for(wait);
}

}  // namespace pc::jobs
