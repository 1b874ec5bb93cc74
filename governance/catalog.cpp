#include "governance/catalog.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace pc::governance {

std::string_view PermittedServicesDocument();  // generated from permitted_services.json

namespace {

Result<std::vector<std::string>> StringArray(const json::object& o, std::string_view key,
                                             const std::string& where) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_array()) {
    return InvalidArgument(where + ": '" + std::string(key) + "' must be an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) {
      return InvalidArgument(where + ": '" + std::string(key) + "' must contain only strings");
    }
    out.emplace_back(v.as_string());
  }
  return out;
}

json::array ToArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::vector<std::string> Sorted(std::set<std::string> s) { return {s.begin(), s.end()}; }

}  // namespace

Result<PermittedServices> PermittedServices::Parse(std::string_view json_text) {
  PC_ASSIGN_OR_RETURN(json::object doc, ParseJsonObject(json_text));
  PermittedServices c;
  PC_ASSIGN_OR_RETURN(c.version_, RequiredString(doc, "version"));
  PC_ASSIGN_OR_RETURN(c.role_name_, RequiredString(doc, "roleName"));
  PC_ASSIGN_OR_RETURN(c.role_description_, RequiredString(doc, "roleDescription"));
  PC_ASSIGN_OR_RETURN(c.base_actions_, StringArray(doc, "baseActions", "catalog"));
  auto cats = doc.find("categories");
  if (cats == doc.end() || !cats->value().is_array()) {
    return InvalidArgument("catalog: 'categories' must be an array");
  }
  for (const auto& cv : cats->value().as_array()) {
    if (!cv.is_object()) return InvalidArgument("catalog: each category must be an object");
    const auto& co = cv.as_object();
    CatalogCategory cat;
    PC_ASSIGN_OR_RETURN(cat.name, RequiredString(co, "name"));
    std::string where = "category '" + cat.name + "'";
    PC_ASSIGN_OR_RETURN(cat.namespaces, StringArray(co, "namespaces", where));
    auto items = co.find("items");
    if (items == co.end() || !items->value().is_array()) {
      return InvalidArgument(where + ": 'items' must be an array");
    }
    for (const auto& iv : items->value().as_array()) {
      if (!iv.is_object()) return InvalidArgument(where + ": each item must be an object");
      CatalogItem item;
      PC_ASSIGN_OR_RETURN(item.name, RequiredString(iv.as_object(), "name"));
      std::string item_where = where + " item '" + item.name + "'";
      PC_ASSIGN_OR_RETURN(item.resource_types,
                          StringArray(iv.as_object(), "resourceTypes", item_where));
      PC_ASSIGN_OR_RETURN(item.actions, StringArray(iv.as_object(), "actions", item_where));
      for (const auto& t : item.resource_types) {
        auto slash = t.find('/');
        if (slash == std::string::npos || std::find(cat.namespaces.begin(), cat.namespaces.end(),
                                                    t.substr(0, slash)) == cat.namespaces.end()) {
          return InvalidArgument(item_where + ": resource type '" + t +
                                 "' is not in the category's namespaces");
        }
      }
      cat.items.push_back(std::move(item));
    }
    c.categories_.push_back(std::move(cat));
  }
  return c;
}

const PermittedServices& PermittedServices::BuiltIn() {
  static const PermittedServices catalog = [] {
    auto parsed = Parse(PermittedServicesDocument());
    if (!parsed.ok()) {
      throw std::logic_error("built-in catalog is invalid: " + parsed.error().message);
    }
    return std::move(parsed).value();
  }();
  return catalog;
}

std::vector<std::string> PermittedServices::ResourceTypes() const {
  std::set<std::string> s;
  for (const auto& c : categories_) {
    for (const auto& i : c.items) s.insert(i.resource_types.begin(), i.resource_types.end());
  }
  return Sorted(std::move(s));
}

std::vector<std::string> PermittedServices::Actions() const {
  std::set<std::string> s(base_actions_.begin(), base_actions_.end());
  for (const auto& c : categories_) {
    for (const auto& i : c.items) s.insert(i.actions.begin(), i.actions.end());
  }
  return Sorted(std::move(s));
}

std::vector<std::string> PermittedServices::Namespaces() const {
  std::set<std::string> s;
  for (const auto& c : categories_) s.insert(c.namespaces.begin(), c.namespaces.end());
  return Sorted(std::move(s));
}

json::object PermittedServices::RoleDefinitionBody(std::string_view subscription_id) const {
  std::string scope = "/subscriptions/" + std::string(subscription_id);
  json::object permission{{"actions", ToArray(Actions())},
                          {"notActions", json::array{}},
                          {"dataActions", json::array{}},
                          {"notDataActions", json::array{}}};
  return {{"properties",
           {{"roleName", role_name_ + " (" + std::string(subscription_id) + ")"},
            {"description", role_description_ + " Catalog version " + version_ + "."},
            {"type", "CustomRole"},
            {"permissions", json::array{permission}},
            {"assignableScopes", json::array{json::value(scope)}}}}};
}

json::object PermittedServices::PolicyAssignmentBody() const {
  return {
      {"properties",
       {{"displayName", "Allowed resource types (" + role_name_ + ")"},
        {"description", "The permitted services of the provider's catalog, version " + version_ +
                            ". Ask your provider's support for more services."},
        {"policyDefinitionId", kAllowedResourceTypesPolicy},
        {"parameters", {{"listOfResourceTypesAllowed", {{"value", ToArray(ResourceTypes())}}}}},
        {"enforcementMode", "Default"},
        {"metadata", {{"assignedBy", "partnercloud"}, {"catalogVersion", version_}}},
        {"nonComplianceMessages",
         json::array{json::object{{"message",
                                   "This resource type is not permitted by your provider; open a "
                                   "support request to ask for it."}}}}}}};
}

}  // namespace pc::governance
