// The permitted-services catalog: which Azure services a provider's customers may use, shipped
// as versioned data (permitted_services.json, from the seed's list) and turned into the three
// things Azure enforces: the custom role's actions, the Allowed resource types policy's list,
// and the resource providers to register in each subscription.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace pc::governance {

struct CatalogItem {
  std::string name;                         // verbatim from the seed, e.g. "Virtual Machines"
  std::vector<std::string> resource_types;  // e.g. "Microsoft.Compute/virtualMachines"
  std::vector<std::string> actions;  // RBAC actions, e.g. "Microsoft.Compute/virtualMachines/*"
};

struct CatalogCategory {
  std::string name;                     // e.g. "Compute"
  std::vector<std::string> namespaces;  // resource providers, e.g. "Microsoft.Compute"
  std::vector<CatalogItem> items;
};

// The built-in policy definition the catalog is enforced with.
inline constexpr std::string_view kAllowedResourceTypesPolicy =
    "/providers/Microsoft.Authorization/policyDefinitions/a08ec900-254a-4555-9bf5-e42af04b5c5c";

class PermittedServices {
 public:
  // Parses a catalog document (the format of permitted_services.json). Errors name the field.
  static Result<PermittedServices> Parse(std::string_view json_text);
  // The catalog compiled into the binary.
  static const PermittedServices& BuiltIn();

  const std::string& version() const { return version_; }
  const std::string& role_name() const { return role_name_; }
  const std::vector<CatalogCategory>& categories() const { return categories_; }

  // Sorted, without duplicates.
  std::vector<std::string> ResourceTypes() const;
  std::vector<std::string> Actions() const;     // base actions + every item's actions
  std::vector<std::string> Namespaces() const;  // resource providers to register

  // The body of PUT .../roleDefinitions/{id} (api-version 2022-04-01) for a subscription.
  json::object RoleDefinitionBody(std::string_view subscription_id) const;
  // The body of PUT .../policyAssignments/{name} (api-version 2023-04-01).
  json::object PolicyAssignmentBody() const;

 private:
  std::string version_;
  std::string role_name_;
  std::string role_description_;
  std::vector<std::string> base_actions_;
  std::vector<CatalogCategory> categories_;
};

}  // namespace pc::governance
