// Governance: the permitted-services catalog as a live control.
//
// Catalog versions live in the database (governance_catalog_versions): resource types, role
// actions and the unrestricted flag, immutable once written; one version is published at a
// time (version 1, the shipped catalog, is written the first time anything reads the catalog).
// Per-alias overrides add resource types or make one alias unrestricted. The desired state of a
// customer subscription is the published version plus its alias's override (DesiredState);
// convergence jobs (governance/convergence.h) bring Azure to it and record each subscription's
// state. Operators publish and grant overrides; partner staff read everything; customers read
// their own organization's subscriptions and alias.
// Thread-safe (state is in the database).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "governance/catalog.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::governance {

// The job kind of a subscription's convergence (one job per subscription, id JobIdOf).
inline constexpr std::string_view kConvergeJobKind = "governance-converge";
// The role actions not granted even when unrestricted (as the built-in Contributor role).
inline constexpr std::string_view kUnrestrictedNotActions[] = {
    "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
    "Microsoft.Authorization/elevateAccess/Action"};
// Names of the platform's objects in each subscription (as onboarding writes them).
inline constexpr std::string_view kPolicyAssignmentName = "permitted-services";
std::string RoleDefinitionIdOf(std::string_view subscription_id);
std::string RoleAssignmentIdOf(std::string_view subscription_id);
std::string JobIdOf(std::string_view subscription_id);

struct CatalogVersion {
  int64_t version = 0;
  std::string state;  // draft | published | superseded
  std::optional<int64_t> based_on;
  std::vector<std::string> resource_types;  // sorted
  std::vector<std::string> actions;         // sorted
  bool unrestricted = false;
  std::string note;
  std::string author;
  std::string created_at;
  std::optional<std::string> published_at;
  std::optional<std::string> published_by;
};

struct AliasOverride {
  std::string alias;
  bool unrestricted = false;
  std::vector<std::string> extra_resource_types;  // sorted
  std::string note;
  std::optional<std::string> updated_at;
  std::optional<std::string> updated_by;
};

// What a subscription's role definition and policy assignment should say.
struct DesiredState {
  int64_t version = 0;
  bool unrestricted = false;
  std::vector<std::string> resource_types;  // the policy's list (empty when unrestricted)
  std::vector<std::string> actions;         // the custom role's actions
  std::vector<std::string> not_actions;
  // A short text that changes whenever anything above but the version changes.
  std::string Fingerprint() const;
};
DesiredState Desired(const CatalogVersion& v, const AliasOverride* o);
// The bodies of PUT roleDefinitions/{id} and PUT policyAssignments/permitted-services.
json::object RoleDefinitionBody(std::string_view subscription_id, const DesiredState& d);
json::object PolicyAssignmentBody(const DesiredState& d);

// A customer subscription the platform governs: a ready new-customer provider's.
struct GovernedSubscription {
  std::string subscription_id;
  std::string alias;
  std::string organization_id;
  std::string organization_name;
  std::string tenant_id;  // the alias's Azure customer (tenant)
};

struct Repair {
  std::string at, object, what;
};

struct SubscriptionStatus {
  GovernedSubscription sub;
  int64_t desired_version = 0;
  std::optional<int64_t> applied_version;
  std::string state;  // compliant | converging | drifted | failed
  std::optional<std::string> reason;
  std::optional<std::string> last_checked_at;
  bool unrestricted = false;
  std::vector<std::string> permitted_resource_types;
  json::array not_permitted;  // [{id,type}]
  std::vector<Repair> repairs;
};

struct NewVersion {
  int64_t based_on = 0;
  std::optional<std::vector<std::string>> resource_types;  // default: based_on's
  std::optional<std::vector<std::string>> actions;  // default: based_on's, adjusted for types
  std::optional<bool> unrestricted;                 // default: based_on's
  std::string note;
};

struct OverrideChange {
  std::optional<bool> unrestricted;
  std::optional<std::vector<std::string>> extra_resource_types;
  std::optional<std::string> note;
};

// --- In the caller's transaction (the convergence jobs and support's permit-service).

// Writes version 1 from the shipped catalog if there is no version yet.
Status EnsureSeeded(store::Transaction& tx);
Result<CatalogVersion> LoadPublished(store::Transaction& tx);
Result<std::optional<CatalogVersion>> LoadVersion(store::Transaction& tx, int64_t version);
Result<std::optional<AliasOverride>> LoadOverride(store::Transaction& tx, std::string_view alias);
Result<std::vector<GovernedSubscription>> LoadGoverned(store::Transaction& tx,
                                                       std::optional<std::string> alias = {},
                                                       std::optional<std::string> organization = {},
                                                       std::optional<std::string> sub = {});
// The desired state of one subscription now.
Result<DesiredState> DesiredOf(store::Transaction& tx, std::string_view alias);
// Asks for the subscription to be checked and brought to its desired state: bumps its
// generation, queues (or re-queues) its job. `converging`: the desired state changed.
Status RequestConvergence(store::Transaction& tx, const GovernedSubscription& sub, bool converging,
                          const std::string& reason);
// Adds `type` to the alias's extra resource types (permit-service requests) and queues the
// alias's subscriptions. Audited as `who`.
Status PermitResourceType(store::Transaction& tx, const identity::Principal& who,
                          std::string_view alias, std::string_view type, std::string_view note);
// "Namespace.Provider/type[/child...]".
Status CheckResourceType(std::string_view type);

class GovernanceService {
 public:
  explicit GovernanceService(store::Database& db) : db_(db) {}

  // Any authenticated user: the published version with the shipped catalog's categories.
  Result<json::object> PublishedCatalog(const identity::Principal& who);
  // Staff.
  Result<std::vector<CatalogVersion>> ListVersions(const identity::Principal& who);
  Result<CatalogVersion> GetVersion(const identity::Principal& who, int64_t version);
  // The diff of `v` against the version it was based on.
  Result<json::object> DiffOf(const CatalogVersion& v);
  // Operators.
  Result<CatalogVersion> CreateVersion(const identity::Principal& who, const NewVersion& in);
  // Operators. dry_run: what would change per subscription; else publishes and queues jobs.
  Result<json::object> Publish(const identity::Principal& who, int64_t version, bool dry_run);
  // Staff; customers their own alias.
  Result<AliasOverride> GetOverride(const identity::Principal& who, std::string_view alias);
  // Operators.
  Result<AliasOverride> PutOverride(const identity::Principal& who, std::string_view alias,
                                    const OverrideChange& change);
  Result<DesiredState> Effective(std::string_view alias);
  // Staff all; customers their organization's.
  Result<std::vector<SubscriptionStatus>> ListSubscriptions(const identity::Principal& who,
                                                            std::optional<std::string> alias,
                                                            std::optional<std::string> state);
  Result<SubscriptionStatus> GetSubscription(const identity::Principal& who, std::string_view id);
  // Operators: queues a check of one subscription.
  Status Reconcile(const identity::Principal& who, std::string_view id);
  // Queues a check of every governed subscription (the recurring reconcile). Returns how many.
  Result<int64_t> ReconcileAll();

  store::Database& db() { return db_; }

 private:
  store::Database& db_;
};

json::object ToJson(const CatalogVersion& v, bool with_content);
json::object ToJson(const AliasOverride& o);
json::object ToJson(const SubscriptionStatus& s, bool detail);

}  // namespace pc::governance
