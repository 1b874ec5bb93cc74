// The support desk's ticket store: tickets, their conversation (messages, notes, events) and
// attachments, inside a caller's transaction. No authorization here: support_service.h decides
// who may do what and calls these; other code of the platform (structured requests, escalation
// polling) calls them for changes it makes itself. Thread-safe (no state of its own).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace pc::support {

// Stable ids of the API.
inline constexpr const char* kScopes[] = {"in", "out", "not-customer"};
inline constexpr const char* kStatuses[] = {"new",       "open",     "waiting-on-customer",
                                            "escalated", "resolved", "closed"};
bool IsScope(std::string_view s);
bool IsStatus(std::string_view s);

struct AttachmentInfo {
  std::string id;
  std::string name;
  std::string content_type;
  int64_t size = 0;
};

struct Message {
  std::string id;
  std::string ticket_id;
  std::string kind;  // in | out | note | event
  std::string from;
  std::string at;
  std::string text;
  std::optional<std::string> html;        // sanitized
  std::optional<std::string> message_id;  // RFC 5322, without brackets
  bool auto_reply = false;
  std::vector<AttachmentInfo> attachments;
};

struct Classification {
  std::string by = "rule";  // rule | model | agent
  std::string reason;
  std::optional<std::string> confidence;  // decimal string "0.93"
  bool needs_review = false;
};

struct StructuredRequest {
  std::string kind;   // portal-users | close-account | billing-report | permit-service
  std::string state;  // pending-approval | approved | rejected | running | done | failed
  json::object details;
  std::optional<std::string> decided_by;
  std::optional<json::object> result;
};

struct Escalation {
  std::string service_request_id;
  std::string status;
  std::string updated_at;
};

struct Sla {
  std::optional<std::string> first_response_due_at;
  std::optional<std::string> resolution_due_at;
  bool breached = false;
  bool paused = false;
};

struct Ticket {
  std::string id;  // "T-<number>"
  int64_t number = 0;
  std::string subject;
  std::string scope;
  std::string topic;
  std::string status;
  std::string requester_email;
  std::string requester_name;
  std::optional<std::string> organization_id;
  std::optional<std::string> organization_name;
  std::optional<std::string> billing_alias;
  std::optional<std::string> assignee;
  Classification classification;
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> first_response_at;
  std::optional<std::string> resolved_at;
  std::optional<std::string> paused_since;
  Sla sla;
  std::optional<StructuredRequest> request;
  std::optional<Escalation> escalation;
  std::vector<Message> messages;  // filled by LoadTicket with_messages only
};

struct NewTicket {
  std::string subject;
  std::string scope;
  std::string topic;
  std::string requester_email;
  std::string requester_name;
  std::optional<std::string> organization_id;
  std::optional<std::string> billing_alias;
  Classification classification;
  std::optional<StructuredRequest> request;
  std::optional<std::string> first_response_due_at;
  std::optional<std::string> resolution_due_at;
};

struct NewMessage {
  std::string kind{};  // in | out | note | event
  std::string from{};
  std::string text{};
  std::optional<std::string> html{};
  std::optional<std::string> message_id{};
  std::optional<std::string> raw_id{};
  bool auto_reply = false;
};

struct TicketFilter {
  std::optional<std::string> organization_id;  // customers: their organization only
  std::optional<std::string> scope, topic, status, assignee;
  bool breached_only = false;
  int64_t limit = 100;
};

// Creates a ticket with the next number, status "new". Returns it (without messages).
Result<Ticket> CreateTicket(store::Transaction& tx, const NewTicket& ticket);
// NotFound "No ticket T-..." when absent. Notes are left out unless `include_notes`.
Result<Ticket> LoadTicket(store::Transaction& tx, std::string_view id, bool with_messages,
                          bool include_notes = true);
// Newest first.
Result<std::vector<Ticket>> ListTickets(store::Transaction& tx, const TicketFilter& filter);

// Appends a message to the conversation and touches the ticket's updated_at.
Result<Message> AppendMessage(store::Transaction& tx, std::string_view ticket_id,
                              const NewMessage& message);
// Sets the status (and resolved_at / paused_since accordingly) and appends an "event" message
// "Status: a -> b (by actor)". No-op when unchanged.
Status ChangeStatus(store::Transaction& tx, std::string_view ticket_id, std::string_view status,
                    std::string_view actor);
// Stores a file on a message. `content` is the bytes.
Result<AttachmentInfo> AttachFile(store::Transaction& tx, std::string_view message_id,
                                  std::string_view name, std::string_view content_type,
                                  std::string_view content);
// The attachment and the ticket it belongs to.
struct AttachmentContent {
  AttachmentInfo info;
  std::string ticket_id;
  std::string message_kind;
  std::string bytes;
};
Result<AttachmentContent> LoadAttachment(store::Transaction& tx, std::string_view attachment_id);

// Structured request and escalation bookkeeping (for request_actions / escalation code).
Status SetRequestState(store::Transaction& tx, std::string_view ticket_id, std::string_view state,
                       const std::optional<std::string>& decided_by,
                       const std::optional<json::object>& result);
Status SetEscalation(store::Transaction& tx, std::string_view ticket_id,
                     std::string_view service_request_id, std::string_view status);

// Sets fields an agent changes; each given one only.
struct TicketChanges {
  std::optional<std::string> assignee{};  // "" clears
  std::optional<std::string> topic{};
  std::optional<std::string> scope{};
  std::optional<Classification> classification{};
  std::optional<std::string> first_response_at{};
};
Status UpdateTicket(store::Transaction& tx, std::string_view ticket_id,
                    const TicketChanges& changes);

// The ticket of a message we or the customer sent, by its RFC 5322 Message-ID.
Result<std::optional<std::string>> TicketOfMessageId(store::Transaction& tx,
                                                     std::string_view message_id);

// JSON of the API contract. `include_messages` for the single-ticket view.
json::object ToJson(const Ticket& ticket, bool include_messages);
json::object ToJson(const Message& message);

}  // namespace pc::support
