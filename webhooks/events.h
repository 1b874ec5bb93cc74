// The event producer API: how a change anywhere in the service becomes a webhook event.
//
// A producer calls EnqueueEvent inside the transaction that makes the change. The event is
// stored once per organization (webhook_events) and one delivery row per subscribed, enabled
// endpoint (webhook_deliveries) is queued in that same transaction, so the event exists if and
// only if the change commits. The delivery worker (webhooks/delivery.h) sends it afterwards, at
// least once, signed per the Standard Webhooks convention.
//
// The body every endpoint receives is
//   {"type":"<type>","timestamp":"<RFC 3339 time of the event>","eventId":"<event_id>",
//    "data":<data>}
// and its webhook-id header is a "msg_..." id of the event, the same for every endpoint and
// every retry (receivers deduplicate on it).
#pragma once

#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace pc::webhooks {

// Queues `type` with `data` for every enabled endpoint of the organization subscribed to it,
// inside the caller's transaction (the event exists if and only if the change commits).
// `event_id` names the fact and is unique per organization: queueing the same id again is a
// no-op (so a re-run tick or a crash-retried job never sends twice).
// `type` must be one of the types of webhooks/event_types.h (else InvalidArgument: a
// programming error in the producer); `event_id` is 1..200 characters. Other errors are the
// transaction's (the caller's transaction is then finished, as for any failed statement).
Status EnqueueEvent(store::Transaction& tx, std::string_view organization_id, std::string_view type,
                    std::string_view event_id, const json::object& data);

}  // namespace pc::webhooks
