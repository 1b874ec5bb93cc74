#include "webhooks/events.h"

#include "core/time.h"
#include "core/uuid.h"
#include "webhooks/event_types.h"
#include "webhooks/queue.h"

namespace pc::webhooks {

namespace {

constexpr size_t kMaxEventIdLength = 200;

}  // namespace

bool Subscribes(std::string_view events, std::string_view type) {
  auto parsed = ParseJson(events);
  if (!parsed.ok() || !parsed->is_array()) return false;
  for (const auto& value : parsed->as_array()) {
    if (value.is_string() && value.as_string() == type) return true;
  }
  return false;
}

Result<std::vector<std::string>> QueueEvent(store::Transaction& tx,
                                            std::string_view organization_id, std::string_view type,
                                            std::string_view event_id, const json::object& data,
                                            std::optional<std::string_view> only_endpoint) {
  if (!IsEventType(type)) {
    return InvalidArgument("Unknown webhook event type '" + std::string(type) + "'");
  }
  if (event_id.empty() || event_id.size() > kMaxEventIdLength) {
    return InvalidArgument("A webhook event id is 1 to 200 characters");
  }
  if (organization_id.empty()) return InvalidArgument("A webhook event needs an organization");
  std::string now = FormatTimestamp(Now());
  std::string message_id = "msg_" + Uuid::V7().ToString();
  json::object body;
  body["type"] = type;
  body["timestamp"] = now;
  body["eventId"] = event_id;
  body["data"] = data;
  PC_ASSIGN_OR_RETURN(
      int64_t stored,
      tx.Execute("INSERT INTO webhook_events (organization_id, event_id, message_id, type, "
                 "payload, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (organization_id, event_id) DO NOTHING",
                 {std::string(organization_id), std::string(event_id), message_id,
                  std::string(type), ToJson(body), now}));
  std::vector<std::string> queued;
  if (stored == 0) return queued;  // the same fact again: already queued once

  store::Rows endpoints;
  if (only_endpoint) {
    PC_ASSIGN_OR_RETURN(endpoints,
                        tx.Query("SELECT id, events FROM webhook_endpoints WHERE id = ? AND "
                                 "organization_id = ? AND deleted_at IS NULL",
                                 {std::string(*only_endpoint), std::string(organization_id)}));
  } else {
    PC_ASSIGN_OR_RETURN(endpoints,
                        tx.Query("SELECT id, events FROM webhook_endpoints WHERE "
                                 "organization_id = ? AND enabled = 1 AND deleted_at IS NULL "
                                 "ORDER BY created_at, id",
                                 {std::string(organization_id)}));
  }
  for (const auto& endpoint : endpoints) {
    if (!only_endpoint && !Subscribes(endpoint.Text("events"), type)) continue;
    std::string id = Uuid::V7().ToString();
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, event_id, message_id, "
        "type, status, attempts, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
        {id, endpoint.Text("id"), std::string(organization_id), std::string(event_id), message_id,
         std::string(type), now, now}));
    queued.push_back(std::move(id));
  }
  return queued;
}

Status EnqueueEvent(store::Transaction& tx, std::string_view organization_id, std::string_view type,
                    std::string_view event_id, const json::object& data) {
  PC_RETURN_IF_ERROR(QueueEvent(tx, organization_id, type, event_id, data));
  return Status::Ok();
}

}  // namespace pc::webhooks
