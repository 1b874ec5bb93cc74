#include "webhooks/webhook_service.h"

#include "core/time.h"
#include "core/uuid.h"
#include "webhooks/event_types.h"
#include "webhooks/queue.h"
#include "webhooks/signature.h"

namespace pc::webhooks {

namespace {

using identity::Principal;
using identity::Role;

constexpr size_t kMaxUrl = 2000;
constexpr size_t kMaxDescription = 500;

constexpr std::string_view kColumns =
    "id, organization_id, url, description, events, enabled, disabled_reason, created_at";

bool IsStaff(const Principal& who) { return identity::IsPartnerStaff(who.user.role); }

Status CheckManage(const Principal& who) {
  if (who.via == Principal::Via::kSystem) return Status::Ok();
  if (who.user.role != Role::kOrgAdmin) {
    return PermissionDenied("Only an admin of the organization manages its webhooks");
  }
  return Status::Ok();
}

std::optional<std::string> Opt(const store::Row& row, std::string_view column) {
  if (row.IsNull(column)) return std::nullopt;
  return row.Text(column);
}

std::optional<int64_t> OptInt(const store::Row& row, std::string_view column) {
  if (row.IsNull(column)) return std::nullopt;
  return row.Int(column);
}

Endpoint FromRow(const store::Row& row) {
  Endpoint e;
  e.id = row.Text("id");
  e.organization_id = row.Text("organization_id");
  e.url = row.Text("url");
  e.description = row.Text("description");
  if (auto events = ParseJson(row.Text("events")); events.ok() && events->is_array()) {
    for (const auto& v : events->as_array()) {
      if (v.is_string()) e.events.emplace_back(v.as_string());
    }
  }
  e.enabled = row.Int("enabled") != 0;
  e.disabled_reason = Opt(row, "disabled_reason");
  e.created_at = row.Text("created_at");
  return e;
}

std::string EventsJson(const std::vector<std::string>& events) {
  json::array a;
  for (const auto& e : events) a.emplace_back(e);
  return pc::ToJson(json::value(std::move(a)));
}

}  // namespace

WebhookService::WebhookService(store::Database& db, const SecretBox& secrets, TargetPolicy policy)
    : db_(db), secrets_(secrets), policy_(std::move(policy)) {}

Result<std::vector<std::string>> WebhookService::CheckEvents(
    const std::vector<std::string>& events) {
  if (events.empty()) {
    return InvalidArgument(
        "Field 'events' must name at least one event type (see "
        "GET /api/v1/webhooks/event-types)");
  }
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (!IsEventType(e)) {
      return InvalidArgument("Field 'events': '" + e +
                             "' is not an event type (see GET /api/v1/webhooks/event-types)");
    }
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return out;
}

Result<Endpoint> WebhookService::Load(store::Transaction& tx, const Principal& who,
                                      const std::string& id) {
  PC_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query("SELECT " + std::string(kColumns) +
                                   " FROM webhook_endpoints WHERE id = ? AND deleted_at IS NULL",
                               {id}));
  if (rows.empty() || (!IsStaff(who) && who.via != Principal::Via::kSystem &&
                       rows[0].Text("organization_id") != who.user.organization_id)) {
    return NotFound("No webhook endpoint " + id);
  }
  return FromRow(rows[0]);
}

Result<std::vector<Endpoint>> WebhookService::List(const Principal& who,
                                                   std::optional<std::string> organization_id) {
  if (!IsStaff(who) && who.via != Principal::Via::kSystem) {
    if (organization_id && *organization_id != who.user.organization_id) {
      return std::vector<Endpoint>{};
    }
    organization_id = who.user.organization_id;
  }
  return db_.InTransaction<std::vector<Endpoint>>(
      [&](store::Transaction& tx) -> Result<std::vector<Endpoint>> {
        PC_ASSIGN_OR_RETURN(
            store::Rows rows,
            tx.Query("SELECT " + std::string(kColumns) +
                         " FROM webhook_endpoints WHERE deleted_at IS NULL AND "
                         "(CAST(? AS TEXT) IS NULL OR organization_id = ?) "
                         "ORDER BY created_at, id",
                     {organization_id ? store::Param(*organization_id) : store::Param(nullptr),
                      organization_id ? store::Param(*organization_id) : store::Param(nullptr)}));
        std::vector<Endpoint> out;
        for (const auto& r : rows) out.push_back(FromRow(r));
        return out;
      });
}

Result<Endpoint> WebhookService::Get(const Principal& who, const std::string& id) {
  return db_.InTransaction<Endpoint>(
      [&](store::Transaction& tx) -> Result<Endpoint> { return Load(tx, who, id); });
}

Result<Endpoint> WebhookService::Create(const Principal& who, const NewEndpoint& in) {
  PC_RETURN_IF_ERROR(CheckManage(who));
  if (in.url.size() > kMaxUrl) {
    return InvalidArgument("Field 'url' must have at most " + std::to_string(kMaxUrl) +
                           " characters");
  }
  if (in.description.size() > kMaxDescription) {
    return InvalidArgument("Field 'description' must have at most " +
                           std::to_string(kMaxDescription) + " characters");
  }
  PC_RETURN_IF_ERROR(CheckTargetUrl(in.url, policy_));
  PC_ASSIGN_OR_RETURN(auto events, CheckEvents(in.events));
  Endpoint e;
  e.id = Uuid::V4().ToString();
  e.organization_id = who.user.organization_id;
  e.url = in.url;
  e.description = in.description;
  e.events = events;
  e.enabled = true;
  e.created_at = FormatTimestamp(Now());
  std::string secret = NewSecret();
  PC_RETURN_IF_ERROR(db_.InTransaction([&](store::Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(store::Rows count,
                        tx.Query("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE "
                                 "organization_id = ? AND deleted_at IS NULL",
                                 {e.organization_id}));
    if (count[0].Int("n") >= kMaxEndpointsPerOrganization) {
      return FailedPrecondition("An organization has at most " +
                                std::to_string(kMaxEndpointsPerOrganization) +
                                " webhook endpoints; delete one first");
    }
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO webhook_endpoints (id, organization_id, url, description, events, secret, "
        "enabled, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
        {e.id, e.organization_id, e.url, e.description, EventsJson(e.events), secrets_.Seal(secret),
         who.user.id.empty() ? store::Param(nullptr) : who.user.id, e.created_at, e.created_at}));
    return identity::IdentityService::Audit(
        tx, who, e.organization_id, "webhook.create", "webhook_endpoint", e.id,
        json::object{{"url", e.url}, {"events", EventsJson(e.events)}});
  }));
  e.secret = std::move(secret);
  return e;
}

Result<Endpoint> WebhookService::Update(const Principal& who, const std::string& id,
                                        const EndpointChanges& changes) {
  if (changes.url) {
    if (changes.url->size() > kMaxUrl) {
      return InvalidArgument("Field 'url' must have at most " + std::to_string(kMaxUrl) +
                             " characters");
    }
    PC_RETURN_IF_ERROR(CheckTargetUrl(*changes.url, policy_));
  }
  if (changes.description && changes.description->size() > kMaxDescription) {
    return InvalidArgument("Field 'description' must have at most " +
                           std::to_string(kMaxDescription) + " characters");
  }
  std::optional<std::vector<std::string>> events;
  if (changes.events) {
    PC_ASSIGN_OR_RETURN(events, CheckEvents(*changes.events));
  }
  bool resumed = false;
  auto updated = db_.InTransaction<Endpoint>([&](store::Transaction& tx) -> Result<Endpoint> {
    PC_ASSIGN_OR_RETURN(Endpoint e, Load(tx, who, id));
    PC_RETURN_IF_ERROR(CheckManage(who));
    if (!IsStaff(who) && e.organization_id != who.user.organization_id) {
      return NotFound("No webhook endpoint " + id);
    }
    std::string now = FormatTimestamp(Now());
    json::object detail;
    if (changes.url) {
      e.url = *changes.url;
      detail["url"] = e.url;
    }
    if (changes.description) e.description = *changes.description;
    if (events) {
      e.events = *events;
      detail["events"] = EventsJson(e.events);
    }
    if (changes.enabled && *changes.enabled != e.enabled) {
      e.enabled = *changes.enabled;
      detail["enabled"] = e.enabled;
      if (e.enabled) {
        e.disabled_reason.reset();
        // What waited while it was disabled is due now, with a new retry window.
        PC_RETURN_IF_ERROR(
            tx.Execute("UPDATE webhook_deliveries SET next_attempt_at = ?, window_start = ? "
                       "WHERE endpoint_id = ? AND status IN ('pending', 'retrying')",
                       {now, now, e.id}));
        resumed = true;
      } else {
        e.disabled_reason = "Disabled by " + who.user.email;
      }
    }
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE webhook_endpoints SET url = ?, description = ?, events = ?, enabled = ?, "
        "disabled_reason = ?, disabled_at = ?, updated_at = ? WHERE id = ?",
        {e.url, e.description, EventsJson(e.events), int64_t{e.enabled ? 1 : 0},
         e.disabled_reason ? store::Param(*e.disabled_reason) : store::Param(nullptr),
         e.enabled ? store::Param(nullptr) : store::Param(now), now, e.id}));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, e.organization_id, "webhook.update", "webhook_endpoint", e.id, detail));
    return e;
  });
  if (updated.ok() && resumed && on_queued) on_queued();
  return updated;
}

Status WebhookService::Delete(const Principal& who, const std::string& id) {
  return db_.InTransaction([&](store::Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(Endpoint e, Load(tx, who, id));
    PC_RETURN_IF_ERROR(CheckManage(who));
    if (!IsStaff(who) && e.organization_id != who.user.organization_id) {
      return NotFound("No webhook endpoint " + id);
    }
    std::string now = FormatTimestamp(Now());
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE webhook_endpoints SET deleted_at = ?, enabled = 0, updated_at = ? WHERE id = ?",
        {now, now, e.id}));
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', "
        "next_attempt_at = NULL WHERE endpoint_id = ? AND status IN ('pending', 'retrying')",
        {e.id}));
    return identity::IdentityService::Audit(tx, who, e.organization_id, "webhook.delete",
                                            "webhook_endpoint", e.id, json::object{{"url", e.url}});
  });
}

Result<std::string> WebhookService::SendTest(const Principal& who, const std::string& id) {
  auto queued = db_.InTransaction<std::vector<std::string>>(
      [&](store::Transaction& tx) -> Result<std::vector<std::string>> {
        PC_ASSIGN_OR_RETURN(Endpoint e, Load(tx, who, id));
        PC_RETURN_IF_ERROR(CheckManage(who));
        if (!IsStaff(who) && e.organization_id != who.user.organization_id) {
          return NotFound("No webhook endpoint " + id);
        }
        json::object data{{"endpointId", e.id},
                          {"message", "A test event sent from the webhook settings"},
                          {"requestedBy", who.user.email}};
        return QueueEvent(tx, e.organization_id, kTestEventType, "test:" + Uuid::V7().ToString(),
                          data, e.id);
      });
  if (!queued.ok()) return queued.error();
  if (queued->empty()) return Internal("the test event was not queued");
  if (on_queued) on_queued();
  return queued->front();
}

Result<std::vector<Delivery>> WebhookService::ListDeliveries(const Principal& who,
                                                             const std::string& id, int64_t limit) {
  return db_.InTransaction<std::vector<Delivery>>(
      [&](store::Transaction& tx) -> Result<std::vector<Delivery>> {
        PC_ASSIGN_OR_RETURN(Endpoint e, Load(tx, who, id));
        PC_ASSIGN_OR_RETURN(
            store::Rows rows,
            tx.Query("SELECT id, event_id, type, status, attempts, last_status_code, "
                     "last_latency_ms, last_error, next_attempt_at, created_at, delivered_at "
                     "FROM webhook_deliveries WHERE endpoint_id = ? "
                     "ORDER BY created_at DESC, id DESC LIMIT ?",
                     {e.id, limit}));
        std::vector<Delivery> out;
        for (const auto& r : rows) {
          Delivery d;
          d.id = r.Text("id");
          d.event_id = r.Text("event_id");
          d.type = r.Text("type");
          d.status = r.Text("status");
          d.attempts = r.Int("attempts");
          d.last_status_code = OptInt(r, "last_status_code");
          d.last_latency_ms = OptInt(r, "last_latency_ms");
          d.last_error = Opt(r, "last_error");
          d.next_attempt_at = Opt(r, "next_attempt_at");
          d.created_at = r.Text("created_at");
          d.delivered_at = Opt(r, "delivered_at");
          out.push_back(std::move(d));
        }
        return out;
      });
}

json::object ToJson(const Endpoint& e) {
  json::array events;
  for (const auto& t : e.events) events.emplace_back(t);
  json::object o{{"id", e.id},
                 {"organizationId", e.organization_id},
                 {"url", e.url},
                 {"description", e.description},
                 {"events", std::move(events)},
                 {"enabled", e.enabled},
                 {"disabledReason", e.disabled_reason ? json::value(*e.disabled_reason) : nullptr},
                 {"createdAt", e.created_at}};
  if (e.secret) o["secret"] = *e.secret;
  return o;
}

json::object ToJson(const Delivery& d) {
  auto opt = [](const auto& v) -> json::value {
    if (v) return json::value(*v);
    return nullptr;
  };
  return json::object{{"id", d.id},
                      {"eventId", d.event_id},
                      {"type", d.type},
                      {"status", d.status},
                      {"attempts", d.attempts},
                      {"lastStatusCode", opt(d.last_status_code)},
                      {"lastLatencyMs", opt(d.last_latency_ms)},
                      {"lastError", opt(d.last_error)},
                      {"nextAttemptAt", opt(d.next_attempt_at)},
                      {"createdAt", d.created_at},
                      {"deliveredAt", opt(d.delivered_at)}};
}

}  // namespace pc::webhooks
