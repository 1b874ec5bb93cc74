#include "support/topics.h"

namespace pc::support {

const std::vector<Topic>& Topics() {
  static const std::vector<Topic> topics = {
      {"portal-users", "portal.azure.com user creation and permissions", "in", "platform"},
      {"account-setup", "Azure customer account sign-up and set-up through ARM providers", "in",
       "platform"},
      {"knowledge-base", "Knowledge base and FAQs", "in", "tier1"},
      {"service-availability", "Azure service availability", "in", "tier1"},
      {"billing", "Azure billing", "in", "platform"},
      {"subscription-management", "Subscription management", "in", "platform"},
      {"technical", "Tier 1 technical support", "in", "tier1"},
      {"microsoft-escalation", "Escalations to Microsoft", "in", "microsoft"},
      {"configuration-review", "Azure resource configuration review", "in", "tier1"},
      {"control-portal", "Azure control portal", "in", "tier1"},
      {"month-to-date", "Partner cloud month-to-date totals", "in", "platform"},
      {"estimates", "Partner cloud estimates", "in", "platform"},
      {"terms", "Terms and agreements", "in", "platform"},
      {"remote-administration", "Remote administration", "out", "tier1"},
      {"monitoring-remediation", "Monitoring and remediation", "out", "tier1"},
      {"change-management", "Change management", "out", "tier1"},
      {"patching", "Patching", "out", "tier1"},
      {"managed-os", "Managed operating system support", "out", "tier1"},
  };
  return topics;
}

const Topic* FindTopic(std::string_view id) {
  for (const auto& t : Topics()) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

}  // namespace pc::support
