// The webhook event types an endpoint can subscribe to (GET /api/v1/webhooks/event-types).
#pragma once

#include <span>
#include <string_view>

namespace pc::webhooks {

struct EventType {
  std::string_view type;
  std::string_view description;
};

// Every type, in the order the API lists them.
std::span<const EventType> EventTypes();
// True if `type` is one of EventTypes().
bool IsEventType(std::string_view type);

// The type of the event a test-send queues (POST /api/v1/webhooks/{id}/test).
inline constexpr std::string_view kTestEventType = "webhook.test";

}  // namespace pc::webhooks
