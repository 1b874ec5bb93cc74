#include "sandbox/bench_accounts.h"

#include <algorithm>
#include <cctype>

namespace pc::sandbox {

http::Response AddClcAccounts(State& state, const json::object& body) {
  auto bad = [](std::string_view message) {
    return http::ErrorResponse(http::Status::bad_request, "InvalidArgument", message);
  };
  std::string parent = "T3N";
  if (const auto* p = body.if_contains("parent")) {
    if (!p->is_string()) return bad("Field 'parent' must be an account alias");
    parent = std::string(p->as_string());
  }
  if (!state.clc_accounts.count(parent)) return bad("No CLC account '" + parent + "'");
  const auto* list = body.if_contains("aliases");
  if (!list || !list->is_array() || list->as_array().empty() || list->as_array().size() > 50000) {
    return bad("Field 'aliases' must be an array of 1 to 50000 account aliases");
  }
  int64_t added = 0;
  for (const auto& v : list->as_array()) {
    if (!v.is_string()) return bad("Every alias must be a string such as B001");
    std::string alias(v.as_string());
    if (alias.empty() || alias.size() > 6 || !std::all_of(alias.begin(), alias.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) ||
                 std::isupper(static_cast<unsigned char>(c));
        })) {
      return bad("Alias '" + alias + "' must be 1 to 6 upper-case letters or digits");
    }
    if (state.clc_accounts.count(alias)) continue;
    ClcAccount a;
    a.alias = alias;
    a.parent = parent;
    a.business_name = "Bench Customer " + alias;
    a.address1 = "1 Main Street";
    a.city = "Springfield";
    a.state = "IL";
    a.postal_code = "62701";
    a.country = "US";
    a.account_type = "Customer";
    state.clc_accounts[alias] = std::move(a);
    ++added;
  }
  return http::JsonResponse(http::Status::ok, json::object{{"added", added}});
}

}  // namespace pc::sandbox
