#include "support/ticket_store.h"

#include <algorithm>

#include "core/time.h"
#include "core/uuid.h"
#include "support/base64.h"
#include "webhooks/events.h"

namespace pc::support {

namespace {

std::optional<std::string> Opt(const store::Row& row, std::string_view column) {
  if (row.IsNull(column)) return std::nullopt;
  return row.Text(column);
}

store::Param P(const std::optional<std::string>& v) {
  if (!v) return nullptr;
  return *v;
}

const char* kTicketColumns =
    "t.id, t.number, t.subject, t.scope, t.topic, t.status, t.requester_email, "
    "t.requester_name, t.organization_id, o.name AS organization_name, t.billing_alias, "
    "t.assignee, t.class_by, t.class_reason, t.class_confidence, t.needs_review, t.created_at, "
    "t.updated_at, t.first_response_at, t.resolved_at, t.first_response_due_at, "
    "t.resolution_due_at, t.paused_since, t.request_kind, t.request_state, t.request_details, "
    "t.request_decided_by, t.request_result, t.escalation_id, t.escalation_status, "
    "t.escalation_updated_at";

json::object ObjectOr(const std::string& text) {
  auto parsed = ParseJsonObject(text);
  return parsed.ok() ? *parsed : json::object{};
}

Ticket TicketFromRow(const store::Row& r) {
  Ticket t;
  t.id = r.Text("id");
  t.number = r.Int("number");
  t.subject = r.Text("subject");
  t.scope = r.Text("scope");
  t.topic = r.Text("topic");
  t.status = r.Text("status");
  t.requester_email = r.Text("requester_email");
  t.requester_name = r.Text("requester_name");
  t.organization_id = Opt(r, "organization_id");
  t.organization_name = Opt(r, "organization_name");
  t.billing_alias = Opt(r, "billing_alias");
  t.assignee = Opt(r, "assignee");
  t.classification.by = r.Text("class_by");
  t.classification.reason = r.Text("class_reason");
  t.classification.confidence = Opt(r, "class_confidence");
  t.classification.needs_review = r.Int("needs_review") != 0;
  t.created_at = r.Text("created_at");
  t.updated_at = r.Text("updated_at");
  t.first_response_at = Opt(r, "first_response_at");
  t.resolved_at = Opt(r, "resolved_at");
  t.paused_since = Opt(r, "paused_since");
  t.sla.first_response_due_at = Opt(r, "first_response_due_at");
  t.sla.resolution_due_at = Opt(r, "resolution_due_at");
  t.sla.paused = t.paused_since.has_value();
  std::string now = FormatTimestamp(Now());
  // Breached: a target passed without being met (a paused clock is not running: its due time
  // moves on when it resumes, so a paused ticket is not breached by waiting).
  if (!t.sla.paused) {
    if (t.sla.first_response_due_at && !t.first_response_at && *t.sla.first_response_due_at < now) {
      t.sla.breached = true;
    }
    if (t.sla.resolution_due_at && !t.resolved_at && *t.sla.resolution_due_at < now) {
      t.sla.breached = true;
    }
  }
  if (t.sla.first_response_due_at && t.first_response_at &&
      *t.first_response_at > *t.sla.first_response_due_at) {
    t.sla.breached = true;
  }
  if (t.sla.resolution_due_at && t.resolved_at && *t.resolved_at > *t.sla.resolution_due_at) {
    t.sla.breached = true;
  }
  if (!r.IsNull("request_kind")) {
    StructuredRequest req;
    req.kind = r.Text("request_kind");
    req.state = r.Text("request_state");
    req.details = ObjectOr(r.Text("request_details"));
    req.decided_by = Opt(r, "request_decided_by");
    if (!r.IsNull("request_result")) req.result = ObjectOr(r.Text("request_result"));
    t.request = std::move(req);
  }
  if (!r.IsNull("escalation_id")) {
    t.escalation = Escalation{r.Text("escalation_id"), r.Text("escalation_status"),
                              r.Text("escalation_updated_at")};
  }
  return t;
}

Status Touch(store::Transaction& tx, std::string_view ticket_id) {
  PC_RETURN_IF_ERROR(tx.Execute("UPDATE support_tickets SET updated_at = ? WHERE id = ?",
                                {FormatTimestamp(Now()), std::string(ticket_id)}));
  return Status::Ok();
}

}  // namespace

bool IsScope(std::string_view s) {
  return std::any_of(std::begin(kScopes), std::end(kScopes), [&](auto v) { return s == v; });
}
bool IsStatus(std::string_view s) {
  return std::any_of(std::begin(kStatuses), std::end(kStatuses), [&](auto v) { return s == v; });
}

Result<Ticket> CreateTicket(store::Transaction& tx, const NewTicket& n) {
  PC_ASSIGN_OR_RETURN(auto counter,
                      tx.Query("UPDATE support_counters SET value = value + 1 WHERE name = "
                               "'ticket_number' RETURNING value"));
  if (counter.empty()) return Internal("The ticket number counter is missing");
  int64_t number = counter[0].Int(0);
  std::string id = "T-" + std::to_string(number);
  std::string now = FormatTimestamp(Now());
  std::optional<std::string> confidence = n.classification.confidence;
  PC_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO support_tickets (id, number, subject, scope, topic, status, requester_email, "
      "requester_name, organization_id, billing_alias, class_by, class_reason, class_confidence, "
      "needs_review, created_at, updated_at, first_response_due_at, resolution_due_at, "
      "request_kind, request_state, request_details) VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {id,
       number,
       n.subject,
       n.scope,
       n.topic,
       n.requester_email,
       n.requester_name,
       P(n.organization_id),
       P(n.billing_alias),
       n.classification.by,
       n.classification.reason,
       P(confidence),
       int64_t{n.classification.needs_review ? 1 : 0},
       now,
       now,
       P(n.first_response_due_at),
       P(n.resolution_due_at),
       n.request ? store::Param(n.request->kind) : store::Param(nullptr),
       n.request ? store::Param(n.request->state) : store::Param(nullptr),
       n.request ? store::Param(pc::ToJson(json::value(n.request->details)))
                 : store::Param(nullptr)}));
  return LoadTicket(tx, id, false);
}

Result<Ticket> LoadTicket(store::Transaction& tx, std::string_view id, bool with_messages,
                          bool include_notes) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query(std::string("SELECT ") + kTicketColumns +
                                   " FROM support_tickets t LEFT JOIN organizations o ON o.id = "
                                   "t.organization_id WHERE t.id = ?",
                               {std::string(id)}));
  if (rows.empty()) return NotFound("No ticket " + std::string(id));
  Ticket t = TicketFromRow(rows[0]);
  if (!with_messages) return t;
  PC_ASSIGN_OR_RETURN(
      auto msgs,
      tx.Query(std::string("SELECT id, ticket_id, kind, from_address, at, text, html, message_id, "
                           "auto_reply FROM support_messages WHERE ticket_id = ?") +
                   (include_notes ? "" : " AND kind <> 'note'") + " ORDER BY at, id",
               {t.id}));
  PC_ASSIGN_OR_RETURN(
      auto atts, tx.Query("SELECT a.id, a.message_id, a.name, a.content_type, a.size FROM "
                          "support_attachments a JOIN support_messages m ON m.id = a.message_id "
                          "WHERE m.ticket_id = ? ORDER BY a.id",
                          {t.id}));
  for (const auto& r : msgs) {
    Message m;
    m.id = r.Text("id");
    m.ticket_id = r.Text("ticket_id");
    m.kind = r.Text("kind");
    m.from = r.Text("from_address");
    m.at = r.Text("at");
    m.text = r.Text("text");
    m.html = Opt(r, "html");
    m.message_id = Opt(r, "message_id");
    m.auto_reply = r.Int("auto_reply") != 0;
    for (const auto& a : atts) {
      if (a.Text("message_id") == m.id) {
        m.attachments.push_back(
            {a.Text("id"), a.Text("name"), a.Text("content_type"), a.Int("size")});
      }
    }
    t.messages.push_back(std::move(m));
  }
  return t;
}

Result<std::vector<Ticket>> ListTickets(store::Transaction& tx, const TicketFilter& f) {
  std::string sql = std::string("SELECT ") + kTicketColumns +
                    " FROM support_tickets t LEFT JOIN organizations o ON o.id = "
                    "t.organization_id WHERE 1 = 1";
  std::vector<store::Param> params;
  auto add = [&](const char* column, const std::optional<std::string>& v) {
    if (!v) return;
    sql += std::string(" AND t.") + column + " = ?";
    params.push_back(*v);
  };
  add("organization_id", f.organization_id);
  add("scope", f.scope);
  add("topic", f.topic);
  add("status", f.status);
  add("assignee", f.assignee);
  sql += " ORDER BY t.number DESC";
  // The breach filter is computed per row (it depends on the clock), so it is applied after
  // reading; without it the limit goes to the database.
  if (!f.breached_only) {
    sql += " LIMIT ?";
    params.push_back(f.limit);
  }
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
  std::vector<Ticket> out;
  for (const auto& r : rows) {
    Ticket t = TicketFromRow(r);
    if (f.breached_only && !t.sla.breached) continue;
    out.push_back(std::move(t));
    if (static_cast<int64_t>(out.size()) >= f.limit) break;
  }
  return out;
}

Result<Message> AppendMessage(store::Transaction& tx, std::string_view ticket_id,
                              const NewMessage& n) {
  Message m;
  m.id = Uuid::V7().ToString();
  m.ticket_id = std::string(ticket_id);
  m.kind = n.kind;
  m.from = n.from;
  m.at = FormatTimestamp(Now());
  m.text = n.text;
  m.html = n.html;
  m.message_id = n.message_id;
  m.auto_reply = n.auto_reply;
  PC_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO support_messages (id, ticket_id, kind, from_address, at, text, html, "
                 "message_id, raw_id, auto_reply) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {m.id, m.ticket_id, m.kind, m.from, m.at, m.text, P(m.html), P(m.message_id),
                  P(n.raw_id), int64_t{m.auto_reply ? 1 : 0}}));
  PC_RETURN_IF_ERROR(Touch(tx, ticket_id));
  return m;
}

Status ChangeStatus(store::Transaction& tx, std::string_view ticket_id, std::string_view status,
                    std::string_view actor) {
  if (!IsStatus(status)) return InvalidArgument("Unknown status '" + std::string(status) + "'");
  PC_ASSIGN_OR_RETURN(auto t, LoadTicket(tx, ticket_id, false));
  if (t.status == status) return Status::Ok();
  std::string now = FormatTimestamp(Now());
  bool pauses = status == "waiting-on-customer" || status == "escalated";
  bool done = status == "resolved" || status == "closed";
  std::optional<std::string> paused_since = t.paused_since;
  std::optional<std::string> first_due = t.sla.first_response_due_at;
  std::optional<std::string> resolution_due = t.sla.resolution_due_at;
  if (pauses && !paused_since) paused_since = now;
  if (!pauses && paused_since) {
    // The clock resumes: the open targets move by the time it was paused.
    auto since = ParseTimestamp(*paused_since);
    if (since.ok()) {
      auto paused_for = Now() - *since;
      auto shift = [&](std::optional<std::string>& due) {
        if (!due) return;
        auto d = ParseTimestamp(*due);
        if (d.ok()) due = FormatTimestamp(*d + paused_for);
      };
      if (!t.first_response_at) shift(first_due);
      shift(resolution_due);
    }
    paused_since.reset();
  }
  std::optional<std::string> resolved_at = t.resolved_at;
  if (done && !resolved_at) resolved_at = now;
  if (!done) resolved_at.reset();
  PC_RETURN_IF_ERROR(
      tx.Execute("UPDATE support_tickets SET status = ?, paused_since = ?, resolved_at = ?, "
                 "first_response_due_at = ?, resolution_due_at = ?, updated_at = ? WHERE id = ?",
                 {std::string(status), P(paused_since), P(resolved_at), P(first_due),
                  P(resolution_due), now, std::string(ticket_id)}));
  NewMessage event{.kind = "event",
                   .from = std::string(actor),
                   .text = "Status: " + t.status + " -> " + std::string(status)};
  PC_ASSIGN_OR_RETURN(auto appended, AppendMessage(tx, ticket_id, event));
  if (t.organization_id) {
    // ticket.updated for the requester's organization (webhooks/events.h).
    json::object data{{"ticketId", t.id},
                      {"number", t.number},
                      {"subject", t.subject},
                      {"status", std::string(status)},
                      {"previousStatus", t.status},
                      {"billingAlias", t.billing_alias ? json::value(*t.billing_alias) : nullptr},
                      {"updatedAt", now}};
    PC_RETURN_IF_ERROR(webhooks::EnqueueEvent(tx, *t.organization_id, "ticket.updated",
                                              "ticket:" + t.id + ":" + appended.id, data));
  }
  return Status::Ok();
}

Result<AttachmentInfo> AttachFile(store::Transaction& tx, std::string_view message_id,
                                  std::string_view name, std::string_view content_type,
                                  std::string_view content) {
  AttachmentInfo a{Uuid::V7().ToString(), std::string(name), std::string(content_type),
                   static_cast<int64_t>(content.size())};
  PC_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO support_attachments (id, message_id, name, content_type, size, content) VALUES "
      "(?, ?, ?, ?, ?, ?)",
      {a.id, std::string(message_id), a.name, a.content_type, a.size, Base64Encode(content)}));
  return a;
}

Result<AttachmentContent> LoadAttachment(store::Transaction& tx, std::string_view attachment_id) {
  PC_ASSIGN_OR_RETURN(
      auto rows,
      tx.Query("SELECT a.id, a.name, a.content_type, a.size, a.content, m.ticket_id, m.kind FROM "
               "support_attachments a JOIN support_messages m ON m.id = a.message_id WHERE a.id = "
               "?",
               {std::string(attachment_id)}));
  if (rows.empty()) return NotFound("No attachment " + std::string(attachment_id));
  const auto& r = rows[0];
  AttachmentContent c;
  c.info = {r.Text("id"), r.Text("name"), r.Text("content_type"), r.Int("size")};
  c.ticket_id = r.Text("ticket_id");
  c.message_kind = r.Text("kind");
  PC_ASSIGN_OR_RETURN(c.bytes, Base64Decode(r.Text("content")));
  return c;
}

Status SetRequestState(store::Transaction& tx, std::string_view ticket_id, std::string_view state,
                       const std::optional<std::string>& decided_by,
                       const std::optional<json::object>& result) {
  PC_ASSIGN_OR_RETURN(
      auto n,
      tx.Execute("UPDATE support_tickets SET request_state = ?, request_decided_by = "
                 "COALESCE(?, request_decided_by), request_result = COALESCE(?, request_result), "
                 "updated_at = ? WHERE id = ? AND request_kind IS NOT NULL",
                 {std::string(state), P(decided_by),
                  result ? store::Param(pc::ToJson(json::value(*result))) : store::Param(nullptr),
                  FormatTimestamp(Now()), std::string(ticket_id)}));
  if (n == 0) return NotFound("Ticket " + std::string(ticket_id) + " has no structured request");
  return Status::Ok();
}

Status SetEscalation(store::Transaction& tx, std::string_view ticket_id,
                     std::string_view service_request_id, std::string_view status) {
  std::string now = FormatTimestamp(Now());
  PC_ASSIGN_OR_RETURN(auto n, tx.Execute("UPDATE support_tickets SET escalation_id = ?, "
                                         "escalation_status = ?, escalation_updated_at = ?, "
                                         "updated_at = ? WHERE id = ?",
                                         {std::string(service_request_id), std::string(status), now,
                                          now, std::string(ticket_id)}));
  if (n == 0) return NotFound("No ticket " + std::string(ticket_id));
  return Status::Ok();
}

Status UpdateTicket(store::Transaction& tx, std::string_view ticket_id, const TicketChanges& c) {
  std::string id(ticket_id);
  std::string now = FormatTimestamp(Now());
  if (c.assignee) {
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE support_tickets SET assignee = ?, updated_at = ? WHERE id = ?",
        {c.assignee->empty() ? store::Param(nullptr) : store::Param(*c.assignee), now, id}));
  }
  if (c.topic) {
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE support_tickets SET topic = ?, updated_at = ? WHERE id = ?", {*c.topic, now, id}));
  }
  if (c.scope) {
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE support_tickets SET scope = ?, updated_at = ? WHERE id = ?", {*c.scope, now, id}));
  }
  if (c.classification) {
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE support_tickets SET class_by = ?, class_reason = ?, class_confidence = ?, "
        "needs_review = ?, updated_at = ? WHERE id = ?",
        {c.classification->by, c.classification->reason, P(c.classification->confidence),
         int64_t{c.classification->needs_review ? 1 : 0}, now, id}));
  }
  if (c.first_response_at) {
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE support_tickets SET first_response_at = COALESCE(first_response_at, ?) WHERE id "
        "= ?",
        {*c.first_response_at, id}));
  }
  return Status::Ok();
}

Result<std::optional<std::string>> TicketOfMessageId(store::Transaction& tx,
                                                     std::string_view message_id) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT ticket_id FROM support_messages WHERE message_id = ? "
                               "ORDER BY id LIMIT 1",
                               {std::string(message_id)}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0));
}

json::object ToJson(const Message& m) {
  json::array atts;
  for (const auto& a : m.attachments) {
    atts.push_back(json::object{
        {"id", a.id}, {"name", a.name}, {"contentType", a.content_type}, {"size", a.size}});
  }
  json::object o{{"id", m.id},     {"kind", m.kind},  {"from", m.from},     {"at", m.at},
                 {"text", m.text}, {"html", nullptr}, {"attachments", atts}};
  if (m.html) o["html"] = *m.html;
  o["autoReply"] = m.auto_reply;
  return o;
}

json::object ToJson(const Ticket& t, bool include_messages) {
  auto opt = [](const std::optional<std::string>& v) -> json::value {
    if (!v) return nullptr;
    return json::value(*v);
  };
  json::object classification{{"by", t.classification.by},
                              {"reason", t.classification.reason},
                              {"confidence", opt(t.classification.confidence)},
                              {"needsReview", t.classification.needs_review}};
  json::object sla{{"firstResponseDueAt", opt(t.sla.first_response_due_at)},
                   {"resolutionDueAt", opt(t.sla.resolution_due_at)},
                   {"breached", t.sla.breached},
                   {"paused", t.sla.paused}};
  json::object o{
      {"id", t.id},
      {"number", t.number},
      {"subject", t.subject},
      {"scope", t.scope},
      {"topic", t.topic},
      {"status", t.status},
      {"requester", json::object{{"email", t.requester_email}, {"name", t.requester_name}}},
      {"organizationId", opt(t.organization_id)},
      {"organizationName", opt(t.organization_name)},
      {"billingAlias", opt(t.billing_alias)},
      {"assignee", opt(t.assignee)},
      {"classification", classification},
      {"createdAt", t.created_at},
      {"updatedAt", t.updated_at},
      {"firstResponseAt", opt(t.first_response_at)},
      {"resolvedAt", opt(t.resolved_at)},
      {"sla", sla},
      {"request", nullptr},
      {"escalation", nullptr}};
  if (t.request) {
    json::object r{{"kind", t.request->kind},
                   {"state", t.request->state},
                   {"details", t.request->details},
                   {"decidedBy", opt(t.request->decided_by)},
                   {"result", nullptr}};
    if (t.request->result) r["result"] = *t.request->result;
    o["request"] = std::move(r);
  }
  if (t.escalation) {
    o["escalation"] = json::object{{"serviceRequestId", t.escalation->service_request_id},
                                   {"status", t.escalation->status},
                                   {"updatedAt", t.escalation->updated_at}};
  }
  if (include_messages) {
    json::array msgs;
    for (const auto& m : t.messages) msgs.push_back(ToJson(m));
    o["messages"] = std::move(msgs);
  }
  return o;
}

}  // namespace pc::support
