// Waiting inside a job step without holding a worker. A step that must wait a while before it
// may call an upstream (its rate limit's bucket is empty: jobs/upstream_pacing.h,
// jobs/shared_bucket.h) gives its worker back instead of sleeping: SleepOrDefer throws
// StepDeferred, JobRunner catches it and runs the step again after the wait, without counting an
// attempt (StepResult::Wait). Outside a job step (a request handler, a CLI command) it sleeps.
// Steps are idempotent (the runner may run one twice already), so running it again is safe.
#pragma once

#include <chrono>
#include <string>

namespace pc::jobs {

// Thrown by SleepOrDefer inside a job step. Not a std::exception: a generic handler between the
// pacer and the runner must not take it for an error.
struct StepDeferred {
  std::chrono::milliseconds wait;
  std::string why;
};

// Marks the current thread as running a job step for its lifetime (JobRunner).
class DeferralScope {
 public:
  DeferralScope();
  ~DeferralScope();
  DeferralScope(const DeferralScope&) = delete;
  DeferralScope& operator=(const DeferralScope&) = delete;
};

// Waits shorter than this are slept even in a job step.
inline constexpr std::chrono::milliseconds kMinDeferral{200};

// Sleeps `wait`, or in a job step, when `wait` is at least kMinDeferral, throws StepDeferred.
void SleepOrDefer(std::chrono::microseconds wait, const std::string& why);

}  // namespace pc::jobs
