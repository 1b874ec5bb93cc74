#include "support/request_actions.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "billing/charges.h"
#include "core/random.h"
#include "core/time.h"
#include "governance/governance.h"
#include "support/escalation.h"
#include "support/outbound.h"

namespace pc::support {

namespace {

using jobs::Job;
using jobs::StepResult;

template <class T>
Status StatusOf(const Result<T>& r) {
  return r.ok() ? Status() : Status(r.error());
}

TicketChanges FirstResponse(std::string at) {
  TicketChanges c;
  c.first_response_at = std::move(at);
  return c;
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

// How long the first step waits for the approval route to record "running" before it goes on
// anyway (the route's second transaction; a crash between leaves "approved").
constexpr std::chrono::seconds kRecordedWait{30};
constexpr std::chrono::milliseconds kRecordedPoll{200};

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The alias a request is about, as onboarding recorded it.
struct AliasInfo {
  std::string alias;
  std::string organization_id;
  std::string customer_id;    // tenant
  std::string tenant_domain;  // <prefix>.onmicrosoft.com
  std::string plan_subscription_id;
  std::string azure_subscription_id;  // the first provider's (the platform's role is there)
};

Result<AliasInfo> LoadAlias(store::Transaction& tx, const Ticket& t) {
  if (!t.billing_alias || t.billing_alias->empty()) {
    return FailedPrecondition("The request names no billing alias; ask the customer which one");
  }
  PC_ASSIGN_OR_RETURN(
      auto rows,
      tx.Query("SELECT organization_id, customer_id, tenant_domain, plan_subscription_id "
               "FROM billing_aliases WHERE alias = ?",
               {*t.billing_alias}));
  if (rows.empty()) {
    return FailedPrecondition("The billing alias " + *t.billing_alias +
                              " has no Azure account on the platform");
  }
  AliasInfo a;
  a.alias = *t.billing_alias;
  a.organization_id = rows[0].Text(0);
  a.customer_id = rows[0].Text(1);
  a.tenant_domain = rows[0].Text(2);
  a.plan_subscription_id = rows[0].Text(3);
  // Never act on another organization's account, whatever the ticket says.
  if (!t.organization_id || *t.organization_id != a.organization_id) {
    return PermissionDenied("The billing alias " + a.alias +
                            " does not belong to the requester's organization");
  }
  if (a.customer_id.empty()) {
    return FailedPrecondition("The Azure account of " + a.alias + " is not created yet");
  }
  PC_ASSIGN_OR_RETURN(auto subs, tx.Query("SELECT azure_subscription_id FROM providers "
                                          "WHERE billing_alias = ? AND deleted_at IS NULL AND "
                                          "azure_subscription_id IS NOT NULL ORDER BY created_at",
                                          {a.alias}));
  if (!subs.empty()) a.azure_subscription_id = subs[0].Text(0);
  return a;
}

// A write: the same MS-RequestId on every retry, so Partner Center acts once.
connectors::PcCall CallFor(const Job& job, std::string_view what) {
  return {connectors::NameBasedId("support-request:" + job.id + ":" + std::string(what)),
          connectors::NameBasedId("support-request:" + job.id)};
}

// A read: a new MS-RequestId each time (a repeated one is answered from the replay cache).
connectors::PcCall ReadFor(const Job& job) {
  return {"", connectors::NameBasedId("support-request:" + job.id)};
}

StepResult FromFault(std::string_view what, const connectors::PcFault& f) {
  std::string message = std::string(what) + ": Partner Center answered " +
                        std::to_string(f.status) +
                        (f.code ? " (code " + std::to_string(f.code) + ")" : "") + ": " + f.message;
  if (f.status == 429 || f.status >= 500) return StepResult::Retry(message, f.retry_after);
  return StepResult::Fail(message);
}

StepResult FromArm(std::string_view what, const connectors::ArmResult& r) {
  std::string message = std::string(what) + ": Azure Resource Manager answered " +
                        std::to_string(r.status) +
                        (r.error_code.empty() ? "" : " " + r.error_code) + ": " + r.message;
  if (r.status == 429 || r.status >= 500) return StepResult::Retry(message, r.retry_after);
  // A user Graph just created can take a moment to be visible to ARM.
  if (r.status == 400 && r.error_code == "PrincipalNotFound") {
    return StepResult::Retry(message, std::chrono::seconds(5));
  }
  return StepResult::Fail(message);
}

StepResult RetryOn(const Error& e) { return StepResult::Retry(e.message, e.retry_after); }

// A step that can only fail for a person to fix (no alias, wrong organization) or retry.
StepResult FromError(const Error& e) {
  if (e.code == ErrorCode::kUnavailable) return RetryOn(e);
  return StepResult::Fail(e.message);
}

// The user name part of a sign-in: the email's local part, as Entra allows (letters, digits,
// '.', '-', '_'), never starting or ending with '.'.
std::string MailNickname(const std::string& email, const std::string& fallback) {
  std::string local = Lower(email.substr(0, email.find('@')));
  std::string out;
  for (char c : local) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') out += c;
  }
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  while (!out.empty() && out.back() == '.') out.pop_back();
  if (out.empty()) out = fallback;
  return out.substr(0, 64);
}

struct PortalUserRow {
  std::string upn, display_name, password_sealed, object_id;
};

Result<std::vector<PortalUserRow>> LoadPortalUsers(store::Transaction& tx,
                                                   const std::string& ticket_id) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT user_principal_name, display_name, password_sealed, "
                               "user_object_id FROM support_portal_credentials WHERE ticket_id = ? "
                               "ORDER BY position",
                               {ticket_id}));
  std::vector<PortalUserRow> out;
  for (const auto& r : rows) out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3)});
  return out;
}

class RequestJob {
 public:
  RequestJob(store::Database& db, std::shared_ptr<const SupportFlows> flows)
      : db_(db), flows_(std::move(flows)) {}

  StepResult Run(Job& job) {
    std::string ticket_id = Str(job.data, "ticket");
    auto loaded = db_.InTransaction<Ticket>(
        [&](store::Transaction& tx) { return LoadTicket(tx, ticket_id, false); });
    if (!loaded.ok()) return FromError(loaded.error());
    Ticket& t = *loaded;
    if (!t.request) return StepResult::Fail(t.id + " carries no structured request");
    const std::string& kind = t.request->kind;
    if (job.step == "start") return Start(job, t);
    if (kind == "portal-users") {
      if (job.step == "passwords") return Passwords(job, t);
      if (job.step == "users") return Users(job, t);
      if (job.step == "roles") return Roles(job, t);
      if (job.step == "finish") return FinishPortalUsers(job, t);
    } else if (kind == "close-account") {
      if (job.step == "cancel") return Cancel(job, t);
      if (job.step == "suspend") return Suspend(job, t);
      if (job.step == "close") return Close(job, t);
      if (job.step == "finish") return FinishClose(job, t);
    } else if (kind == "billing-report") {
      if (job.step == "report") return Report(job, t);
    } else if (kind == "permit-service") {
      if (job.step == "permit") return Permit(job, t);
    }
    return StepResult::Fail("No step " + job.step + " for a " + kind + " request");
  }

  // A failed job fails the request, with the reason on the ticket (in the runner's
  // transaction, so it is recorded exactly once).
  static Status Observe(store::Transaction& tx, const Job& job, const StepResult& r) {
    if (r.kind != StepResult::Kind::kFail) return Status();
    std::string ticket_id = Str(job.data, "ticket");
    PC_RETURN_IF_ERROR(SetRequestState(tx, ticket_id, "failed", std::nullopt,
                                       json::object{{"message", r.message}}));
    NewMessage event = Msg("event", "platform",
                           "The platform could not carry out the request: " + r.message +
                               " An operator will look at it.");
    return StatusOf(AppendMessage(tx, ticket_id, event));
  }

 private:
  StepResult Start(Job& job, const Ticket& t) {
    if (t.request->state == "approved") {
      std::string key = "approvedSeenAt";
      if (!job.data.contains(key)) job.data[key] = FormatTimestamp(Now());
      auto since = ParseTimestamp(Str(job.data, key));
      if (since.ok() && Now() - *since < kRecordedWait) {
        return StepResult::Wait(kRecordedPoll, "waiting for the approval to be recorded");
      }
    }
    if (t.request->state == "done" || t.request->state == "failed" ||
        t.request->state == "rejected") {
      return StepResult::Done();
    }
    auto alias =
        db_.InTransaction<AliasInfo>([&](store::Transaction& tx) { return LoadAlias(tx, t); });
    if (!alias.ok()) return FromError(alias.error());
    const std::string& kind = t.request->kind;
    if (kind == "portal-users") {
      if (alias->azure_subscription_id.empty()) {
        return StepResult::Fail("The Azure account of " + alias->alias +
                                " has no Azure subscription to give the users a role on");
      }
      return StepResult::Next("passwords");
    }
    if (kind == "close-account") return StepResult::Next("cancel");
    if (kind == "billing-report") return StepResult::Next("report");
    if (kind == "permit-service") return StepResult::Next("permit");
    return StepResult::Fail("Unknown request kind " + kind);
  }

  // --- portal-users

  // Sign-in names and sealed temporary passwords, recorded before any upstream call so that a
  // retry creates the same users with the same passwords.
  StepResult Passwords(Job&, const Ticket& t) {
    const auto* users = t.request->details.if_contains("users");
    if (!users || !users->is_array() || users->as_array().empty()) {
      return StepResult::Fail("The request lists no users");
    }
    Status s = db_.InTransaction([&](store::Transaction& tx) -> Status {
      PC_ASSIGN_OR_RETURN(auto alias, LoadAlias(tx, t));
      std::set<std::string> taken;
      int64_t position = 0;
      for (const auto& u : users->as_array()) {
        if (!u.is_object()) continue;
        const auto& o = u.as_object();
        std::string first = Str(o, "firstName"), last = Str(o, "lastName");
        std::string nickname = MailNickname(Str(o, "email"), "user" + std::to_string(position + 1));
        std::string base = nickname;
        for (int n = 2; taken.contains(nickname); ++n) nickname = base + std::to_string(n);
        taken.insert(nickname);
        std::string display = first + (first.empty() || last.empty() ? "" : " ") + last;
        if (display.empty()) display = nickname;
        PC_RETURN_IF_ERROR(tx.Execute(
            "INSERT INTO support_portal_credentials (ticket_id, position, "
            "user_principal_name, display_name, email, password_sealed, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            {t.id, position, nickname + "@" + alias.tenant_domain, display, Str(o, "email"),
             flows_->secrets.Seal(TemporaryPassword()), FormatTimestamp(Now())}));
        ++position;
      }
      return Status();
    });
    if (!s.ok()) return FromError(s.error());
    return StepResult::Next("users");
  }

  StepResult Users(Job&, const Ticket& t) {
    auto loaded = db_.InTransaction<std::pair<AliasInfo, std::vector<PortalUserRow>>>(
        [&](store::Transaction& tx) -> Result<std::pair<AliasInfo, std::vector<PortalUserRow>>> {
          PC_ASSIGN_OR_RETURN(auto alias, LoadAlias(tx, t));
          PC_ASSIGN_OR_RETURN(auto rows, LoadPortalUsers(tx, t.id));
          return std::make_pair(std::move(alias), std::move(rows));
        });
    if (!loaded.ok()) return FromError(loaded.error());
    const auto& [alias, rows] = *loaded;
    for (const auto& row : rows) {
      if (!row.object_id.empty()) continue;
      if (row.password_sealed.empty()) {
        return StepResult::Fail("The temporary password of " + row.upn + " is gone");
      }
      auto password = flows_->secrets.Open(row.password_sealed);
      if (!password.ok()) return StepResult::Fail("A sealed password cannot be opened");
      connectors::NewDirectoryUser user;
      user.display_name = row.display_name;
      user.user_principal_name = row.upn;
      user.mail_nickname = row.upn.substr(0, row.upn.find('@'));
      user.password = *password;
      auto id = flows_->graph.CreateUser(alias.customer_id, user);
      if (!id.ok()) {
        return FromError(
            Error{id.error().code,
                  "Creating " + row.upn + " in the customer tenant: " + id.error().message});
      }
      Status s = db_.InTransaction([&](store::Transaction& tx) -> Status {
        return StatusOf(
            tx.Execute("UPDATE support_portal_credentials SET user_object_id = ? "
                       "WHERE ticket_id = ? AND user_principal_name = ?",
                       {*id, t.id, row.upn}));
      });
      if (!s.ok()) return FromError(s.error());
    }
    return StepResult::Next("roles");
  }

  StepResult Roles(Job&, const Ticket& t) {
    auto loaded = db_.InTransaction<std::pair<AliasInfo, std::vector<PortalUserRow>>>(
        [&](store::Transaction& tx) -> Result<std::pair<AliasInfo, std::vector<PortalUserRow>>> {
          PC_ASSIGN_OR_RETURN(auto alias, LoadAlias(tx, t));
          PC_ASSIGN_OR_RETURN(auto rows, LoadPortalUsers(tx, t.id));
          return std::make_pair(std::move(alias), std::move(rows));
        });
    if (!loaded.ok()) return FromError(loaded.error());
    const auto& [alias, rows] = *loaded;
    const std::string& sub = alias.azure_subscription_id;
    for (const auto& row : rows) {
      auto r = flows_->arm.PutRoleAssignment(
          alias.customer_id, sub,
          connectors::NameBasedId("portal-user:" + sub + ":" + Lower(row.upn)),
          connectors::NameBasedId("role:" + sub), row.object_id,
          "portal.azure.com user (support ticket #" + std::to_string(t.number) + ")", "User");
      if (!r.ok()) return RetryOn(r.error());
      if (!r->ok() && r->error_code != "RoleAssignmentExists") {
        return FromArm("Giving " + row.upn + " the platform's role", *r);
      }
    }
    return StepResult::Next("finish");
  }

  StepResult FinishPortalUsers(Job&, const Ticket& t) {
    Status s = db_.InTransaction([&](store::Transaction& tx) -> Status {
      PC_ASSIGN_OR_RETURN(auto now, LoadTicket(tx, t.id, false));
      if (now.request && now.request->state == "done") return Status();
      PC_ASSIGN_OR_RETURN(auto rows, LoadPortalUsers(tx, t.id));
      json::array users;
      std::string names;
      for (const auto& r : rows) {
        users.push_back(
            json::object{{"userPrincipalName", r.upn}, {"displayName", r.display_name}});
        names += (names.empty() ? "" : ", ") + r.upn;
      }
      std::string message = "Created " + std::to_string(rows.size()) +
                            " portal.azure.com user(s) with the platform's role: " + names + ".";
      PC_RETURN_IF_ERROR(SetRequestState(
          tx, t.id, "done", std::nullopt,
          json::object{
              {"users", std::move(users)}, {"credentialsAvailable", true}, {"message", message}}));
      return Answer(tx, now,
                    message +
                        " Their temporary passwords are on this request's page in the web "
                        "portal, shown to you once; each user changes it at the first sign-in "
                        "at https://portal.azure.com.");
    });
    if (!s.ok()) return FromError(s.error());
    return StepResult::Done();
  }

  // --- close-account

  Result<json::array> Entitlements(Job& job, const AliasInfo& alias, StepResult& failed) {
    auto r = flows_->partner_center.ListAzureEntitlements(alias.customer_id,
                                                          alias.plan_subscription_id, ReadFor(job));
    if (!r.ok()) {
      failed = RetryOn(r.error());
      return r.error();
    }
    if (!r->ok()) {
      failed = FromFault("Listing the Azure subscriptions", *r->fault);
      return Unavailable(failed.message);
    }
    const auto* items = r->body.is_object() ? r->body.as_object().if_contains("items") : nullptr;
    if (!items || !items->is_array()) return json::array{};
    return items->as_array();
  }

  StepResult Cancel(Job& job, const Ticket& t) {
    auto alias =
        db_.InTransaction<AliasInfo>([&](store::Transaction& tx) { return LoadAlias(tx, t); });
    if (!alias.ok()) return FromError(alias.error());
    if (alias->plan_subscription_id.empty()) {
      return StepResult::Fail("The Azure account of " + alias->alias + " has no Azure plan");
    }
    StepResult failed;
    auto items = Entitlements(job, *alias, failed);
    if (!items.ok()) return failed;
    json::array cancelled;
    for (const auto& item : *items) {
      if (!item.is_object()) continue;
      std::string id = Str(item.as_object(), "id");
      cancelled.push_back(json::value(id));
      if (Str(item.as_object(), "status") != "active") continue;
      auto r = flows_->partner_center.CancelAzureEntitlement(
          alias->customer_id, alias->plan_subscription_id, id, flows_->cancellation_reason,
          CallFor(job, "cancel:" + id));
      if (!r.ok()) return RetryOn(r.error());
      if (!r->ok()) return FromFault("Cancelling the Azure subscription " + id, *r->fault);
    }
    job.data["cancelled"] = std::move(cancelled);
    return StepResult::Next("suspend");
  }

  StepResult Suspend(Job& job, const Ticket& t) {
    auto alias =
        db_.InTransaction<AliasInfo>([&](store::Transaction& tx) { return LoadAlias(tx, t); });
    if (!alias.ok()) return FromError(alias.error());
    StepResult failed;
    auto items = Entitlements(job, *alias, failed);
    if (!items.ok()) return failed;
    for (const auto& item : *items) {
      if (item.is_object() && Str(item.as_object(), "status") == "active") {
        std::string key = "waitingSince";
        if (!job.data.contains(key)) job.data[key] = FormatTimestamp(Now());
        auto since = ParseTimestamp(Str(job.data, key));
        if (since.ok() && Now() - *since > flows_->cancel_wait_limit) {
          return StepResult::Fail("The cancelled Azure subscriptions still read active after " +
                                  std::to_string(flows_->cancel_wait_limit.count()) + " seconds");
        }
        return StepResult::Wait(flows_->cancel_poll,
                                "waiting for Microsoft to deactivate the cancelled subscriptions");
      }
    }
    auto sub = flows_->partner_center.GetSubscription(alias->customer_id,
                                                      alias->plan_subscription_id, ReadFor(job));
    if (!sub.ok()) return RetryOn(sub.error());
    if (!sub->ok()) return FromFault("Reading the Azure plan", *sub->fault);
    if (!sub->body.is_object()) return StepResult::Retry("Partner Center answered no plan");
    if (Str(sub->body.as_object(), "status") != "suspended") {
      // The etag changes with every write: a fresh request id per etag, so a retry after a
      // 412 is a new logical call.
      std::string etag;
      if (const auto* a = sub->body.as_object().if_contains("attributes"); a && a->is_object())
        etag = Str(a->as_object(), "etag");
      auto r = flows_->partner_center.SetSubscriptionStatus(
          alias->customer_id, sub->body.as_object(), "suspended", CallFor(job, "suspend:" + etag));
      if (!r.ok()) return RetryOn(r.error());
      if (!r->ok()) {
        if (r->fault->status == 412) return StepResult::Retry("The Azure plan changed; again");
        return FromFault("Suspending the Azure plan", *r->fault);
      }
    }
    return StepResult::Next("close");
  }

  StepResult Close(Job&, const Ticket& t) {
    Status s = db_.InTransaction([&](store::Transaction& tx) -> Status {
      std::string now = FormatTimestamp(Now());
      return StatusOf(tx.Execute(
          "UPDATE providers SET state = 'unavailable', state_reason = ?, closed_at = ?, "
          "updated_at = ? WHERE billing_alias = ? AND deleted_at IS NULL AND "
          "closed_at IS NULL",
          {"Closed at the customer's request (support ticket #" + std::to_string(t.number) +
               "): the Azure subscriptions are cancelled; usage until then is billed.",
           now, now, t.billing_alias.value_or("")}));
    });
    if (!s.ok()) return FromError(s.error());
    return StepResult::Next("finish");
  }

  StepResult FinishClose(Job& job, const Ticket& t) {
    Status s = db_.InTransaction([&](store::Transaction& tx) -> Status {
      PC_ASSIGN_OR_RETURN(auto now, LoadTicket(tx, t.id, false));
      if (now.request && now.request->state == "done") return Status();
      json::array cancelled;
      if (const auto* c = job.data.if_contains("cancelled"); c && c->is_array())
        cancelled = c->as_array();
      std::string message = "The Azure account " + t.billing_alias.value_or("") +
                            " is closed: " + std::to_string(cancelled.size()) +
                            " Azure subscription(s) cancelled with Microsoft and the Azure plan "
                            "suspended. Usage up to now is billed with this month's invoice.";
      PC_RETURN_IF_ERROR(SetRequestState(tx, t.id, "done", std::nullopt,
                                         json::object{{"cancelledSubscriptions", cancelled},
                                                      {"planSuspended", true},
                                                      {"message", message}}));
      return Answer(tx, now, message);
    });
    if (!s.ok()) return FromError(s.error());
    return StepResult::Done();
  }

  // --- billing-report

  StepResult Report(Job&, const Ticket& t) {
    std::string month_text = Str(t.request->details, "month");
    auto month = YearMonth::Parse(month_text);
    if (!month.ok()) {
      return StepResult::Fail("The request's month '" + month_text + "' is not YYYY-MM");
    }
    Status s = db_.InTransaction([&](store::Transaction& tx) -> Status {
      PC_ASSIGN_OR_RETURN(auto now, LoadTicket(tx, t.id, false));
      if (now.request && now.request->state == "done") return Status();
      PC_ASSIGN_OR_RETURN(auto alias, LoadAlias(tx, now));
      PC_ASSIGN_OR_RETURN(auto rows, billing::LoadPricedRollups(tx, alias.alias, *month));
      PC_ASSIGN_OR_RETURN(std::string csv, billing::DetailCsv(rows));
      std::string file = alias.alias + "-" + month->ToString() + "-azure-usage.csv";
      std::string message =
          rows.empty() ? "There is no Azure usage for " + alias.alias + " in " + month->ToString() +
                             " yet; the attached report has only its header."
                       : "The detailed billing report of " + alias.alias + " for " +
                             month->ToString() + " is attached (" + std::to_string(rows.size()) +
                             " lines: subscription, meter category and day).";
      NewMessage out = Msg("out", flows_->support_address, message, NewMessageId(now.number));
      PC_ASSIGN_OR_RETURN(auto msg, AppendMessage(tx, now.id, out));
      PC_RETURN_IF_ERROR(AttachFile(tx, msg.id, file, "text/csv", csv));
      PC_RETURN_IF_ERROR(SetRequestState(
          tx, now.id, "done", std::nullopt,
          json::object{
              {"file", file}, {"lines", static_cast<int64_t>(rows.size())}, {"message", message}}));
      if (!now.first_response_at) {
        PC_RETURN_IF_ERROR(UpdateTicket(tx, now.id, FirstResponse(msg.at)));
      }
      return QueueEmail(tx, now, msg, now.subject, flows_->support_address, false);
    });
    if (!s.ok()) return FromError(s.error());
    return StepResult::Done();
  }

  // --- permit-service

  // The resource type joins the alias's exceptions (governance_alias_overrides), and the
  // alias's subscriptions converge to it (governance/convergence.h).
  StepResult Permit(Job&, const Ticket& t) {
    std::string type = Str(t.request->details, "resourceType");
    if (Status valid = governance::CheckResourceType(type); !valid.ok()) {
      return StepResult::Fail(valid.error().message);
    }
    Status s = db_.InTransaction([&](store::Transaction& tx) -> Status {
      PC_ASSIGN_OR_RETURN(auto now, LoadTicket(tx, t.id, false));
      if (now.request && now.request->state == "done") return Status();
      PC_ASSIGN_OR_RETURN(auto alias, LoadAlias(tx, now));
      PC_RETURN_IF_ERROR(governance::PermitResourceType(
          tx, identity::SystemPrincipal(), alias.alias, type, "Permitted through " + now.id));
      std::string message = type + " is now permitted for billing alias " + alias.alias +
                            ". Your Azure subscriptions are being updated; it can be used in a "
                            "few minutes.";
      PC_RETURN_IF_ERROR(SetRequestState(
          tx, now.id, "done", std::nullopt,
          json::object{{"resourceType", type}, {"alias", alias.alias}, {"message", message}}));
      return Answer(tx, now, message);
    });
    if (!s.ok()) return FromError(s.error());
    return StepResult::Done();
  }

  // An answer to the requester: an "out" message, mailed.
  Status Answer(store::Transaction& tx, const Ticket& t, const std::string& text) {
    NewMessage out = Msg("out", flows_->support_address, text, NewMessageId(t.number));
    PC_ASSIGN_OR_RETURN(auto msg, AppendMessage(tx, t.id, out));
    if (!t.first_response_at) {
      PC_RETURN_IF_ERROR(UpdateTicket(tx, t.id, FirstResponse(msg.at)));
    }
    return QueueEmail(tx, t, msg, t.subject, flows_->support_address, false);
  }

  store::Database& db_;
  std::shared_ptr<const SupportFlows> flows_;
};

}  // namespace

std::string TemporaryPassword() {
  static constexpr std::string_view kUpper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
  static constexpr std::string_view kLower = "abcdefghijkmnpqrstuvwxyz";
  static constexpr std::string_view kDigits = "23456789";
  static constexpr std::string_view kSymbols = "!#%+=?@";
  const std::string_view sets[] = {kUpper, kLower, kDigits, kSymbols};
  std::string p;
  for (int i = 0; i < 16; ++i) {
    std::string_view set = sets[i < 4 ? i : RandomUniform(4)];
    p += set[RandomUniform(static_cast<uint32_t>(set.size()))];
  }
  // Shuffle so the first four are not always upper, lower, digit, symbol.
  for (size_t i = p.size() - 1; i > 0; --i) {
    std::swap(p[i], p[RandomUniform(static_cast<uint32_t>(i + 1))]);
  }
  return p;
}

Result<RequestOutcome> RunApprovedRequest(ActionContext& ctx, const identity::Principal&,
                                          const Ticket& ticket) {
  if (!ctx.flows) {
    return Unavailable("Carrying out structured requests is " + std::string(kNotAvailableYet) +
                       " in this process (no upstream clients)");
  }
  if (!ticket.request) return InvalidArgument(ticket.id + " carries no structured request");
  const std::string& kind = ticket.request->kind;
  if (kind != "portal-users" && kind != "close-account" && kind != "billing-report" &&
      kind != "permit-service") {
    return InvalidArgument("Unknown request kind " + kind);
  }
  // One job per ticket: its id is derived from the ticket, so a second approval (after a
  // crash between the two transactions of the route) finds the first.
  std::string job_id = connectors::NameBasedId("support-request:" + ticket.id);
  PC_RETURN_IF_ERROR(ctx.db.InTransaction([&](store::Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto existing, jobs::JobRunner::Load(tx, job_id));
    if (existing) return Status();
    return StatusOf(jobs::JobRunner::Enqueue(
        tx, kRequestJobKind, "start", json::object{{"ticket", ticket.id}, {"kind", kind}}, job_id));
  }));
  if (ctx.on_work_queued) ctx.on_work_queued();
  return RequestOutcome{"running", json::object{}};
}

void RegisterSupportJobs(jobs::JobRunner& runner, store::Database& db,
                         std::shared_ptr<const SupportFlows> flows) {
  auto job = std::make_shared<RequestJob>(db, flows);
  runner.Register(
      std::string(kRequestJobKind), [job](Job& j) { return job->Run(j); }, &RequestJob::Observe);
  RegisterEscalationJob(runner, db, std::move(flows));
}

Result<std::vector<PortalCredential>> RevealPortalCredentials(store::Database& db,
                                                              const SecretBox& secrets,
                                                              const identity::Principal& who,
                                                              const Ticket& ticket) {
  if (Lower(who.user.email) != Lower(ticket.requester_email)) {
    return PermissionDenied("Only the requester of " + ticket.id + " sees the temporary passwords");
  }
  return db.InTransaction<std::vector<PortalCredential>>(
      [&](store::Transaction& tx) -> Result<std::vector<PortalCredential>> {
        PC_ASSIGN_OR_RETURN(auto now, LoadTicket(tx, ticket.id, false));
        if (!now.request || now.request->kind != "portal-users" || now.request->state != "done") {
          return FailedPrecondition("The users of " + ticket.id + " are not created yet");
        }
        PC_ASSIGN_OR_RETURN(auto rows, LoadPortalUsers(tx, ticket.id));
        std::vector<PortalCredential> out;
        for (const auto& r : rows) {
          if (r.password_sealed.empty()) continue;
          auto password = secrets.Open(r.password_sealed);
          if (!password.ok()) return Internal("A sealed password cannot be opened");
          out.push_back({r.upn, r.display_name, *password});
        }
        if (out.empty()) {
          return FailedPrecondition("The temporary passwords of " + ticket.id +
                                    " were already shown once; an operator can reset a "
                                    "password in the customer tenant");
        }
        std::string at = FormatTimestamp(Now());
        PC_RETURN_IF_ERROR(
            tx.Execute("UPDATE support_portal_credentials SET password_sealed = "
                       "NULL, shown_at = ? WHERE ticket_id = ?",
                       {at, ticket.id}));
        json::object result = now.request->result.value_or(json::object{});
        result["credentialsAvailable"] = false;
        result["credentialsShownAt"] = at;
        PC_RETURN_IF_ERROR(SetRequestState(tx, ticket.id, "done", std::nullopt, result));
        PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
            tx, who, ticket.organization_id, "support.request.credentials.shown", "ticket",
            ticket.id, {{"users", std::to_string(out.size())}}));
        return out;
      });
}

}  // namespace pc::support
