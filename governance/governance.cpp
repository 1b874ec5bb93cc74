#include "governance/governance.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "connectors/partner_center_client.h"
#include "core/random.h"
#include "core/time.h"
#include "jobs/runner.h"

namespace pc::governance {

namespace {

using identity::Principal;
using identity::Role;
using store::Transaction;

bool IsStaff(const Principal& who) {
  return who.via == Principal::Via::kSystem || identity::IsPartnerStaff(who.user.role);
}
bool IsOperator(const Principal& who) {
  return who.via == Principal::Via::kSystem || who.user.role == Role::kOperator;
}
std::string Actor(const Principal& who) {
  return who.user.email.empty() ? std::string("system") : who.user.email;
}

std::vector<std::string> SortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

json::array ToArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::vector<std::string> FromJsonText(const std::string& text) {
  std::vector<std::string> out;
  auto parsed = ParseJson(text);
  if (!parsed.ok() || !parsed->is_array()) return out;
  for (const auto& v : parsed->as_array()) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}

std::string ToJsonText(const std::vector<std::string>& v) { return json::serialize(ToArray(v)); }

std::optional<std::string> OptText(const store::Row& r, size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Text(i);
}

constexpr std::string_view kVersionColumns =
    "version, state, based_on, resource_types, actions, unrestricted, note, author, created_at, "
    "published_at, published_by";

CatalogVersion VersionOf(const store::Row& r) {
  CatalogVersion v;
  v.version = r.Int(0);
  v.state = r.Text(1);
  if (!r.IsNull(2)) v.based_on = r.Int(2);
  v.resource_types = FromJsonText(r.Text(3));
  v.actions = FromJsonText(r.Text(4));
  v.unrestricted = r.Int(5) != 0;
  v.note = r.Text(6);
  v.author = r.Text(7);
  v.created_at = r.Text(8);
  v.published_at = OptText(r, 9);
  v.published_by = OptText(r, 10);
  return v;
}

AliasOverride OverrideOf(const store::Row& r) {
  AliasOverride o;
  o.alias = r.Text(0);
  o.unrestricted = r.Int(1) != 0;
  o.extra_resource_types = FromJsonText(r.Text(2));
  o.note = r.Text(3);
  o.updated_at = r.Text(4);
  o.updated_by = r.Text(5);
  return o;
}

// added / removed between two sorted lists.
json::object ListDiff(const std::vector<std::string>& from, const std::vector<std::string>& to) {
  std::vector<std::string> added, removed;
  std::set_difference(to.begin(), to.end(), from.begin(), from.end(), std::back_inserter(added));
  std::set_difference(from.begin(), from.end(), to.begin(), to.end(), std::back_inserter(removed));
  return {{"added", ToArray(added)}, {"removed", ToArray(removed)}};
}

Result<std::vector<std::string>> CheckedTypes(std::vector<std::string> types) {
  for (const auto& t : types) PC_RETURN_IF_ERROR(CheckResourceType(t));
  return SortedUnique(std::move(types));
}

Result<std::vector<std::string>> CheckedActions(std::vector<std::string> actions) {
  for (const auto& a : actions) {
    if (a.empty() || a.size() > 300 || a.find_first_of(" \t\r\n\"'") != std::string::npos) {
      return InvalidArgument("The role action '" + a +
                             "' is not an Azure RBAC action such as "
                             "'Microsoft.Sql/servers/*'");
    }
  }
  return SortedUnique(std::move(actions));
}

std::string TypeAction(const std::string& type) { return type + "/*"; }

AliasOverride OverrideFor(std::string_view alias) {
  AliasOverride o;
  o.alias = std::string(alias);
  return o;
}

}  // namespace

std::string RoleDefinitionIdOf(std::string_view subscription_id) {
  return connectors::NameBasedId("role:" + std::string(subscription_id));
}
std::string RoleAssignmentIdOf(std::string_view subscription_id) {
  return connectors::NameBasedId("assignment:" + std::string(subscription_id));
}
std::string JobIdOf(std::string_view subscription_id) {
  return "governance:" + std::string(subscription_id);
}

Status CheckResourceType(std::string_view type) {
  auto slash = type.find('/');
  bool ok = !type.empty() && type.size() <= 200 && slash != std::string_view::npos && slash > 0 &&
            slash + 1 < type.size() && type.find('.') < slash && type.back() != '/';
  for (char c : type) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/' || c == '-' ||
          c == '_')) {
      ok = false;
    }
  }
  if (!ok) {
    return InvalidArgument("'" + std::string(type) +
                           "' is not an Azure resource type such as 'Microsoft.Sql/servers'");
  }
  return {};
}

std::string DesiredState::Fingerprint() const {
  std::string text = unrestricted ? "unrestricted;" : "restricted;";
  for (const auto& t : resource_types) text += "t:" + t + ";";
  for (const auto& a : actions) text += "a:" + a + ";";
  for (const auto& a : not_actions) text += "n:" + a + ";";
  return Sha256Hex(text).substr(0, 32);
}

DesiredState Desired(const CatalogVersion& v, const AliasOverride* o) {
  DesiredState d;
  d.version = v.version;
  d.unrestricted = v.unrestricted || (o && o->unrestricted);
  if (d.unrestricted) {
    d.actions = {"*"};
    for (auto a : kUnrestrictedNotActions) d.not_actions.emplace_back(a);
    return d;
  }
  d.resource_types = v.resource_types;
  d.actions = v.actions;
  if (o) {
    for (const auto& t : o->extra_resource_types) {
      d.resource_types.push_back(t);
      d.actions.push_back(TypeAction(t));
    }
  }
  d.resource_types = SortedUnique(std::move(d.resource_types));
  d.actions = SortedUnique(std::move(d.actions));
  return d;
}

json::object RoleDefinitionBody(std::string_view subscription_id, const DesiredState& d) {
  const auto& shipped = PermittedServices::BuiltIn();
  std::string scope = "/subscriptions/" + std::string(subscription_id);
  json::object permission{{"actions", ToArray(d.actions)},
                          {"notActions", ToArray(d.not_actions)},
                          {"dataActions", json::array{}},
                          {"notDataActions", json::array{}}};
  return {{"properties",
           {{"roleName", shipped.role_name() + " (" + std::string(subscription_id) + ")"},
            {"description",
             "What the platform and portal users may do in the customer's Azure subscription: "
             "the permitted services of the provider's catalog, version " +
                 std::to_string(d.version) + (d.unrestricted ? " (unrestricted)." : ".")},
            {"type", "CustomRole"},
            {"permissions", json::array{permission}},
            {"assignableScopes", json::array{json::value(scope)}}}}};
}

json::object PolicyAssignmentBody(const DesiredState& d) {
  const auto& shipped = PermittedServices::BuiltIn();
  return {
      {"properties",
       {{"displayName", "Allowed resource types (" + shipped.role_name() + ")"},
        {"description", "The permitted services of the provider's catalog, version " +
                            std::to_string(d.version) +
                            ". Ask your provider's support for more services."},
        {"policyDefinitionId", kAllowedResourceTypesPolicy},
        {"parameters", {{"listOfResourceTypesAllowed", {{"value", ToArray(d.resource_types)}}}}},
        {"enforcementMode", "Default"},
        {"metadata",
         {{"assignedBy", "partnercloud"}, {"catalogVersion", std::to_string(d.version)}}},
        {"nonComplianceMessages",
         json::array{json::object{{"message",
                                   "This resource type is not permitted by your provider; open a "
                                   "support request to ask for it."}}}}}}};
}

Status EnsureSeeded(Transaction& tx) {
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*) FROM governance_catalog_versions"));
  if (!rows.empty() && rows[0].Int(0) > 0) return {};
  const auto& shipped = PermittedServices::BuiltIn();
  std::string now = FormatTimestamp(Now());
  PC_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO governance_catalog_versions (version, state, based_on, resource_types, "
      "actions, unrestricted, note, author, created_at, published_at, published_by) VALUES "
      "(1, 'published', NULL, ?, ?, 0, ?, 'partnercloud', ?, ?, 'partnercloud') "
      "ON CONFLICT (version) DO NOTHING",
      {ToJsonText(shipped.ResourceTypes()), ToJsonText(shipped.Actions()),
       "The shipped catalog (" + shipped.version() + ")", now, now}));
  return {};
}

Result<std::optional<CatalogVersion>> LoadVersion(Transaction& tx, int64_t version) {
  PC_RETURN_IF_ERROR(EnsureSeeded(tx));
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT " + std::string(kVersionColumns) +
                                              " FROM governance_catalog_versions WHERE version = ?",
                                          {version}));
  if (rows.empty()) return std::optional<CatalogVersion>{};
  return std::optional<CatalogVersion>(VersionOf(rows[0]));
}

Result<CatalogVersion> LoadPublished(Transaction& tx) {
  PC_RETURN_IF_ERROR(EnsureSeeded(tx));
  PC_ASSIGN_OR_RETURN(
      auto rows,
      tx.Query(
          "SELECT " + std::string(kVersionColumns) +
          " FROM governance_catalog_versions WHERE state = 'published' ORDER BY version DESC"));
  if (rows.empty()) return Internal("No catalog version is published");
  return VersionOf(rows[0]);
}

Result<std::optional<AliasOverride>> LoadOverride(Transaction& tx, std::string_view alias) {
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT alias, unrestricted, extra_resource_types, note, "
                                          "updated_at, updated_by FROM governance_alias_overrides "
                                          "WHERE alias = ?",
                                          {std::string(alias)}));
  if (rows.empty()) return std::optional<AliasOverride>{};
  return std::optional<AliasOverride>(OverrideOf(rows[0]));
}

Result<std::vector<GovernedSubscription>> LoadGoverned(Transaction& tx,
                                                       std::optional<std::string> alias,
                                                       std::optional<std::string> organization,
                                                       std::optional<std::string> sub) {
  std::string sql =
      "SELECT p.azure_subscription_id, a.alias, a.organization_id, o.name, a.customer_id "
      "FROM providers p JOIN billing_aliases a ON a.alias = p.billing_alias "
      "JOIN organizations o ON o.id = a.organization_id "
      "WHERE p.mode = 'new-customer' AND p.state = 'ready' AND p.deleted_at IS NULL AND "
      "p.closed_at IS NULL AND p.azure_subscription_id IS NOT NULL AND a.customer_id IS NOT NULL";
  std::vector<store::Param> params;
  if (alias) {
    sql += " AND a.alias = ?";
    params.emplace_back(*alias);
  }
  if (organization) {
    sql += " AND a.organization_id = ?";
    params.emplace_back(*organization);
  }
  if (sub) {
    sql += " AND p.azure_subscription_id = ?";
    params.emplace_back(*sub);
  }
  sql += " ORDER BY a.alias, p.azure_subscription_id";
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
  std::vector<GovernedSubscription> out;
  std::set<std::string> seen;
  for (const auto& r : rows) {
    if (!seen.insert(r.Text(0)).second) continue;
    out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4)});
  }
  return out;
}

Result<DesiredState> DesiredOf(Transaction& tx, std::string_view alias) {
  PC_ASSIGN_OR_RETURN(auto published, LoadPublished(tx));
  PC_ASSIGN_OR_RETURN(auto o, LoadOverride(tx, alias));
  return Desired(published, o ? &*o : nullptr);
}

Status RequestConvergence(Transaction& tx, const GovernedSubscription& sub, bool converging,
                          const std::string& reason) {
  std::string now = FormatTimestamp(Now());
  PC_ASSIGN_OR_RETURN(
      auto rows, tx.Query("SELECT state FROM governance_subscriptions WHERE subscription_id = ?",
                          {sub.subscription_id}));
  if (rows.empty()) {
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO governance_subscriptions (subscription_id, alias, generation, state, reason, "
        "updated_at) VALUES (?, ?, 1, 'converging', ?, ?)",
        {sub.subscription_id, sub.alias, reason, now}));
  } else {
    bool to_converging = converging || rows[0].Text(0) == "failed";
    PC_RETURN_IF_ERROR(tx.Execute(
        std::string("UPDATE governance_subscriptions SET generation = generation + 1, alias = ?, "
                    "updated_at = ?") +
            (to_converging ? ", state = 'converging', reason = ?" : "") +
            " WHERE subscription_id = ?",
        to_converging ? std::vector<store::Param>{sub.alias, now, reason, sub.subscription_id}
                      : std::vector<store::Param>{sub.alias, now, sub.subscription_id}));
  }
  std::string job_id = JobIdOf(sub.subscription_id);
  PC_ASSIGN_OR_RETURN(auto job, tx.Query("SELECT state FROM jobs WHERE id = ?", {job_id}));
  if (job.empty()) {
    PC_ASSIGN_OR_RETURN(
        auto id,
        jobs::JobRunner::Enqueue(tx, kConvergeJobKind, "role",
                                 json::object{{"subscriptionId", sub.subscription_id}}, job_id));
    (void)id;
  } else if (job[0].Text(0) != "queued") {
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE jobs SET state = 'queued', step = 'role', attempts = 0, run_after = ?, "
                   "last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, data = ?, "
                   "updated_at = ? WHERE id = ?",
                   {now, json::serialize(json::object{{"subscriptionId", sub.subscription_id}}),
                    now, job_id}));
  }
  // A queued job (perhaps running right now) sees the new generation when it finishes and
  // runs again (convergence.cpp).
  return {};
}

Status PermitResourceType(Transaction& tx, const Principal& who, std::string_view alias,
                          std::string_view type, std::string_view note) {
  PC_RETURN_IF_ERROR(CheckResourceType(type));
  PC_ASSIGN_OR_RETURN(auto existing, LoadOverride(tx, alias));
  AliasOverride o = existing.value_or(OverrideFor(alias));
  o.extra_resource_types.emplace_back(type);
  o.extra_resource_types = SortedUnique(std::move(o.extra_resource_types));
  std::string now = FormatTimestamp(Now());
  std::string new_note = o.note.empty() ? std::string(note) : o.note;
  PC_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO governance_alias_overrides (alias, unrestricted, extra_resource_types, note, "
      "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (alias) DO UPDATE SET "
      "extra_resource_types = excluded.extra_resource_types, note = excluded.note, "
      "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
      {std::string(alias), int64_t{o.unrestricted ? 1 : 0}, ToJsonText(o.extra_resource_types),
       new_note, now, Actor(who)}));
  PC_ASSIGN_OR_RETURN(auto subs, LoadGoverned(tx, std::string(alias)));
  for (const auto& s : subs) {
    PC_RETURN_IF_ERROR(
        RequestConvergence(tx, s, true, "Resource type " + std::string(type) + " permitted"));
  }
  std::optional<std::string> org;
  if (!subs.empty()) org = subs[0].organization_id;
  return identity::IdentityService::Audit(tx, who, org, "governance.alias.permit", "alias", alias,
                                          {{"resourceType", std::string(type)}});
}

// --- GovernanceService

Result<json::object> GovernanceService::PublishedCatalog(const Principal&) {
  PC_ASSIGN_OR_RETURN(auto v, db_.InTransaction<CatalogVersion>(
                                  [&](Transaction& tx) { return LoadPublished(tx); }));
  std::set<std::string> types(v.resource_types.begin(), v.resource_types.end());
  std::set<std::string> actions(v.actions.begin(), v.actions.end());
  std::set<std::string> covered;
  json::array categories;
  for (const auto& c : PermittedServices::BuiltIn().categories()) {
    json::array items;
    for (const auto& item : c.items) {
      bool permitted = v.unrestricted;
      if (!permitted && !item.resource_types.empty()) {
        permitted = std::any_of(item.resource_types.begin(), item.resource_types.end(),
                                [&](const std::string& t) { return types.contains(t); });
      } else if (!permitted) {
        permitted = std::all_of(item.actions.begin(), item.actions.end(),
                                [&](const std::string& a) { return actions.contains(a); });
      }
      if (!permitted) continue;
      json::array item_types;
      for (const auto& t : item.resource_types) {
        if (v.unrestricted || types.contains(t)) {
          item_types.emplace_back(t);
          covered.insert(t);
        }
      }
      items.push_back(json::object{{"name", item.name}, {"resourceTypes", std::move(item_types)}});
    }
    if (!items.empty()) {
      categories.push_back(json::object{{"name", c.name}, {"items", std::move(items)}});
    }
  }
  json::array others;
  for (const auto& t : v.resource_types) {
    if (!covered.contains(t)) {
      others.push_back(json::object{{"name", t}, {"resourceTypes", json::array{json::value(t)}}});
    }
  }
  if (!others.empty()) {
    categories.push_back(json::object{{"name", "Other services"}, {"items", std::move(others)}});
  }
  return json::object{{"version", v.version},
                      {"unrestricted", v.unrestricted},
                      {"categories", std::move(categories)}};
}

Result<std::vector<CatalogVersion>> GovernanceService::ListVersions(const Principal& who) {
  if (!IsStaff(who)) return PermissionDenied("Only partner staff read the catalog versions");
  return db_.InTransaction<std::vector<CatalogVersion>>(
      [&](Transaction& tx) -> Result<std::vector<CatalogVersion>> {
        PC_RETURN_IF_ERROR(EnsureSeeded(tx));
        PC_ASSIGN_OR_RETURN(auto rows,
                            tx.Query("SELECT " + std::string(kVersionColumns) +
                                     " FROM governance_catalog_versions ORDER BY version DESC"));
        std::vector<CatalogVersion> out;
        for (const auto& r : rows) out.push_back(VersionOf(r));
        return out;
      });
}

Result<CatalogVersion> GovernanceService::GetVersion(const Principal& who, int64_t version) {
  if (!IsStaff(who)) return PermissionDenied("Only partner staff read the catalog versions");
  PC_ASSIGN_OR_RETURN(auto v, db_.InTransaction<std::optional<CatalogVersion>>(
                                  [&](Transaction& tx) { return LoadVersion(tx, version); }));
  if (!v) return NotFound("No catalog version " + std::to_string(version));
  return *v;
}

Result<json::object> GovernanceService::DiffOf(const CatalogVersion& v) {
  std::optional<CatalogVersion> base;
  if (v.based_on) {
    PC_ASSIGN_OR_RETURN(base, db_.InTransaction<std::optional<CatalogVersion>>(
                                  [&](Transaction& tx) { return LoadVersion(tx, *v.based_on); }));
  }
  CatalogVersion empty;
  const CatalogVersion& from = base ? *base : empty;
  json::value unrestricted = nullptr;
  if (base && base->unrestricted != v.unrestricted) {
    unrestricted = json::object{{"from", base->unrestricted}, {"to", v.unrestricted}};
  }
  return json::object{{"resourceTypes", ListDiff(from.resource_types, v.resource_types)},
                      {"actions", ListDiff(from.actions, v.actions)},
                      {"unrestricted", unrestricted}};
}

Result<CatalogVersion> GovernanceService::CreateVersion(const Principal& who,
                                                        const NewVersion& in) {
  if (!IsOperator(who)) return PermissionDenied("Only operators edit the catalog");
  if (in.note.size() > 2000) return InvalidArgument("Field 'note' is longer than 2000 characters");
  return db_.InTransaction<CatalogVersion>([&](Transaction& tx) -> Result<CatalogVersion> {
    PC_ASSIGN_OR_RETURN(auto base, LoadVersion(tx, in.based_on));
    if (!base) {
      return InvalidArgument("Field 'basedOn': there is no catalog version " +
                             std::to_string(in.based_on));
    }
    CatalogVersion v;
    v.based_on = in.based_on;
    v.state = "draft";
    v.unrestricted = in.unrestricted.value_or(base->unrestricted);
    PC_ASSIGN_OR_RETURN(v.resource_types,
                        CheckedTypes(in.resource_types.value_or(base->resource_types)));
    if (in.actions) {
      PC_ASSIGN_OR_RETURN(v.actions, CheckedActions(*in.actions));
    } else {
      // The base's actions, with "<type>/*" added for added types and removed for removed ones.
      std::set<std::string> actions(base->actions.begin(), base->actions.end());
      std::set<std::string> before(base->resource_types.begin(), base->resource_types.end());
      std::set<std::string> after(v.resource_types.begin(), v.resource_types.end());
      for (const auto& t : after) {
        if (!before.contains(t)) actions.insert(TypeAction(t));
      }
      for (const auto& t : before) {
        if (!after.contains(t)) actions.erase(TypeAction(t));
      }
      v.actions.assign(actions.begin(), actions.end());
    }
    v.note = in.note;
    v.author = Actor(who);
    v.created_at = FormatTimestamp(Now());
    PC_ASSIGN_OR_RETURN(
        auto max, tx.Query("SELECT COALESCE(MAX(version), 0) FROM governance_catalog_versions"));
    v.version = max[0].Int(0) + 1;
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO governance_catalog_versions (version, state, based_on, resource_types, "
        "actions, unrestricted, note, author, created_at) VALUES (?, 'draft', ?, ?, ?, ?, ?, ?, ?)",
        {v.version, *v.based_on, ToJsonText(v.resource_types), ToJsonText(v.actions),
         int64_t{v.unrestricted ? 1 : 0}, v.note, v.author, v.created_at}));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, std::nullopt, "governance.version.created", "catalog-version",
        std::to_string(v.version), {{"basedOn", *v.based_on}}));
    return v;
  });
}

Result<json::object> GovernanceService::Publish(const Principal& who, int64_t version,
                                                bool dry_run) {
  if (!IsOperator(who)) return PermissionDenied("Only operators publish the catalog");
  return db_.InTransaction<json::object>([&](Transaction& tx) -> Result<json::object> {
    PC_ASSIGN_OR_RETURN(auto v, LoadVersion(tx, version));
    if (!v) return NotFound("No catalog version " + std::to_string(version));
    if (v->state == "published") {
      return FailedPrecondition("Catalog version " + std::to_string(version) +
                                " is already published");
    }
    PC_ASSIGN_OR_RETURN(auto current, LoadPublished(tx));
    PC_ASSIGN_OR_RETURN(auto subs, LoadGoverned(tx));
    std::map<std::string, std::optional<AliasOverride>> overrides;
    for (const auto& s : subs) {
      if (!overrides.contains(s.alias)) {
        PC_ASSIGN_OR_RETURN(overrides[s.alias], LoadOverride(tx, s.alias));
      }
    }
    if (dry_run) {
      json::array out;
      for (const auto& s : subs) {
        const auto& o = overrides[s.alias];
        DesiredState before = Desired(current, o ? &*o : nullptr);
        DesiredState after = Desired(*v, o ? &*o : nullptr);
        json::array changes;
        if (before.actions != after.actions || before.not_actions != after.not_actions) {
          json::object diff = ListDiff(before.actions, after.actions);
          changes.push_back(json::object{{"object", "role-definition"},
                                         {"action", "update"},
                                         {"added", diff["added"]},
                                         {"removed", diff["removed"]}});
        }
        if (before.unrestricted != after.unrestricted ||
            before.resource_types != after.resource_types) {
          json::object diff = ListDiff(before.resource_types, after.resource_types);
          std::string action = after.unrestricted    ? "delete"
                               : before.unrestricted ? "create"
                                                     : "update";
          changes.push_back(json::object{{"object", "policy-assignment"},
                                         {"action", action},
                                         {"added", diff["added"]},
                                         {"removed", diff["removed"]}});
        }
        if (changes.empty()) continue;
        out.push_back(json::object{{"subscriptionId", s.subscription_id},
                                   {"alias", s.alias},
                                   {"organizationName", s.organization_name},
                                   {"changes", std::move(changes)}});
      }
      return json::object{{"version", version}, {"subscriptions", std::move(out)}};
    }
    std::string now = FormatTimestamp(Now());
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE governance_catalog_versions SET state = 'superseded' WHERE state = 'published'"));
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE governance_catalog_versions SET state = 'published', published_at = ?, "
                   "published_by = ? WHERE version = ?",
                   {now, Actor(who), version}));
    for (const auto& s : subs) {
      PC_RETURN_IF_ERROR(RequestConvergence(
          tx, s, true, "Catalog version " + std::to_string(version) + " published; converging"));
    }
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, std::nullopt, "governance.version.published", "catalog-version",
        std::to_string(version),
        {{"subscriptions", static_cast<int64_t>(subs.size())}, {"previous", current.version}}));
    return json::object{{"version", version}, {"subscriptions", static_cast<int64_t>(subs.size())}};
  });
}

Result<AliasOverride> GovernanceService::GetOverride(const Principal& who, std::string_view alias) {
  return db_.InTransaction<AliasOverride>([&](Transaction& tx) -> Result<AliasOverride> {
    PC_ASSIGN_OR_RETURN(auto owner, tx.Query("SELECT organization_id FROM billing_aliases "
                                             "WHERE alias = ?",
                                             {std::string(alias)}));
    if (owner.empty() || (!IsStaff(who) && owner[0].Text(0) != who.user.organization_id)) {
      return NotFound("No billing alias " + std::string(alias));
    }
    PC_ASSIGN_OR_RETURN(auto o, LoadOverride(tx, alias));
    return o.value_or(OverrideFor(alias));
  });
}

Result<AliasOverride> GovernanceService::PutOverride(const Principal& who, std::string_view alias,
                                                     const OverrideChange& change) {
  if (!IsOperator(who)) return PermissionDenied("Only operators grant exceptions to the catalog");
  if (change.note && change.note->size() > 2000) {
    return InvalidArgument("Field 'note' is longer than 2000 characters");
  }
  return db_.InTransaction<AliasOverride>([&](Transaction& tx) -> Result<AliasOverride> {
    PC_ASSIGN_OR_RETURN(auto owner, tx.Query("SELECT organization_id FROM billing_aliases "
                                             "WHERE alias = ?",
                                             {std::string(alias)}));
    if (owner.empty()) return NotFound("No billing alias " + std::string(alias));
    PC_ASSIGN_OR_RETURN(auto existing, LoadOverride(tx, alias));
    AliasOverride o = existing.value_or(OverrideFor(alias));
    if (change.unrestricted) o.unrestricted = *change.unrestricted;
    if (change.extra_resource_types) {
      PC_ASSIGN_OR_RETURN(o.extra_resource_types, CheckedTypes(*change.extra_resource_types));
    }
    if (change.note) o.note = *change.note;
    o.updated_at = FormatTimestamp(Now());
    o.updated_by = Actor(who);
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO governance_alias_overrides (alias, unrestricted, extra_resource_types, note, "
        "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (alias) DO UPDATE SET "
        "unrestricted = excluded.unrestricted, extra_resource_types = "
        "excluded.extra_resource_types, note = excluded.note, updated_at = excluded.updated_at, "
        "updated_by = excluded.updated_by",
        {o.alias, int64_t{o.unrestricted ? 1 : 0}, ToJsonText(o.extra_resource_types), o.note,
         *o.updated_at, *o.updated_by}));
    PC_ASSIGN_OR_RETURN(auto subs, LoadGoverned(tx, std::string(alias)));
    for (const auto& s : subs) {
      PC_RETURN_IF_ERROR(
          RequestConvergence(tx, s, true, "Exception for " + o.alias + " changed; converging"));
    }
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, owner[0].Text(0), "governance.alias.override", "alias", alias,
        {{"unrestricted", o.unrestricted},
         {"extraResourceTypes", ToArray(o.extra_resource_types)}}));
    return o;
  });
}

Result<DesiredState> GovernanceService::Effective(std::string_view alias) {
  return db_.InTransaction<DesiredState>([&](Transaction& tx) { return DesiredOf(tx, alias); });
}

namespace {

Result<std::vector<SubscriptionStatus>> StatusesOf(Transaction& tx,
                                                   const std::vector<GovernedSubscription>& subs,
                                                   bool detail) {
  PC_ASSIGN_OR_RETURN(auto published, LoadPublished(tx));
  PC_ASSIGN_OR_RETURN(auto v1, LoadVersion(tx, 1));
  std::map<std::string, std::optional<AliasOverride>> overrides;
  std::vector<SubscriptionStatus> out;
  // Every recorded state at once (one row per governed subscription), or the one asked for.
  std::map<std::string, store::Row> recorded;
  {
    std::string sql =
        "SELECT subscription_id, applied_version, applied_fingerprint, state, reason, "
        "last_checked_at, not_permitted FROM governance_subscriptions";
    std::vector<store::Param> params;
    if (subs.size() == 1) {
      sql += " WHERE subscription_id = ?";
      params.emplace_back(subs[0].subscription_id);
    }
    PC_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
    for (auto& r : rows) {
      std::string key = r.Text(0);
      recorded.emplace(std::move(key), std::move(r));
    }
  }
  for (const auto& s : subs) {
    if (!overrides.contains(s.alias)) {
      PC_ASSIGN_OR_RETURN(overrides[s.alias], LoadOverride(tx, s.alias));
    }
    const auto& o = overrides[s.alias];
    DesiredState d = Desired(published, o ? &*o : nullptr);
    SubscriptionStatus st;
    st.sub = s;
    st.desired_version = published.version;
    st.unrestricted = d.unrestricted;
    st.permitted_resource_types = d.resource_types;
    auto found = recorded.find(s.subscription_id);
    if (found == recorded.end()) {
      // Never checked: onboarding applied the shipped catalog (version 1).
      DesiredState shipped = Desired(*v1, nullptr);
      st.applied_version = 1;
      if (shipped.Fingerprint() == d.Fingerprint()) {
        st.state = "compliant";
        st.reason = "Applied by onboarding (catalog version 1); not checked since";
      } else {
        st.state = "converging";
        st.reason = "Not checked yet; the next reconcile brings it to the published version";
      }
    } else {
      const auto& r = found->second;
      if (!r.IsNull(1)) st.applied_version = r.Int(1);
      st.state = r.Text(3);
      st.reason = OptText(r, 4);
      st.last_checked_at = OptText(r, 5);
      if (st.state == "compliant" && (r.IsNull(2) || r.Text(2) != d.Fingerprint())) {
        st.state = "converging";
        st.reason = "The desired state changed since the last check";
      }
      auto np = ParseJson(r.Text(6));
      if (np.ok() && np->is_array()) st.not_permitted = np->as_array();
    }
    if (detail) {
      PC_ASSIGN_OR_RETURN(auto reps, tx.Query("SELECT at, object, what FROM governance_repairs "
                                              "WHERE subscription_id = ? ORDER BY at DESC",
                                              {s.subscription_id}));
      for (const auto& r : reps) st.repairs.push_back({r.Text(0), r.Text(1), r.Text(2)});
    }
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace

Result<std::vector<SubscriptionStatus>> GovernanceService::ListSubscriptions(
    const Principal& who, std::optional<std::string> alias, std::optional<std::string> state) {
  if (state && *state != "compliant" && *state != "converging" && *state != "drifted" &&
      *state != "failed") {
    return InvalidArgument("Query 'state' must be compliant, converging, drifted or failed");
  }
  std::optional<std::string> org;
  if (!IsStaff(who)) org = who.user.organization_id;
  return db_.InTransaction<std::vector<SubscriptionStatus>>(
      [&](Transaction& tx) -> Result<std::vector<SubscriptionStatus>> {
        PC_ASSIGN_OR_RETURN(auto subs, LoadGoverned(tx, alias, org));
        PC_ASSIGN_OR_RETURN(auto all, StatusesOf(tx, subs, false));
        if (!state) return all;
        std::vector<SubscriptionStatus> out;
        for (auto& s : all) {
          if (s.state == *state) out.push_back(std::move(s));
        }
        return out;
      });
}

Result<SubscriptionStatus> GovernanceService::GetSubscription(const Principal& who,
                                                              std::string_view id) {
  std::optional<std::string> org;
  if (!IsStaff(who)) org = who.user.organization_id;
  return db_.InTransaction<SubscriptionStatus>([&](Transaction& tx) -> Result<SubscriptionStatus> {
    PC_ASSIGN_OR_RETURN(auto subs, LoadGoverned(tx, std::nullopt, org, std::string(id)));
    if (subs.empty()) return NotFound("No governed subscription " + std::string(id));
    PC_ASSIGN_OR_RETURN(auto all, StatusesOf(tx, subs, true));
    return all.at(0);
  });
}

Status GovernanceService::Reconcile(const Principal& who, std::string_view id) {
  if (!IsOperator(who)) return PermissionDenied("Only operators start a reconcile");
  return db_.InTransaction([&](Transaction& tx) -> Status {
    PC_ASSIGN_OR_RETURN(auto subs, LoadGoverned(tx, std::nullopt, std::nullopt, std::string(id)));
    if (subs.empty()) return NotFound("No governed subscription " + std::string(id));
    PC_RETURN_IF_ERROR(RequestConvergence(tx, subs[0], false, "Reconcile requested"));
    return identity::IdentityService::Audit(tx, who, subs[0].organization_id,
                                            "governance.reconcile", "subscription", id);
  });
}

Result<int64_t> GovernanceService::ReconcileAll() {
  return db_.InTransaction<int64_t>([&](Transaction& tx) -> Result<int64_t> {
    PC_ASSIGN_OR_RETURN(auto subs, LoadGoverned(tx));
    for (const auto& s : subs) {
      PC_RETURN_IF_ERROR(RequestConvergence(tx, s, false, "Scheduled reconcile"));
    }
    return static_cast<int64_t>(subs.size());
  });
}

json::object ToJson(const CatalogVersion& v, bool with_content) {
  auto opt = [](const std::optional<std::string>& s) -> json::value {
    return s ? json::value(*s) : json::value(nullptr);
  };
  json::object o{{"version", v.version},
                 {"state", v.state},
                 {"author", v.author},
                 {"createdAt", v.created_at},
                 {"publishedAt", opt(v.published_at)},
                 {"publishedBy", opt(v.published_by)},
                 {"note", v.note},
                 {"unrestricted", v.unrestricted},
                 {"basedOn", v.based_on ? json::value(*v.based_on) : json::value(nullptr)}};
  if (with_content) {
    o["resourceTypes"] = ToArray(v.resource_types);
    o["actions"] = ToArray(v.actions);
  }
  return o;
}

json::object ToJson(const AliasOverride& o) {
  auto opt = [](const std::optional<std::string>& s) -> json::value {
    return s ? json::value(*s) : json::value(nullptr);
  };
  return {{"alias", o.alias},
          {"unrestricted", o.unrestricted},
          {"extraResourceTypes", ToArray(o.extra_resource_types)},
          {"note", o.note},
          {"updatedAt", opt(o.updated_at)},
          {"updatedBy", opt(o.updated_by)}};
}

json::object ToJson(const SubscriptionStatus& s, bool detail) {
  auto opt = [](const std::optional<std::string>& v) -> json::value {
    return v ? json::value(*v) : json::value(nullptr);
  };
  json::object o{{"subscriptionId", s.sub.subscription_id},
                 {"alias", s.sub.alias},
                 {"organizationName", s.sub.organization_name},
                 {"desiredVersion", s.desired_version},
                 {"appliedVersion",
                  s.applied_version ? json::value(*s.applied_version) : json::value(nullptr)},
                 {"state", s.state},
                 {"reason", opt(s.reason)},
                 {"lastCheckedAt", opt(s.last_checked_at)},
                 {"unrestricted", s.unrestricted}};
  if (detail) {
    o["permittedResourceTypes"] = ToArray(s.permitted_resource_types);
    o["notPermittedResources"] = s.not_permitted;
    json::array repairs;
    for (const auto& r : s.repairs) {
      repairs.push_back(json::object{{"at", r.at}, {"object", r.object}, {"what", r.what}});
    }
    o["repairs"] = std::move(repairs);
  }
  return o;
}

}  // namespace pc::governance
