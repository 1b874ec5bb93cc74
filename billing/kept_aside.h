// Usage kept aside, mapped by hand (issue 17 item 2): an operator says which billing alias an
// Azure subscription the platform does not know belongs to; its kept-aside usage is then
// attributed exactly once (usage_import.h AttributeKeptAside): to the open month, or through the
// next close's reconciliation line for a closed month. Thread-safe (no state of its own).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "billing/usage_import.h"
#include "core/json.h"
#include "core/result.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::billing {

struct SubscriptionMapping {
  std::string azure_subscription_id;  // lower case
  std::string billing_alias;          // upper case
  std::string customer_id;            // lower case; "" bills every customer's usage of it
};

// Reads {azureSubscriptionId, billingAlias, customerId?}. InvalidArgument naming the field.
Result<SubscriptionMapping> SubscriptionMappingFromJson(const json::object& body);

// Maps the subscription to the alias (operators only: PermissionDenied) and attributes its
// kept-aside usage, in one transaction, audited (usage.mapped). NotFound for an alias that does
// not exist; Conflict when the subscription is billed to another alias already. Mapping again to
// the same alias attributes whatever is still kept aside (nothing twice).
Result<std::vector<Attribution>> MapSubscription(store::Database& db,
                                                 const identity::Principal& who,
                                                 const SubscriptionMapping& mapping);

json::object ToJson(const Attribution& a);

}  // namespace pc::billing
