#include "support/escalation.h"

#include "core/time.h"

namespace pc::support {

namespace {

using jobs::Job;
using jobs::StepResult;

template <class T>
Status StatusOf(const Result<T>& r) {
  return r.ok() ? Status() : Status(r.error());
}

// A message of the conversation (NewMessage has no defaults for its optional fields).
NewMessage Msg(std::string kind, std::string from, std::string text,
               std::optional<std::string> message_id = std::nullopt) {
  NewMessage m;
  m.kind = std::move(kind);
  m.from = std::move(from);
  m.text = std::move(text);
  m.message_id = std::move(message_id);
  return m;
}

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int64_t Int(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence.
std::string Cut(std::string s, size_t n) {
  if (s.size() <= n) return s;
  size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

class EscalationJob {
 public:
  EscalationJob(store::Database& db, std::shared_ptr<const SupportFlows> flows)
      : db_(db), flows_(std::move(flows)) {}

  // One poll: reads the service request and leaves what is new in job.data["pending"]; the
  // observer writes it to the ticket in the runner's transaction.
  StepResult Run(Job& job) {
    std::string sr_id = Str(job.data, "serviceRequestId");
    job.data.erase("pending");
    auto r = flows_->partner_center.GetServiceRequest(
        sr_id, {"", connectors::NameBasedId("escalation:" + Str(job.data, "ticket"))});
    job.data["polls"] = Int(job.data, "polls") + 1;
    if (!r.ok()) return StepResult::Retry(r.error().message, r.error().retry_after);
    if (!r->ok()) {
      std::string message = "Reading service request " + sr_id + ": Partner Center answered " +
                            std::to_string(r->fault->status) + ": " + r->fault->message;
      if (r->fault->status == 429 || r->fault->status >= 500 || r->fault->status == 404) {
        return StepResult::Retry(message, r->fault->retry_after);
      }
      return StepResult::Fail(message);
    }
    if (!r->body.is_object()) return StepResult::Retry("Partner Center answered no object");
    const auto& sr = r->body.as_object();
    std::string status = Str(sr, "status");
    json::object pending;
    if (!status.empty() && status != Str(job.data, "status")) {
      pending["status"] = status;
      pending["previousStatus"] = Str(job.data, "status");
      job.data["status"] = status;
    }
    json::array notes;
    int64_t seen = Int(job.data, "notesSeen");
    if (const auto* n = sr.if_contains("notes"); n && n->is_array()) {
      const auto& all = n->as_array();
      for (size_t i = static_cast<size_t>(seen); i < all.size(); ++i) {
        if (all[i].is_object()) notes.push_back(all[i]);
      }
      job.data["notesSeen"] = static_cast<int64_t>(all.size());
    }
    if (!notes.empty()) pending["notes"] = std::move(notes);
    if (!pending.empty()) job.data["pending"] = std::move(pending);
    if (status == "closed") return StepResult::Done();
    return StepResult::Wait(flows_->escalation_poll, "following service request " + sr_id);
  }

  static Status Observe(store::Transaction& tx, const Job& job, const StepResult& r) {
    std::string ticket = Str(job.data, "ticket");
    std::string sr_id = Str(job.data, "serviceRequestId");
    if (r.kind == StepResult::Kind::kFail) {
      NewMessage event =
          Msg("note", "platform",
              "Following Microsoft service request " + sr_id + " stopped: " + r.message);
      return StatusOf(AppendMessage(tx, ticket, event));
    }
    const auto* p = job.data.if_contains("pending");
    if (!p || !p->is_object()) return Status();
    const auto& pending = p->as_object();
    if (const auto* n = pending.if_contains("notes"); n && n->is_array()) {
      for (const auto& note : n->as_array()) {
        const auto& o = note.as_object();
        std::string by = Str(o, "createdByName");
        NewMessage m = Msg("note", "Microsoft" + (by.empty() ? std::string() : " (" + by + ")"),
                           "Microsoft, on service request " + sr_id + ":\n" + Str(o, "text"));
        PC_RETURN_IF_ERROR(AppendMessage(tx, ticket, m));
      }
    }
    std::string status = Str(pending, "status");
    if (!status.empty()) {
      PC_RETURN_IF_ERROR(SetEscalation(tx, ticket, sr_id, status));
      std::string before = Str(pending, "previousStatus");
      NewMessage event = Msg("event", "Microsoft",
                             "Microsoft service request " + sr_id + ": " +
                                 (before.empty() ? status : before + " → " + status) +
                                 (status == "closed" ? " (Microsoft closed the case)" : ""));
      PC_RETURN_IF_ERROR(AppendMessage(tx, ticket, event));
    }
    return Status();
  }

 private:
  store::Database& db_;
  std::shared_ptr<const SupportFlows> flows_;
};

}  // namespace

std::string ServiceRequestDescription(const Ticket& ticket, std::string_view note, size_t limit) {
  std::string out = "Ticket #" + std::to_string(ticket.number) + " from " + ticket.requester_email +
                    (ticket.organization_name ? " (" + *ticket.organization_name + ")" : "") +
                    (ticket.billing_alias ? ", billing alias " + *ticket.billing_alias : "") +
                    "\nSubject: " + ticket.subject + "\n";
  if (!note.empty()) out += "\nNote from the partner's support: " + std::string(note) + "\n";
  for (const auto& m : ticket.messages) {
    if (m.kind != "in" && m.kind != "out") continue;
    out += "\n--- " + m.from + ", " + m.at + "\n" + m.text + "\n";
  }
  return Cut(std::move(out), limit);
}

Result<EscalationOutcome> Escalate(ActionContext& ctx, const identity::Principal&,
                                   const Ticket& ticket, std::string_view note) {
  if (!ctx.flows) {
    return Unavailable("Escalation to Microsoft is " + std::string(kNotAvailableYet) +
                       " in this process (no Partner Center client)");
  }
  // The conversation as sent (the caller may have loaded the ticket without messages).
  Ticket full = ticket;
  if (full.messages.empty()) {
    auto loaded = ctx.db.InTransaction<Ticket>(
        [&](store::Transaction& tx) { return LoadTicket(tx, ticket.id, true, false); });
    if (loaded.ok()) full = std::move(*loaded);
  }
  connectors::NewServiceRequest request;
  request.title = Cut("[#" + std::to_string(ticket.number) + "] " + ticket.subject, 250);
  request.description = ServiceRequestDescription(full, note);
  request.severity = "minimal";
  if (ticket.billing_alias) {
    auto customer =
        ctx.db.InTransaction<std::string>([&](store::Transaction& tx) -> Result<std::string> {
          PC_ASSIGN_OR_RETURN(
              auto rows, tx.Query("SELECT customer_id FROM billing_aliases WHERE alias = ? "
                                  "AND organization_id = ?",
                                  {*ticket.billing_alias, ticket.organization_id.value_or("")}));
          return rows.empty() ? std::string() : rows[0].Text(0);
        });
    if (customer.ok()) request.customer_id = *customer;
  }
  connectors::PcCall call{connectors::NameBasedId("escalation:" + ticket.id),
                          connectors::NameBasedId("escalation:" + ticket.id)};
  PC_ASSIGN_OR_RETURN(auto created, ctx.flows->partner_center.CreateServiceRequest(
                                        ctx.flows->agent_locale, request, call));
  if (!created.ok()) {
    std::string message =
        "Partner Center refused the service request: " + std::to_string(created.fault->status) +
        " " + created.fault->message;
    if (created.fault->status == 429 || created.fault->status >= 500) {
      return connectors::FaultError("Creating the service request", *created.fault);
    }
    return FailedPrecondition(message);
  }
  const auto* body = created.body.is_object() ? &created.body.as_object() : nullptr;
  EscalationOutcome out;
  if (body) {
    out.service_request_id = Str(*body, "id");
    out.status = Str(*body, "status");
  }
  if (out.service_request_id.empty()) return Unavailable("Partner Center answered without an id");
  if (out.status.empty()) out.status = "open";
  std::string job_id = connectors::NameBasedId("escalation-job:" + ticket.id);
  PC_RETURN_IF_ERROR(ctx.db.InTransaction([&](store::Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto existing, jobs::JobRunner::Load(tx, job_id));
    if (existing) return Status();
    return StatusOf(
        jobs::JobRunner::Enqueue(tx, kEscalationJobKind, "poll",
                                 json::object{{"ticket", ticket.id},
                                              {"serviceRequestId", out.service_request_id},
                                              {"status", out.status},
                                              {"notesSeen", 0}},
                                 job_id));
  }));
  if (ctx.on_work_queued) ctx.on_work_queued();
  return out;
}

void RegisterEscalationJob(jobs::JobRunner& runner, store::Database& db,
                           std::shared_ptr<const SupportFlows> flows) {
  auto job = std::make_shared<EscalationJob>(db, std::move(flows));
  runner.Register(
      std::string(kEscalationJobKind), [job](Job& j) { return job->Run(j); },
      &EscalationJob::Observe);
}

}  // namespace pc::support
