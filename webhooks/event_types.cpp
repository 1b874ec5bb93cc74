#include "webhooks/event_types.h"

#include <array>

namespace pc::webhooks {

namespace {

constexpr std::array kEventTypes{
    EventType{"provider.ready",
              "A provider (Azure customer account and subscription) finished onboarding and can "
              "be used"},
    EventType{"provider.unavailable", "A provider can no longer be used (its onboarding failed)"},
    EventType{"invoice.line_posted",
              "A month's usage was posted as a line of the CenturyLink invoice"},
    EventType{"budget.threshold_crossed",
              "A budget's actual or forecast spend crossed one of its thresholds"},
    EventType{"ticket.updated", "A support ticket's status changed"},
    EventType{"webhook.test", "A test event sent from the webhook settings"},
};

}  // namespace

std::span<const EventType> EventTypes() { return kEventTypes; }

bool IsEventType(std::string_view type) {
  for (const auto& t : kEventTypes) {
    if (t.type == type) return true;
  }
  return false;
}

}  // namespace pc::webhooks
