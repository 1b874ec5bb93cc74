#include "governance/convergence.h"

#include <algorithm>
#include <memory>
#include <set>

#include "connectors/partner_center_client.h"
#include "core/time.h"
#include "governance/governance.h"
#include "identity/identity.h"

namespace pc::governance {

namespace {

using connectors::ArmResult;
using jobs::Job;
using jobs::StepResult;
using store::Transaction;

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int64_t IntOf(const json::object& o, std::string_view key, int64_t fallback = 0) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : fallback;
}

std::string LastSegment(std::string_view id) { return std::string(id.substr(id.rfind('/') + 1)); }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The strings of an array value, sorted and lower-cased (ARM compares names without case).
std::vector<std::string> LowerSet(const json::value* v) {
  std::set<std::string> s;
  if (v && v->is_array()) {
    for (const auto& e : v->as_array()) {
      if (e.is_string()) s.insert(Lower(std::string(e.as_string())));
    }
  }
  return {s.begin(), s.end()};
}
std::vector<std::string> LowerSet(const std::vector<std::string>& v) {
  std::set<std::string> s;
  for (const auto& e : v) s.insert(Lower(e));
  return {s.begin(), s.end()};
}

const json::value* Path(const json::value& v, std::initializer_list<std::string_view> keys) {
  const json::value* at = &v;
  for (auto k : keys) {
    if (!at->is_object()) return nullptr;
    at = at->as_object().if_contains(k);
    if (!at) return nullptr;
  }
  return at;
}

// An ARM answer that is not what the step can use: throttling waits for Retry-After without
// using up attempts; server errors retry; anything else needs a person.
StepResult FromArm(std::string_view what, const ArmResult& r) {
  std::string message = std::string(what) + ": Azure Resource Manager answered " +
                        std::to_string(r.status) +
                        (r.error_code.empty() ? "" : " " + r.error_code) + ": " + r.message;
  if (r.status == 429) {
    auto wait = r.retry_after.count() > 0 ? r.retry_after : std::chrono::milliseconds(1000);
    return StepResult::Wait(wait, message);
  }
  if (r.status >= 500 || r.status == 408) return StepResult::Retry(message, r.retry_after);
  return StepResult::Fail(message);
}

StepResult RetryOn(const Error& e) { return StepResult::Retry(e.message, e.retry_after); }

// What a step needs, read in one transaction.
struct Context {
  GovernedSubscription sub;
  DesiredState desired;
  int64_t generation = 0;
  // Azure is believed to be in the desired state (last convergence applied it, or onboarding
  // applied version 1 and that is still desired): a difference found is drift, not a change.
  bool in_sync = false;
};

class Converger {
 public:
  explicit Converger(ConvergenceDeps deps) : deps_(std::move(deps)) {}

  StepResult Run(Job& job) {
    std::string sub_id = Str(job.data, "subscriptionId");
    auto loaded = deps_.db.InTransaction<std::optional<Context>>(
        [&](Transaction& tx) -> Result<std::optional<Context>> {
          PC_ASSIGN_OR_RETURN(auto subs, LoadGoverned(tx, std::nullopt, std::nullopt, sub_id));
          if (subs.empty()) return std::optional<Context>{};
          Context c;
          c.sub = subs[0];
          PC_ASSIGN_OR_RETURN(c.desired, DesiredOf(tx, c.sub.alias));
          PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT generation, applied_fingerprint FROM "
                                                  "governance_subscriptions WHERE "
                                                  "subscription_id = ?",
                                                  {sub_id}));
          std::optional<std::string> applied;
          if (!rows.empty()) {
            c.generation = rows[0].Int(0);
            if (!rows[0].IsNull(1)) applied = rows[0].Text(1);
          }
          if (!applied) {
            PC_ASSIGN_OR_RETURN(auto v1, LoadVersion(tx, 1));
            if (v1) applied = Desired(*v1, nullptr).Fingerprint();
          }
          c.in_sync = applied && *applied == c.desired.Fingerprint();
          return std::optional<Context>(std::move(c));
        });
    if (!loaded.ok()) return RetryOn(loaded.error());
    // No longer governed (the provider was deleted or closed): nothing to do.
    if (!*loaded) return StepResult::Done();
    Context& c = **loaded;
    if (!job.data.contains("generation")) {
      job.data["generation"] = c.generation;
      job.data["inSync"] = c.in_sync;
    } else if (const auto* s = job.data.if_contains("inSync"); s && s->is_bool()) {
      c.in_sync = s->as_bool();
    }
    job.data["version"] = c.desired.version;
    job.data["fingerprint"] = c.desired.Fingerprint();
    if (job.step == "role") return Role(job, c);
    if (job.step == "assignment") return Assignment(job, c);
    if (job.step == "policy") return Policy(job, c);
    if (job.step == "providers") return Providers(job, c);
    if (job.step == "resources") return Resources(job, c);
    return StepResult::Fail("Unknown governance step '" + job.step + "'");
  }

  static Status Observe(Transaction& tx, const Job& job, const StepResult& r,
                        const std::string& notify) {
    std::string sub = Str(job.data, "subscriptionId");
    std::string now = FormatTimestamp(Now());
    switch (r.kind) {
      case StepResult::Kind::kNext:
        return {};
      case StepResult::Kind::kRetry:
        PC_RETURN_IF_ERROR(
            tx.Execute("UPDATE governance_subscriptions SET reason = ?, updated_at = ? "
                       "WHERE subscription_id = ? AND state <> 'compliant'",
                       {r.message, now, sub}));
        return {};
      case StepResult::Kind::kFail: {
        PC_RETURN_IF_ERROR(
            tx.Execute("UPDATE governance_subscriptions SET state = 'failed', reason = ?, "
                       "last_checked_at = ?, updated_at = ? WHERE subscription_id = ?",
                       {r.message, now, now, sub}));
        int64_t generation = IntOf(job.data, "generation");
        PC_RETURN_IF_ERROR(tx.Execute(
            "INSERT INTO outbox_emails (id, to_address, subject, body, created_at) VALUES (?, ?, "
            "?, ?, ?) ON CONFLICT (id) DO NOTHING",
            {connectors::NameBasedId(job.id + ":" + std::to_string(generation) + ":failed"), notify,
             "Governance: subscription " + sub + " could not be brought to the catalog",
             "The platform could not bring Azure subscription " + sub +
                 " to the permitted-services catalog: " + r.message +
                 "\nReconcile it once this is fixed (POST /api/v1/governance/subscriptions/" + sub +
                 "/reconcile).",
             now}));
        return {};
      }
      case StepResult::Kind::kDone: {
        PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT generation FROM governance_subscriptions "
                                                "WHERE subscription_id = ?",
                                                {sub}));
        if (rows.empty()) return {};
        std::string not_permitted = "[]";
        if (const auto* np = job.data.if_contains("notPermitted"); np && np->is_array()) {
          not_permitted = json::serialize(*np);
        }
        if (!job.data.contains("fingerprint")) return {};  // no longer governed
        if (rows[0].Int(0) > IntOf(job.data, "generation")) {
          // Asked again while this run went on: run again with what is desired now.
          PC_RETURN_IF_ERROR(tx.Execute(
              "UPDATE jobs SET state = 'queued', step = 'role', attempts = 0, run_after = ?, "
              "data = ?, updated_at = ? WHERE id = ?",
              {now, json::serialize(json::object{{"subscriptionId", sub}}), now, job.id}));
          PC_RETURN_IF_ERROR(tx.Execute(
              "UPDATE governance_subscriptions SET not_permitted = ?, last_checked_at = ?, "
              "updated_at = ? WHERE subscription_id = ?",
              {not_permitted, now, now, sub}));
          return {};
        }
        PC_RETURN_IF_ERROR(
            tx.Execute("UPDATE governance_subscriptions SET state = 'compliant', reason = NULL, "
                       "applied_version = ?, applied_fingerprint = ?, last_checked_at = ?, "
                       "not_permitted = ?, updated_at = ? WHERE subscription_id = ?",
                       {IntOf(job.data, "version"), Str(job.data, "fingerprint"), now,
                        not_permitted, now, sub}));
        return {};
      }
    }
    return {};
  }

 private:
  // Records a repair once per object and check (the id names both), audits it and mails the
  // operators, before the object is put back: a crash after this and before the repair leaves
  // a recorded repair that the run again carries out.
  Status NoteRepair(const Job& job, const Context& c, std::string_view object,
                    const std::string& what) {
    return deps_.db.InTransaction([&](Transaction& tx) -> Status {
      std::string now = FormatTimestamp(Now());
      std::string id = connectors::NameBasedId(job.id + ":" + std::to_string(c.generation) + ":" +
                                               std::string(object));
      PC_ASSIGN_OR_RETURN(
          int64_t inserted,
          tx.Execute("INSERT INTO governance_repairs (id, subscription_id, at, object, what) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                     {id, c.sub.subscription_id, now, std::string(object), what}));
      if (inserted == 0) return {};
      PC_RETURN_IF_ERROR(
          tx.Execute("UPDATE governance_subscriptions SET state = 'drifted', reason = ?, "
                     "updated_at = ? WHERE subscription_id = ?",
                     {what, now, c.sub.subscription_id}));
      PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
          tx, identity::SystemPrincipal(), c.sub.organization_id, "governance.repair",
          "subscription", c.sub.subscription_id,
          {{"object", std::string(object)}, {"what", what}, {"alias", c.sub.alias}}));
      PC_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO outbox_emails (id, to_address, subject, body, created_at) VALUES (?, ?, "
          "?, ?, ?) ON CONFLICT (id) DO NOTHING",
          {id, deps_.notify_address,
           "Governance repair: " + std::string(object) + " in subscription " +
               c.sub.subscription_id,
           "In Azure subscription " + c.sub.subscription_id + " (billing alias " + c.sub.alias +
               ", " + c.sub.organization_name + "): " + what +
               "\nThe platform restored it to catalog version " +
               std::to_string(c.desired.version) + ". See the audit log (governance.repair).",
           now}));
      return {};
    });
  }

  StepResult Role(Job& job, Context& c) {
    const std::string& tenant = c.sub.tenant_id;
    const std::string& sub = c.sub.subscription_id;
    std::string role_id = RoleDefinitionIdOf(sub);
    auto got = deps_.arm.GetRoleDefinition(tenant, sub, role_id);
    if (!got.ok()) return RetryOn(got.error());
    std::optional<std::string> repair;
    bool write = false;
    if (got->status == 404) {
      write = true;
      repair = "The platform's custom role was deleted; it was created again.";
    } else if (!got->ok()) {
      return FromArm("Reading the custom role", *got);
    } else {
      const json::value* perms = Path(got->body, {"properties", "permissions"});
      const json::value* first = perms && perms->is_array() && !perms->as_array().empty()
                                     ? &perms->as_array()[0]
                                     : nullptr;
      auto actions = LowerSet(first ? Path(*first, {"actions"}) : nullptr);
      auto not_actions = LowerSet(first ? Path(*first, {"notActions"}) : nullptr);
      bool same = actions == LowerSet(c.desired.actions) &&
                  not_actions == LowerSet(c.desired.not_actions) &&
                  (perms && perms->as_array().size() == 1);
      if (!same) {
        write = true;
        if (c.in_sync) {
          repair =
              "The platform's custom role was edited (its actions differed from the "
              "catalog); its actions were restored.";
        }
      }
    }
    if (write) {
      if (repair) {
        auto noted = NoteRepair(job, c, "role-definition", *repair);
        if (!noted.ok()) return RetryOn(noted.error());
      }
      auto put = deps_.arm.PutRoleDefinition(tenant, sub, role_id,
                                             json::value(RoleDefinitionBody(sub, c.desired)));
      if (!put.ok()) return RetryOn(put.error());
      if (!put->ok()) return FromArm("Writing the custom role", *put);
    }
    return StepResult::Next("assignment");
  }

  StepResult Assignment(Job& job, Context& c) {
    const std::string& tenant = c.sub.tenant_id;
    const std::string& sub = c.sub.subscription_id;
    std::string assignment = RoleAssignmentIdOf(sub);
    std::string role_id = RoleDefinitionIdOf(sub);
    auto got = deps_.arm.GetRoleAssignment(tenant, sub, assignment);
    if (!got.ok()) return RetryOn(got.error());
    std::optional<std::string> repair;
    if (got->ok()) {
      const json::value* role = Path(got->body, {"properties", "roleDefinitionId"});
      if (role && role->is_string() && IEquals(LastSegment(role->as_string()), role_id)) {
        return StepResult::Next("policy");
      }
      repair = "The platform's role assignment named another role; it was assigned again.";
      auto noted = NoteRepair(job, c, "role-assignment", *repair);
      if (!noted.ok()) return RetryOn(noted.error());
      auto deleted = deps_.arm.DeleteRoleAssignment(tenant, sub, assignment);
      if (!deleted.ok()) return RetryOn(deleted.error());
      if (!deleted->ok()) return FromArm("Removing the wrong role assignment", *deleted);
    } else if (got->status == 404) {
      repair = "The platform's role assignment was deleted; it was assigned again.";
      auto noted = NoteRepair(job, c, "role-assignment", *repair);
      if (!noted.ok()) return RetryOn(noted.error());
    } else {
      return FromArm("Reading the role assignment", *got);
    }
    auto principal = deps_.graph.ServicePrincipalId(tenant, deps_.app_client_id);
    if (!principal.ok()) return RetryOn(principal.error());
    if (!*principal) {
      return StepResult::Fail("The platform's application has no service principal in tenant " +
                              tenant + "; the role cannot be assigned to it");
    }
    auto put = deps_.arm.PutRoleAssignment(tenant, sub, assignment, role_id, **principal,
                                           "The platform's application (permitted services)");
    if (!put.ok()) return RetryOn(put.error());
    if (!put->ok() && put->error_code != "RoleAssignmentExists") {
      return FromArm("Assigning the custom role", *put);
    }
    return StepResult::Next("policy");
  }

  StepResult Policy(Job& job, Context& c) {
    const std::string& tenant = c.sub.tenant_id;
    const std::string& sub = c.sub.subscription_id;
    std::string name(kPolicyAssignmentName);
    auto got = deps_.arm.GetPolicyAssignment(tenant, sub, name);
    if (!got.ok()) return RetryOn(got.error());
    if (!got->ok() && got->status != 404) return FromArm("Reading the policy assignment", *got);
    bool exists = got->ok();
    if (c.desired.unrestricted) {
      if (exists) {
        if (c.in_sync) {
          auto noted = NoteRepair(job, c, "policy-assignment",
                                  "The Allowed resource types policy was assigned again although "
                                  "the subscription is unrestricted; it was removed.");
          if (!noted.ok()) return RetryOn(noted.error());
        }
        auto deleted = deps_.arm.DeletePolicyAssignment(tenant, sub, name);
        if (!deleted.ok()) return RetryOn(deleted.error());
        if (!deleted->ok()) return FromArm("Removing the policy assignment", *deleted);
      }
      return StepResult::Next("resources");
    }
    std::optional<std::string> repair;
    bool write = false;
    if (!exists) {
      write = true;
      // Missing is a repair unless this run is what makes the subscription restricted again.
      if (c.in_sync) {
        repair = "The Allowed resource types policy assignment was deleted; it was assigned again.";
      }
    } else {
      const json::value* def = Path(got->body, {"properties", "policyDefinitionId"});
      const json::value* list =
          Path(got->body, {"properties", "parameters", "listOfResourceTypesAllowed", "value"});
      const json::value* mode = Path(got->body, {"properties", "enforcementMode"});
      bool same = def && def->is_string() &&
                  IEquals(LastSegment(def->as_string()),
                          LastSegment(std::string(kAllowedResourceTypesPolicy))) &&
                  LowerSet(list) == LowerSet(c.desired.resource_types) &&
                  (!mode || (mode->is_string() && IEquals(mode->as_string(), "Default")));
      if (!same) {
        write = true;
        if (c.in_sync) {
          repair =
              "The Allowed resource types policy assignment was edited (its list or "
              "enforcement differed from the catalog); it was restored.";
        }
      }
    }
    if (write) {
      if (repair) {
        auto noted = NoteRepair(job, c, "policy-assignment", *repair);
        if (!noted.ok()) return RetryOn(noted.error());
      }
      auto put = deps_.arm.PutPolicyAssignment(tenant, sub, name,
                                               json::value(PolicyAssignmentBody(c.desired)));
      if (!put.ok()) return RetryOn(put.error());
      if (!put->ok()) return FromArm("Assigning the Allowed resource types policy", *put);
    }
    return StepResult::Next("providers");
  }

  // Resource providers of permitted types outside the shipped catalog (whose providers
  // onboarding registered): registration is asked for, not waited on.
  StepResult Providers(Job&, Context& c) {
    auto shipped = PermittedServices::BuiltIn().Namespaces();
    std::set<std::string> known;
    for (const auto& ns : shipped) known.insert(Lower(ns));
    std::set<std::string> wanted;
    for (const auto& t : c.desired.resource_types) {
      std::string ns = t.substr(0, t.find('/'));
      if (!known.contains(Lower(ns))) wanted.insert(ns);
    }
    for (const auto& ns : wanted) {
      auto r = deps_.arm.GetResourceProvider(c.sub.tenant_id, c.sub.subscription_id, ns);
      if (!r.ok()) return RetryOn(r.error());
      if (r->status == 404) continue;  // a namespace Azure does not know: nothing to register
      if (!r->ok()) return FromArm("Reading resource provider " + ns, *r);
      const json::value* st = Path(r->body, {"registrationState"});
      if (st && st->is_string() &&
          (st->as_string() == "NotRegistered" || st->as_string() == "Unregistered")) {
        auto reg = deps_.arm.RegisterResourceProvider(c.sub.tenant_id, c.sub.subscription_id, ns);
        if (!reg.ok()) return RetryOn(reg.error());
        if (!reg->ok()) return FromArm("Registering resource provider " + ns, *reg);
      }
    }
    return StepResult::Next("resources");
  }

  StepResult Resources(Job& job, Context& c) {
    auto r = deps_.arm.ListResources(c.sub.tenant_id, c.sub.subscription_id);
    if (!r.ok()) return RetryOn(r.error());
    if (!r->ok()) return FromArm("Listing the subscription's resources", *r);
    json::array not_permitted;
    if (!c.desired.unrestricted) {
      auto permitted = LowerSet(c.desired.resource_types);
      std::set<std::string> allowed(permitted.begin(), permitted.end());
      const json::value* value = Path(r->body, {"value"});
      if (value && value->is_array()) {
        for (const auto& res : value->as_array()) {
          if (!res.is_object()) continue;
          std::string type = Str(res.as_object(), "type");
          std::string id = Str(res.as_object(), "id");
          // The policy governs top-level resource types (Indexed mode); child resources and
          // Microsoft.Authorization's extension resources are not resources it evaluates.
          if (type.empty() || std::count(type.begin(), type.end(), '/') != 1) continue;
          if (Lower(type).starts_with("microsoft.authorization/")) continue;
          if (!allowed.contains(Lower(type))) {
            not_permitted.push_back(json::object{{"id", id}, {"type", type}});
          }
        }
      }
    }
    job.data["notPermitted"] = std::move(not_permitted);
    return StepResult::Done();
  }

  ConvergenceDeps deps_;
};

}  // namespace

void RegisterConvergence(jobs::JobRunner& runner, ConvergenceDeps deps) {
  std::string notify = deps.notify_address;
  auto converger = std::make_shared<Converger>(std::move(deps));
  runner.Register(
      std::string(kConvergeJobKind), [converger](Job& job) { return converger->Run(job); },
      [notify](Transaction& tx, const Job& job, const StepResult& r) {
        return Converger::Observe(tx, job, r, notify);
      });
}

}  // namespace pc::governance
