#include "onboarding/onboarding_step.h"

namespace pc::onboarding {

std::string_view StepName(OnboardingStep step) {
  switch (step) {
    case OnboardingStep::kEligibility:
      return "eligibility";
    case OnboardingStep::kDomain:
      return "domain";
    case OnboardingStep::kCustomer:
      return "customer";
    case OnboardingStep::kAgreement:
      return "agreement";
    case OnboardingStep::kOrder:
      return "order";
    case OnboardingStep::kProvisioning:
      return "provisioning";
    case OnboardingStep::kEntitlement:
      return "entitlement";
    case OnboardingStep::kSecondSubscription:
      return "second_subscription";
    case OnboardingStep::kAssociate:
      return "associate";
    case OnboardingStep::kConsent:
      return "consent";
    case OnboardingStep::kRole:
      return "role";
    case OnboardingStep::kAssignment:
      return "assignment";
    case OnboardingStep::kPolicy:
      return "policy";
    case OnboardingStep::kProviders:
      return "providers";
    case OnboardingStep::kReady:
      return "ready";
  }
  return "";
}

std::optional<OnboardingStep> ParseStep(std::string_view name) {
  for (OnboardingStep step : kAllOnboardingSteps) {
    if (StepName(step) == name) return step;
  }
  return std::nullopt;
}

std::string_view VisibleStep(OnboardingStep step) {
  switch (step) {
    case OnboardingStep::kEligibility:
    case OnboardingStep::kDomain:
      return "details";
    case OnboardingStep::kCustomer:
    case OnboardingStep::kAgreement:
      return "customer";
    case OnboardingStep::kOrder:
    case OnboardingStep::kProvisioning:
    case OnboardingStep::kEntitlement:
    case OnboardingStep::kSecondSubscription:
      return "subscription";
    case OnboardingStep::kAssociate:
      return "associate";
    default:
      return "permissions";
  }
}

}  // namespace pc::onboarding
