#include "support/support_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/text.h"
#include "core/time.h"
#include "core/uuid.h"
#include "governance/governance.h"
#include "support/escalation.h"
#include "support/mail_intake.h"
#include "support/outbound.h"
#include "support/request_recognition.h"
#include "support/sla.h"
#include "support/topics.h"

namespace pc::support {

namespace {

using identity::Principal;
using identity::Role;

constexpr size_t kMaxSubject = 300;
constexpr size_t kMaxText = 100000;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Actor(const Principal& who) {
  return who.user.email.empty() ? std::string("system") : who.user.email;
}

bool IsOperator(const Principal& who) {
  return who.user.role == Role::kOperator || who.via == Principal::Via::kSystem;
}

const char* kRequestKinds[] = {"portal-users", "close-account", "billing-report", "permit-service"};

// The scope list quoted in automatic answers.
std::string ScopeList() {
  std::string out;
  for (const auto& t : Topics()) {
    if (t.scope == "in") out += "- " + t.title + "\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::string Replace(std::string text, std::string_view key, std::string_view value) {
  for (size_t pos = text.find(key); pos != std::string::npos;
       pos = text.find(key, pos + value.size())) {
    text.replace(pos, key.size(), value);
  }
  return text;
}

Status CheckTemplates(const json::value& doc) {
  if (!doc.is_object()) return InvalidArgument("The templates must be a JSON object");
  for (const char* name : {"received", "out-of-scope", "managed-os", "not-customer"}) {
    auto it = doc.as_object().find(name);
    if (it == doc.as_object().end() || !it->value().is_object()) {
      return InvalidArgument(std::string("Template '") + name +
                             "' is required: an object with 'subject' and 'text'");
    }
    for (const char* field : {"subject", "text"}) {
      auto f = it->value().as_object().find(field);
      if (f == it->value().as_object().end() || !f->value().is_string() ||
          f->value().as_string().empty()) {
        return InvalidArgument(std::string("Template '") + name + "' needs a non-empty '" + field +
                               "' string");
      }
    }
  }
  return Status::Ok();
}

// The template for a ticket's automatic answer, or "" for none (in scope: API tickets get none).
std::string AnswerTemplateFor(const Ticket& t) {
  if (t.scope == "not-customer") return "not-customer";
  if (t.scope == "out") return t.topic == "managed-os" ? "managed-os" : "out-of-scope";
  return "";
}

}  // namespace

bool IsStaff(const Principal& who) {
  return identity::IsPartnerStaff(who.user.role) || who.via == Principal::Via::kSystem;
}

Result<json::value> LoadRulesDocument(store::Transaction& tx) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT value FROM support_settings WHERE key = 'rules'"));
  return ParseJson(rows.empty() ? ShippedRulesJson() : std::string_view(rows[0].Text(0)));
}

Result<json::value> LoadTemplatesDocument(store::Transaction& tx) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT value FROM support_settings WHERE key = 'templates'"));
  return ParseJson(rows.empty() ? ShippedTemplatesJson() : std::string_view(rows[0].Text(0)));
}

Result<Rendered> RenderTemplate(store::Transaction& tx, std::string_view name, const Ticket& t) {
  PC_ASSIGN_OR_RETURN(auto doc, LoadTemplatesDocument(tx));
  PC_RETURN_IF_ERROR(CheckTemplates(doc));
  const auto& tpl = doc.as_object().at(name).as_object();
  const Topic* topic = FindTopic(t.topic);
  auto fill = [&](std::string text) {
    text = Replace(std::move(text), "{{ticket}}", t.id);
    text = Replace(std::move(text), "{{subject}}", t.subject);
    text = Replace(std::move(text), "{{name}}",
                   t.requester_name.empty() ? t.requester_email : t.requester_name);
    text = Replace(std::move(text), "{{topic}}", topic != nullptr ? topic->title : t.topic);
    text = Replace(std::move(text), "{{scope}}", ScopeList());
    return text;
  };
  return Rendered{fill(std::string(tpl.at("subject").as_string())),
                  fill(std::string(tpl.at("text").as_string()))};
}

Result<std::optional<std::string>> ReadyAliasOfOrganization(store::Transaction& tx,
                                                            std::string_view organization_id) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT billing_alias FROM providers WHERE organization_id = ? AND "
                               "state = 'ready' AND billing_alias IS NOT NULL ORDER BY created_at "
                               "LIMIT 1",
                               {std::string(organization_id)}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0));
}

Result<std::optional<CustomerMatch>> MatchCustomer(store::Transaction& tx, std::string_view email) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT u.organization_id, u.name FROM users u JOIN organizations "
                               "o ON o.id = u.organization_id WHERE u.email = ? AND o.kind = "
                               "'customer' AND u.disabled = 0",
                               {Lower(email)}));
  if (rows.empty()) return std::optional<CustomerMatch>();
  PC_ASSIGN_OR_RETURN(auto alias, ReadyAliasOfOrganization(tx, rows[0].Text(0)));
  if (!alias) return std::optional<CustomerMatch>();
  return std::optional<CustomerMatch>(CustomerMatch{rows[0].Text(0), alias, rows[0].Text(1)});
}

SupportService::SupportService(store::Database& db, SupportOptions options)
    : db_(db), options_(std::move(options)), actions_{db, nullptr} {}

Status SupportService::ReloadClassifier() {
  PC_ASSIGN_OR_RETURN(auto doc, db_.InTransaction<json::value>(
                                    [](store::Transaction& tx) { return LoadRulesDocument(tx); }));
  PC_ASSIGN_OR_RETURN(auto rules, ParseRules(doc));
  auto model = std::make_shared<NaiveBayes>();
  for (const auto& e : ShippedTrainingSet()) model->Add(e);
  PC_ASSIGN_OR_RETURN(auto corrections, db_.InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query("SELECT text, topic FROM support_training ORDER BY id");
  }));
  for (const auto& r : corrections) model->Add({r.Text(0), r.Text(1)});
  std::lock_guard lock(mu_);
  rules_ = std::make_shared<RuleSet>(std::move(rules));
  model_ = std::move(model);
  return Status::Ok();
}

Decision SupportService::Classify(std::string_view subject, std::string_view text) {
  std::shared_ptr<const RuleSet> rules;
  std::shared_ptr<const NaiveBayes> model;
  {
    std::lock_guard lock(mu_);
    rules = rules_;
    model = model_;
  }
  if (!rules) {
    if (Status s = ReloadClassifier(); !s.ok()) {
      spdlog::warn("support: classifier not loaded: {}", s.error().message);
    }
    std::lock_guard lock(mu_);
    rules = rules_;
    model = model_;
  }
  RuleSet none;
  return support::Classify(rules ? *rules : none, model.get(), subject, text);
}

Result<Ticket> SupportService::Visible(store::Transaction& tx, const Principal& who,
                                       std::string_view id, bool with_messages) {
  bool staff = IsStaff(who);
  auto t = LoadTicket(tx, id, with_messages, staff);
  if (!t.ok()) return t.error();
  // Tickets of other organizations do not exist for a customer.
  if (!staff && t->organization_id != who.user.organization_id) {
    return NotFound("No ticket " + std::string(id));
  }
  return t;
}

Result<std::vector<Ticket>> SupportService::ListTickets(const Principal& who, TicketFilter filter) {
  if (!IsStaff(who)) filter.organization_id = who.user.organization_id;
  return db_.InTransaction<std::vector<Ticket>>(
      [&](store::Transaction& tx) { return support::ListTickets(tx, filter); });
}

Result<Ticket> SupportService::GetTicket(const Principal& who, std::string_view id) {
  return db_.InTransaction<Ticket>(
      [&](store::Transaction& tx) { return Visible(tx, who, id, true); });
}

Result<Ticket> SupportService::CreateTicket(const Principal& who, const NewTicketRequest& req) {
  PC_RETURN_IF_ERROR(CheckLineText("subject", req.subject, kMaxSubject));
  if (req.subject.empty()) return InvalidArgument("Field 'subject' must not be empty");
  PC_RETURN_IF_ERROR(CheckMultilineText("text", req.text, kMaxText));
  if (req.text.empty()) return InvalidArgument("Field 'text' must not be empty");
  std::optional<StructuredRequest> structured;
  if (req.request) {
    auto kind = RequiredString(*req.request, "kind");
    if (!kind.ok()) return InvalidArgument("request: " + kind.error().message);
    if (std::find(std::begin(kRequestKinds), std::end(kRequestKinds), *kind) ==
        std::end(kRequestKinds)) {
      return InvalidArgument(
          "request.kind must be portal-users, close-account, billing-report or permit-service");
    }
    if (*kind == "permit-service") {
      auto type = RequiredString(*req.request, "resourceType");
      if (!type.ok()) return InvalidArgument("request: " + type.error().message);
      PC_RETURN_IF_ERROR(governance::CheckResourceType(*type));
    }
    StructuredRequest s;
    s.kind = *kind;
    s.state = "pending-approval";
    for (const auto& [k, v] : *req.request) {
      if (k != "kind") s.details[k] = v;
    }
    structured = std::move(s);
  }
  Decision decision = Classify(req.subject, req.text);
  if (structured) {
    // A structured request names its topic.
    decision.scope = "in";
    decision.topic = std::string(TopicOfRequest(structured->kind));
    decision.classification = {"rule", "structured request " + structured->kind, std::nullopt,
                               false};
  }
  auto created = db_.InTransaction<Ticket>([&](store::Transaction& tx) -> Result<Ticket> {
    NewTicket n;
    n.subject = req.subject;
    n.requester_email = Lower(who.user.email);
    n.requester_name = who.user.name;
    n.request = structured;
    n.scope = decision.scope;
    n.topic = decision.topic;
    n.classification = decision.classification;
    if (!IsStaff(who)) {
      n.organization_id = who.user.organization_id;
      PC_ASSIGN_OR_RETURN(auto ready_alias, ReadyAliasOfOrganization(tx, who.user.organization_id));
      if (!ready_alias) {
        n.scope = "not-customer";
        n.classification.reason =
            "the organization has no Azure customer account (ready "
            "provider) of the platform; " +
            n.classification.reason;
      }
      if (req.billing_alias) {
        PC_ASSIGN_OR_RETURN(auto owner,
                            tx.Query("SELECT organization_id FROM billing_aliases WHERE alias = ?",
                                     {*req.billing_alias}));
        if (owner.empty() || owner[0].Text(0) != who.user.organization_id) {
          return InvalidArgument("billingAlias '" + *req.billing_alias +
                                 "' is not one of your organization's billing aliases");
        }
        n.billing_alias = req.billing_alias;
      } else {
        n.billing_alias = ready_alias;
      }
    } else if (req.billing_alias) {
      PC_ASSIGN_OR_RETURN(auto owner,
                          tx.Query("SELECT organization_id FROM billing_aliases WHERE alias = ?",
                                   {*req.billing_alias}));
      if (owner.empty()) {
        return InvalidArgument("billingAlias '" + *req.billing_alias + "' is not known");
      }
      n.billing_alias = req.billing_alias;
      n.organization_id = owner[0].Text(0);
    }
    if (structured && n.scope == "not-customer") {
      return FailedPrecondition(
          "Structured requests are for organizations with an Azure customer account of the "
          "platform");
    }
    SetDueTimes(n, Now(), options_);
    PC_ASSIGN_OR_RETURN(auto t, support::CreateTicket(tx, n));
    NewMessage first{.kind = "in",
                     .from = t.requester_email,
                     .text = req.text,
                     .message_id = NewMessageId(t.number)};
    PC_RETURN_IF_ERROR(AppendMessage(tx, t.id, first));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(tx, who, t.organization_id,
                                                        "support.ticket.create", "ticket", t.id,
                                                        {{"scope", t.scope}, {"topic", t.topic}}));
    std::string tpl = AnswerTemplateFor(t);
    if (!tpl.empty()) {
      PC_ASSIGN_OR_RETURN(auto answer, RenderTemplate(tx, tpl, t));
      PC_ASSIGN_OR_RETURN(
          auto slot, TakeAutoReplySlot(tx, t.requester_email, options_.max_auto_replies_per_hour));
      NewMessage out{.kind = "out",
                     .from = options_.address,
                     .text = answer.text,
                     .message_id = NewMessageId(t.number),
                     .auto_reply = true};
      PC_ASSIGN_OR_RETURN(auto msg, AppendMessage(tx, t.id, out));
      if (slot) {
        PC_RETURN_IF_ERROR(QueueEmail(tx, t, msg, answer.subject, options_.address, true));
      }
    }
    return support::LoadTicket(tx, t.id, true, IsStaff(who));
  });
  return created;
}

Result<Message> SupportService::AddMessage(const Principal& who, std::string_view id,
                                           std::string_view text, bool internal) {
  PC_RETURN_IF_ERROR(CheckMultilineText("text", text, kMaxText));
  if (text.empty()) return InvalidArgument("Field 'text' must not be empty");
  bool staff = IsStaff(who);
  if (internal && !staff) {
    return PermissionDenied("Only support staff may add internal notes");
  }
  return db_.InTransaction<Message>([&](store::Transaction& tx) -> Result<Message> {
    PC_ASSIGN_OR_RETURN(auto t, Visible(tx, who, id, false));
    if (t.status == "closed" && !staff) {
      return FailedPrecondition("Ticket " + t.id + " is closed; please open a new request");
    }
    NewMessage m;
    m.kind = internal ? "note" : (staff ? "out" : "in");
    m.from = staff && !internal ? options_.address + " (" + Actor(who) + ")" : Actor(who);
    m.text = std::string(text);
    if (!internal) m.message_id = NewMessageId(t.number);
    PC_ASSIGN_OR_RETURN(auto msg, AppendMessage(tx, t.id, m));
    if (staff && !internal) {
      PC_RETURN_IF_ERROR(UpdateTicket(tx, t.id, {.first_response_at = msg.at}));
      if (t.status == "new") PC_RETURN_IF_ERROR(ChangeStatus(tx, t.id, "open", Actor(who)));
      PC_RETURN_IF_ERROR(QueueEmail(tx, t, msg, t.subject, options_.address, false));
    } else if (!staff && (t.status == "waiting-on-customer" || t.status == "resolved")) {
      PC_RETURN_IF_ERROR(ChangeStatus(tx, t.id, "open", Actor(who)));
    }
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, t.organization_id, internal ? "support.ticket.note" : "support.ticket.message",
        "ticket", t.id));
    return msg;
  });
}

Result<Ticket> SupportService::PatchTicket(const Principal& who, std::string_view id,
                                           const TicketPatch& patch) {
  if (!IsStaff(who)) return PermissionDenied("Only support staff may change a ticket");
  if (patch.status && !IsStatus(*patch.status)) {
    return InvalidArgument(
        "status must be one of new, open, waiting-on-customer, escalated, resolved, closed");
  }
  if (patch.scope && !IsScope(*patch.scope)) {
    return InvalidArgument("scope must be in, out or not-customer");
  }
  if (patch.topic && FindTopic(*patch.topic) == nullptr) {
    return InvalidArgument("Unknown topic '" + *patch.topic + "'; see GET /api/v1/support/topics");
  }
  if (patch.assignee && !patch.assignee->empty()) {
    PC_RETURN_IF_ERROR(CheckLineText("assignee", *patch.assignee, 320));
  }
  bool retrain = false;
  auto updated = db_.InTransaction<Ticket>([&](store::Transaction& tx) -> Result<Ticket> {
    PC_ASSIGN_OR_RETURN(auto t, Visible(tx, who, id, true));
    if (patch.assignee && !patch.assignee->empty()) {
      PC_ASSIGN_OR_RETURN(auto staff_user,
                          tx.Query("SELECT role FROM users WHERE email = ? AND disabled = 0",
                                   {Lower(*patch.assignee)}));
      if (staff_user.empty() ||
          (staff_user[0].Text(0) != "support_agent" && staff_user[0].Text(0) != "operator")) {
        return InvalidArgument("assignee must be the email of a support agent or operator");
      }
    }
    TicketChanges c;
    if (patch.assignee) c.assignee = patch.assignee->empty() ? "" : Lower(*patch.assignee);
    bool reclassified =
        (patch.topic && *patch.topic != t.topic) || (patch.scope && *patch.scope != t.scope);
    if (reclassified) {
      c.topic = patch.topic.value_or(t.topic);
      c.scope = patch.scope.value_or(t.scope);
      c.classification =
          Classification{"agent",
                         Actor(who) + " set " + *c.scope + "/" + *c.topic + " (was " + t.scope +
                             "/" + t.topic + ", by " + t.classification.by + ")",
                         std::nullopt, false};
      // The correction trains the model: the customer's text with the agent's topic.
      std::string text = t.subject;
      for (const auto& m : t.messages) {
        if (m.kind == "in") {
          text += "\n" + m.text;
          break;
        }
      }
      if (*c.scope != "not-customer") {
        PC_RETURN_IF_ERROR(tx.Execute(
            "INSERT INTO support_training (id, ticket_id, text, scope, topic, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            {Uuid::V7().ToString(), t.id, text, *c.scope, *c.topic, FormatTimestamp(Now()),
             Actor(who)}));
        retrain = true;
      }
      NewMessage event{
          .kind = "event", .from = Actor(who), .text = "Reclassified: " + c.classification->reason};
      PC_RETURN_IF_ERROR(AppendMessage(tx, t.id, event));
    }
    PC_RETURN_IF_ERROR(UpdateTicket(tx, t.id, c));
    if (patch.status) PC_RETURN_IF_ERROR(ChangeStatus(tx, t.id, *patch.status, Actor(who)));
    json::object detail;
    if (patch.status) detail["status"] = *patch.status;
    if (patch.assignee) detail["assignee"] = *patch.assignee;
    if (patch.topic) detail["topic"] = *patch.topic;
    if (patch.scope) detail["scope"] = *patch.scope;
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, t.organization_id, "support.ticket.update", "ticket", t.id, detail));
    return support::LoadTicket(tx, t.id, true, true);
  });
  if (updated.ok() && retrain) {
    if (Status s = ReloadClassifier(); !s.ok()) {
      spdlog::warn("support: retraining failed: {}", s.error().message);
    }
  }
  return updated;
}

Result<Ticket> SupportService::EscalateTicket(const Principal& who, std::string_view id,
                                              std::string_view note) {
  if (!IsStaff(who)) return PermissionDenied("Only support staff may escalate a ticket");
  PC_RETURN_IF_ERROR(CheckMultilineText("note", note, kMaxText));
  PC_ASSIGN_OR_RETURN(auto t, db_.InTransaction<Ticket>([&](store::Transaction& tx) {
    return Visible(tx, who, id, true);
  }));
  if (t.scope != "in") {
    return FailedPrecondition("Only in-scope tickets are escalated to Microsoft; " + t.id + " is " +
                              t.scope);
  }
  if (t.escalation) {
    return FailedPrecondition(t.id + " is already escalated (service request " +
                              t.escalation->service_request_id + ")");
  }
  PC_ASSIGN_OR_RETURN(auto outcome, Escalate(actions_, who, t, note));
  return db_.InTransaction<Ticket>([&](store::Transaction& tx) -> Result<Ticket> {
    PC_RETURN_IF_ERROR(SetEscalation(tx, t.id, outcome.service_request_id, outcome.status));
    PC_RETURN_IF_ERROR(ChangeStatus(tx, t.id, "escalated", Actor(who)));
    NewMessage event{.kind = "event",
                     .from = Actor(who),
                     .text = "Escalated to Microsoft: service request " +
                             outcome.service_request_id +
                             (note.empty() ? "" : "\n" + std::string(note))};
    PC_RETURN_IF_ERROR(AppendMessage(tx, t.id, event));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, t.organization_id, "support.ticket.escalate", "ticket", t.id,
        {{"serviceRequestId", outcome.service_request_id}}));
    return support::LoadTicket(tx, t.id, true, true);
  });
}

Result<Ticket> SupportService::ApproveRequest(const Principal& who, std::string_view id) {
  if (!IsOperator(who)) return PermissionDenied("Only operators approve structured requests");
  PC_ASSIGN_OR_RETURN(
      auto t, db_.InTransaction<Ticket>([&](store::Transaction& tx) -> Result<Ticket> {
        PC_ASSIGN_OR_RETURN(auto t, Visible(tx, who, id, false));
        if (!t.request) return FailedPrecondition(t.id + " carries no structured request");
        if (t.request->state != "pending-approval") {
          return FailedPrecondition("The request of " + t.id + " is " + t.request->state +
                                    ", not pending-approval");
        }
        PC_RETURN_IF_ERROR(SetRequestState(tx, t.id, "approved", Actor(who), std::nullopt));
        NewMessage event{.kind = "event",
                         .from = Actor(who),
                         .text = "Request approved (" + t.request->kind + ")"};
        PC_RETURN_IF_ERROR(AppendMessage(tx, t.id, event));
        PC_RETURN_IF_ERROR(identity::IdentityService::Audit(tx, who, t.organization_id,
                                                            "support.request.approve", "ticket",
                                                            t.id, {{"kind", t.request->kind}}));
        return support::LoadTicket(tx, t.id, false);
      }));
  auto outcome = RunApprovedRequest(actions_, who, t);
  return db_.InTransaction<Ticket>([&](store::Transaction& tx) -> Result<Ticket> {
    if (outcome.ok()) {
      PC_RETURN_IF_ERROR(SetRequestState(tx, t.id, outcome->state, std::nullopt, outcome->result));
    } else {
      NewMessage event{
          .kind = "event",
          .from = "platform",
          .text = "The platform could not carry out the request yet: " + outcome.error().message};
      PC_RETURN_IF_ERROR(AppendMessage(tx, t.id, event));
    }
    return support::LoadTicket(tx, t.id, true, true);
  });
}

Result<Ticket> SupportService::RejectRequest(const Principal& who, std::string_view id,
                                             std::string_view reason) {
  if (!IsOperator(who)) return PermissionDenied("Only operators reject structured requests");
  PC_RETURN_IF_ERROR(CheckMultilineText("reason", reason, 4000));
  if (reason.empty()) return InvalidArgument("Field 'reason' must not be empty");
  return db_.InTransaction<Ticket>([&](store::Transaction& tx) -> Result<Ticket> {
    PC_ASSIGN_OR_RETURN(auto t, Visible(tx, who, id, false));
    if (!t.request) return FailedPrecondition(t.id + " carries no structured request");
    if (t.request->state != "pending-approval") {
      return FailedPrecondition("The request of " + t.id + " is " + t.request->state +
                                ", not pending-approval");
    }
    PC_RETURN_IF_ERROR(SetRequestState(tx, t.id, "rejected", Actor(who),
                                       json::object{{"reason", std::string(reason)}}));
    NewMessage out{.kind = "out",
                   .from = options_.address + " (" + Actor(who) + ")",
                   .text = "Your request was not approved: " + std::string(reason),
                   .message_id = NewMessageId(t.number)};
    PC_ASSIGN_OR_RETURN(auto msg, AppendMessage(tx, t.id, out));
    PC_RETURN_IF_ERROR(UpdateTicket(tx, t.id, {.first_response_at = msg.at}));
    PC_RETURN_IF_ERROR(QueueEmail(tx, t, msg, t.subject, options_.address, false));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(tx, who, t.organization_id,
                                                        "support.request.reject", "ticket", t.id,
                                                        {{"reason", std::string(reason)}}));
    return support::LoadTicket(tx, t.id, true, true);
  });
}

Result<AttachmentContent> SupportService::GetAttachment(const Principal& who, std::string_view id) {
  return db_.InTransaction<AttachmentContent>(
      [&](store::Transaction& tx) -> Result<AttachmentContent> {
        PC_ASSIGN_OR_RETURN(auto a, LoadAttachment(tx, id));
        auto visible = Visible(tx, who, a.ticket_id, false);
        if (!visible.ok() || (a.message_kind == "note" && !IsStaff(who))) {
          return NotFound("No attachment " + std::string(id));
        }
        return a;
      });
}

Result<json::value> SupportService::GetRules(const Principal& who) {
  if (!IsOperator(who)) return PermissionDenied("Only operators read and edit the rules");
  return db_.InTransaction<json::value>(
      [](store::Transaction& tx) { return LoadRulesDocument(tx); });
}

Result<json::value> SupportService::PutRules(const Principal& who, const json::value& rules) {
  if (!IsOperator(who)) return PermissionDenied("Only operators read and edit the rules");
  PC_RETURN_IF_ERROR(ParseRules(rules));
  PC_RETURN_IF_ERROR(db_.InTransaction([&](store::Transaction& tx) -> Status {
    std::string now = FormatTimestamp(Now());
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO support_settings (key, value, updated_at, updated_by) VALUES ('rules', ?, ?, "
        "?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = "
        "excluded.updated_at, updated_by = excluded.updated_by",
        {pc::ToJson(rules), now, Actor(who)}));
    return identity::IdentityService::Audit(tx, who, std::nullopt, "support.rules.update",
                                            "support_rules", "rules");
  }));
  PC_RETURN_IF_ERROR(ReloadClassifier());
  return rules;
}

Result<json::value> SupportService::GetTemplates(const Principal& who) {
  if (!IsOperator(who)) return PermissionDenied("Only operators read and edit the templates");
  return db_.InTransaction<json::value>(
      [](store::Transaction& tx) { return LoadTemplatesDocument(tx); });
}

Result<json::value> SupportService::PutTemplates(const Principal& who,
                                                 const json::value& templates) {
  if (!IsOperator(who)) return PermissionDenied("Only operators read and edit the templates");
  PC_RETURN_IF_ERROR(CheckTemplates(templates));
  PC_RETURN_IF_ERROR(db_.InTransaction([&](store::Transaction& tx) -> Status {
    std::string now = FormatTimestamp(Now());
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO support_settings (key, value, updated_at, updated_by) VALUES ('templates', "
        "?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = "
        "excluded.updated_at, updated_by = excluded.updated_by",
        {pc::ToJson(templates), now, Actor(who)}));
    return identity::IdentityService::Audit(tx, who, std::nullopt, "support.templates.update",
                                            "support_templates", "templates");
  }));
  return templates;
}

Result<std::vector<QuarantineItem>> SupportService::ListQuarantine(const Principal& who) {
  if (!IsStaff(who)) return PermissionDenied("Only support staff see quarantined mail");
  return db_.InTransaction<std::vector<QuarantineItem>>(
      [](store::Transaction& tx) -> Result<std::vector<QuarantineItem>> {
        PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, received_at, size, reason, state FROM "
                                                "support_raw_messages WHERE state = "
                                                "'quarantined' ORDER BY received_at DESC"));
        std::vector<QuarantineItem> out;
        for (const auto& r : rows) {
          out.push_back({r.Text("id"), r.Text("received_at"), r.Int("size"), r.Text("reason"),
                         r.Text("state")});
        }
        return out;
      });
}

Result<std::string> SupportService::ReplayQuarantined(const Principal& who, std::string_view id) {
  if (!IsOperator(who)) return PermissionDenied("Only operators replay quarantined mail");
  PC_ASSIGN_OR_RETURN(auto result, ReplayMail(*this, id));
  PC_RETURN_IF_ERROR(db_.InTransaction([&](store::Transaction& tx) {
    return identity::IdentityService::Audit(tx, who, std::nullopt, "support.mail.replay",
                                            "support_raw_message", std::string(id),
                                            {{"ticketId", result.ticket_id.value_or("")}});
  }));
  return result.ticket_id.value_or("");
}

std::string SupportService::RenderMetrics() {
  auto counts = db_.InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query(
        "SELECT 'raw' AS k, state AS s, COUNT(*) AS n FROM support_raw_messages GROUP BY state "
        "UNION ALL SELECT 'ticket', status, COUNT(*) FROM support_tickets GROUP BY status");
  });
  std::string out;
  if (!counts.ok()) return out;
  out += "# HELP partnercloud_support_mail_messages Mail messages received, by state.\n";
  out += "# TYPE partnercloud_support_mail_messages gauge\n";
  int64_t quarantined = 0;
  for (const auto& r : *counts) {
    if (r.Text(0) != "raw") continue;
    out += "partnercloud_support_mail_messages{state=\"" + r.Text(1) + "\"} " +
           std::to_string(r.Int(2)) + "\n";
    if (r.Text(1) == "quarantined") quarantined = r.Int(2);
  }
  out += "# HELP partnercloud_support_quarantined Mail messages quarantined and not replayed.\n";
  out += "# TYPE partnercloud_support_quarantined gauge\n";
  out += "partnercloud_support_quarantined " + std::to_string(quarantined) + "\n";
  out += "# HELP partnercloud_support_tickets Tickets by status.\n";
  out += "# TYPE partnercloud_support_tickets gauge\n";
  for (const auto& r : *counts) {
    if (r.Text(0) != "ticket") continue;
    out += "partnercloud_support_tickets{status=\"" + r.Text(1) + "\"} " +
           std::to_string(r.Int(2)) + "\n";
  }
  TicketFilter open;
  open.breached_only = true;
  open.limit = 1000000;
  auto breached = db_.InTransaction<std::vector<Ticket>>(
      [&](store::Transaction& tx) { return support::ListTickets(tx, open); });
  out += "# HELP partnercloud_support_sla_breached Tickets that missed a service-level target.\n";
  out += "# TYPE partnercloud_support_sla_breached gauge\n";
  out += "partnercloud_support_sla_breached " +
         std::to_string(breached.ok() ? breached->size() : 0) + "\n";
  return out;
}

}  // namespace pc::support
