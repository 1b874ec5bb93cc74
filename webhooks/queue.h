// Queueing events into the deliveries outbox (webhook_events, webhook_deliveries): the shared
// body of EnqueueEvent (webhooks/events.h) and the test-send, which targets one endpoint.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace pc::webhooks {

// Stores the event (once per organization and event_id) and queues one delivery for each
// enabled endpoint of the organization subscribed to `type`, or, with `only_endpoint`, for that
// endpoint alone (subscribed or not). Returns the ids of the deliveries queued: none when the
// event was already stored.
Result<std::vector<std::string>> QueueEvent(store::Transaction& tx,
                                            std::string_view organization_id, std::string_view type,
                                            std::string_view event_id, const json::object& data,
                                            std::optional<std::string_view> only_endpoint = {});

// True if the JSON array text `events` (webhook_endpoints.events) contains `type`.
bool Subscribes(std::string_view events, std::string_view type);

}  // namespace pc::webhooks
