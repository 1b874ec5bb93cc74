// The onboarding workflow's steps as a type. A job row stores a step by its name (StepName);
// the names are part of the database (jobs.step) and never change. Each step belongs to one of
// the five steps a user sees (VisibleStep: details, customer, subscription, associate,
// permissions).
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace pc::onboarding {

enum class OnboardingStep {
  kEligibility,         // the alias may still be billed (territory); one customer per alias
  kDomain,              // a free <alias>.onmicrosoft.com tenant domain
  kCustomer,            // the Partner Center customer (tenant)
  kAgreement,           // the Microsoft Customer Agreement confirmed
  kOrder,               // the Azure plan ordered
  kProvisioning,        // the order completed: the plan's subscription id
  kEntitlement,         // the Azure subscription under the plan
  kSecondSubscription,  // another provider on the alias: another Azure subscription (ARM alias)
  kAssociate,           // the subscription mapped to the alias and the provider
  kConsent,             // the platform's application consented in the customer tenant
  kRole,                // the custom role (permitted services) defined on the subscription
  kAssignment,          // the role assigned to the application's service principal
  kPolicy,              // the Allowed resource types policy assigned
  kProviders,           // the permitted resource providers registered
  kReady,               // done
};

inline constexpr std::array<OnboardingStep, 15> kAllOnboardingSteps = {
    OnboardingStep::kEligibility, OnboardingStep::kDomain,
    OnboardingStep::kCustomer,    OnboardingStep::kAgreement,
    OnboardingStep::kOrder,       OnboardingStep::kProvisioning,
    OnboardingStep::kEntitlement, OnboardingStep::kSecondSubscription,
    OnboardingStep::kAssociate,   OnboardingStep::kConsent,
    OnboardingStep::kRole,        OnboardingStep::kAssignment,
    OnboardingStep::kPolicy,      OnboardingStep::kProviders,
    OnboardingStep::kReady};

// The name stored in the job row ("eligibility", "second_subscription", ...).
std::string_view StepName(OnboardingStep step);
// The step named `name`, or nullopt for a name no step has.
std::optional<OnboardingStep> ParseStep(std::string_view name);
// The visible step (provider_steps.step_key) that `step` belongs to.
std::string_view VisibleStep(OnboardingStep step);

}  // namespace pc::onboarding
