#include "governance/catalog.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace pc::governance {
namespace {

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(CatalogTest, BuiltInCatalogHasTheSeedsSixCategories) {
  const auto& c = PermittedServices::BuiltIn();
  std::vector<std::string> names;
  for (const auto& cat : c.categories()) names.push_back(cat.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"General Resources", "Microsoft Insights", "Resource Groups",
                                      "Network and Load Balancers", "Storage", "Compute"}));
  EXPECT_EQ(c.categories()[3].items.size(), 18u);  // the seed lists 18 network items
  EXPECT_EQ(c.role_name(), "Cloud Integration");
}

TEST(CatalogTest, DerivesTypesActionsAndProviders) {
  const auto& c = PermittedServices::BuiltIn();
  auto types = c.ResourceTypes();
  EXPECT_TRUE(Has(types, "Microsoft.Compute/virtualMachines"));
  EXPECT_TRUE(Has(types, "Microsoft.Storage/storageAccounts"));
  EXPECT_FALSE(Has(types, "Microsoft.Sql/servers"));
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
  EXPECT_EQ(std::adjacent_find(types.begin(), types.end()), types.end());  // no duplicates
  auto namespaces = c.Namespaces();
  EXPECT_EQ(namespaces, (std::vector<std::string>{"Microsoft.Compute", "Microsoft.Insights",
                                                  "Microsoft.Network", "Microsoft.ResourceHealth",
                                                  "Microsoft.Resources", "Microsoft.Storage"}));
  EXPECT_TRUE(Has(c.Actions(), "Microsoft.Resources/subscriptions/read"));
}

TEST(CatalogTest, RoleAndPolicyBodies) {
  const auto& c = PermittedServices::BuiltIn();
  auto role = c.RoleDefinitionBody("aaaa");
  const auto& props = role.at("properties").as_object();
  EXPECT_EQ(props.at("type").as_string(), "CustomRole");
  EXPECT_EQ(props.at("assignableScopes").as_array().at(0).as_string(), "/subscriptions/aaaa");
  EXPECT_EQ(props.at("permissions").as_array().at(0).at("actions").as_array().size(),
            c.Actions().size());
  auto policy = c.PolicyAssignmentBody();
  const auto& pp = policy.at("properties").as_object();
  EXPECT_EQ(pp.at("policyDefinitionId").as_string(), kAllowedResourceTypesPolicy);
  EXPECT_EQ(pp.at("parameters").at("listOfResourceTypesAllowed").at("value").as_array().size(),
            c.ResourceTypes().size());
}

TEST(CatalogTest, BadDocumentsNameTheProblem) {
  auto bad = PermittedServices::Parse(R"({"version":"1","roleName":"r","roleDescription":"d",
      "baseActions":[],"categories":[{"name":"Compute","namespaces":["Microsoft.Compute"],
      "items":[{"name":"SQL","resourceTypes":["Microsoft.Sql/servers"],"actions":[]}]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Microsoft.Sql/servers"), std::string::npos);
  EXPECT_FALSE(PermittedServices::Parse("{").ok());
  EXPECT_FALSE(PermittedServices::Parse(R"({"version":1})").ok());
}

}  // namespace
}  // namespace pc::governance
