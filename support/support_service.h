// The support desk as its users see it: every authorization decision about tickets, messages,
// attachments, rules, templates and quarantine is made here.
//   - org_admin / org_member (customers): their organization's tickets only; never internal notes.
//   - support_agent / operator (staff): every ticket; reply, note, change status/assignee/topic/
//     scope, escalate.
//   - operator only: approve or reject structured requests, edit rules and templates, replay
//     quarantined mail.
// Thread-safe: one SupportService is shared by all request threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "core/secret_box.h"
#include "identity/identity.h"
#include "store/store.h"
#include "support/classifier.h"
#include "support/request_actions.h"
#include "support/ticket_store.h"

namespace pc::support {

struct SupportOptions {
  int64_t max_message_bytes = int64_t{10} << 20;    // support.max_message_bytes
  int64_t max_attachment_bytes = int64_t{5} << 20;  // support.max_attachment_bytes
  int64_t max_auto_replies_per_hour = 5;            // support.max_auto_replies_per_hour
  std::string address = "support@partner.example";  // support.address (our mailbox)
  // Service levels (sla.h): targets per topic and the business calendar; empty: the defaults.
  std::string sla_targets;     // support.sla_targets
  std::string business_hours;  // support.business_hours
  std::string holidays;        // support.holidays
};

struct NewTicketRequest {
  std::string subject;
  std::string text;
  std::optional<std::string> billing_alias;
  std::optional<json::object> request;  // {"kind", ...details}
};

struct TicketPatch {
  std::optional<std::string> status, assignee, topic, scope;
};

struct QuarantineItem {
  std::string id;
  std::string received_at;
  int64_t size = 0;
  std::string reason;
  std::string state;  // quarantined | replayed
};

class SupportService {
 public:
  // `secrets` seals the reply token key (outbound.h); it must outlive the service.
  SupportService(store::Database& db, const SecretBox& secrets, SupportOptions options);

  Result<std::vector<Ticket>> ListTickets(const identity::Principal& who, TicketFilter filter);
  Result<Ticket> GetTicket(const identity::Principal& who, std::string_view id);
  // Classified at once; out-of-scope and not-customer requests get the automatic answer as an
  // "out" message (and by email).
  Result<Ticket> CreateTicket(const identity::Principal& who, const NewTicketRequest& request);
  Result<Message> AddMessage(const identity::Principal& who, std::string_view id,
                             std::string_view text, bool internal);
  Result<Ticket> PatchTicket(const identity::Principal& who, std::string_view id,
                             const TicketPatch& patch);
  Result<Ticket> EscalateTicket(const identity::Principal& who, std::string_view id,
                                std::string_view note);
  Result<Ticket> ApproveRequest(const identity::Principal& who, std::string_view id);
  Result<Ticket> RejectRequest(const identity::Principal& who, std::string_view id,
                               std::string_view reason);
  Result<AttachmentContent> GetAttachment(const identity::Principal& who, std::string_view id);

  Result<json::value> GetRules(const identity::Principal& who);
  Result<json::value> PutRules(const identity::Principal& who, const json::value& rules);
  Result<json::value> GetTemplates(const identity::Principal& who);
  Result<json::value> PutTemplates(const identity::Principal& who, const json::value& templates);

  Result<std::vector<QuarantineItem>> ListQuarantine(const identity::Principal& who);
  // Parses a quarantined message again (after a fix); Ok with the ticket id it went to.
  Result<std::string> ReplayQuarantined(const identity::Principal& who, std::string_view id);

  // The classifier state: rules from the database (or shipped) and the model trained on the
  // shipped set plus agents' corrections. Rebuilt when rules change or a correction is recorded.
  Decision Classify(std::string_view subject, std::string_view text);

  // Counts for /metrics: quarantined messages, tickets by status, breached tickets.
  std::string RenderMetrics();

  ActionContext& actions() { return actions_; }
  const SupportOptions& options() const { return options_; }
  const SecretBox& secrets() const { return secrets_; }
  store::Database& db() { return db_; }

 private:
  Status ReloadClassifier();
  Result<Ticket> Visible(store::Transaction& tx, const identity::Principal& who,
                         std::string_view id, bool with_messages);

  store::Database& db_;
  const SecretBox& secrets_;
  SupportOptions options_;
  ActionContext actions_;
  std::mutex mu_;
  std::shared_ptr<const RuleSet> rules_;
  std::shared_ptr<const NaiveBayes> model_;
};

bool IsStaff(const identity::Principal& who);

// The rules document in force (the operators' if they saved one, else the shipped one).
Result<json::value> LoadRulesDocument(store::Transaction& tx);
Result<json::value> LoadTemplatesDocument(store::Transaction& tx);

// Renders an automatic answer template `name` for the ticket. Returns {subject, text}.
struct Rendered {
  std::string subject;
  std::string text;
};
Result<Rendered> RenderTemplate(store::Transaction& tx, std::string_view name, const Ticket& t);

// The organization (and billing alias) of a requester address: a user of an organization that
// has a ready provider (a CSP customer of the platform). Null when none.
struct CustomerMatch {
  std::string organization_id;
  std::optional<std::string> billing_alias;
  std::string user_name;
};
Result<std::optional<CustomerMatch>> MatchCustomer(store::Transaction& tx, std::string_view email);
// The same for an organization id.
Result<std::optional<std::string>> ReadyAliasOfOrganization(store::Transaction& tx,
                                                            std::string_view organization_id);

}  // namespace pc::support
