// The onboarding workflow: one idempotent step at a time, run by the durable job runner.
// Each step is a small function in a table indexed by OnboardingStep. It first looks for what
// an earlier attempt may already have done (customer by domain, the alias's recorded ids,
// deterministic ARM names) and sends Partner Center the same MS-RequestId for the same logical
// call, so a crash or a retry never acts twice. Upstream calls are the connectors' typed
// methods; the database is OnboardingStore's. Thread-safe (the runner calls Run from many
// workers).
#pragma once

#include <string>

#include "jobs/runner.h"
#include "onboarding/onboarding.h"
#include "onboarding/onboarding_step.h"
#include "onboarding/onboarding_store.h"

namespace pc::onboarding {

// OnboardingService::RegisterWorkflow registers one on the job runner as the "onboarding" kind.
class OnboardingWorkflow {
 public:
  OnboardingWorkflow(OnboardingDeps deps, OnboardingOptions options);

  // Runs the job's current step (job.step, a StepName) and says what comes next. Fails the job
  // for a step name no step has, or for an alias that is not recorded.
  jobs::StepResult Run(jobs::Job& job);
  // Mirrors a step's result on the provider row and its visible steps (in the runner's
  // transaction).
  static Status Observe(store::Transaction& tx, const jobs::Job& job, const jobs::StepResult& r);
  // Observe, then `on_ready` (if set) when the provider becomes ready: the observer registered.
  static jobs::StepObserver Observer(std::function<Status(store::Transaction&)> on_ready);

 private:
  struct Context {
    jobs::Job& job;
    const AliasRow& alias;
  };
  using StepFunction = jobs::StepResult (OnboardingWorkflow::*)(Context&);
  static StepFunction FunctionOf(OnboardingStep step);

  jobs::StepResult Eligibility(Context& c);
  jobs::StepResult Domain(Context& c);
  jobs::StepResult Customer(Context& c);
  jobs::StepResult Agreement(Context& c);
  jobs::StepResult Order(Context& c);
  jobs::StepResult Provisioning(Context& c);
  jobs::StepResult Entitlement(Context& c);
  jobs::StepResult SecondSubscription(Context& c);
  jobs::StepResult Associate(Context& c);
  jobs::StepResult Consent(Context& c);
  jobs::StepResult Role(Context& c);
  jobs::StepResult Assignment(Context& c);
  jobs::StepResult Policy(Context& c);
  jobs::StepResult Providers(Context& c);
  jobs::StepResult Ready(Context& c);

  OnboardingDeps deps_;
  OnboardingOptions options_;
  OnboardingStore store_;
};

}  // namespace pc::onboarding
