// CenturyLink Cloud API v2 under /clc/v2: login, accounts, the sub-account listing (a sandbox
// definition, CLC v2 has none in public), invoices, and the invoice-line sink.
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>

#include "core/decimal.h"
#include "sandbox/jwt.h"
#include "sandbox/services.h"

namespace pc::sandbox {

namespace {

constexpr int64_t kTokenLifetime = 14 * 24 * 3600;
constexpr std::string_view kBadLogin =
    "We didn't recognize the username or password you entered. Please try again.";

json::object AccountJson(const ClcAccount& a) {
  json::array links{json::object{{"rel", "self"}, {"href", "/v2/accounts/" + a.alias}}};
  if (!a.parent.empty()) {
    links.push_back(json::object{{"rel", "parentAccount"}, {"href", "/v2/accounts/" + a.parent}});
  }
  return json::object{{"addressLine1", a.address1},
                      {"city", a.city},
                      {"stateProvince", a.state},
                      {"country", a.country},
                      {"postalCode", a.postal_code},
                      {"telephone", "800-555-0100"},
                      {"status", a.status},
                      {"isManaged", false},
                      {"links", std::move(links)},
                      {"accountAlias", a.alias},
                      {"businessName", a.business_name},
                      {"parentAlias", a.parent},
                      {"primaryDataCenter", a.country == "GB" ? "GB3" : "VA1"},
                      {"accountType", a.account_type}};
}

// The caller's claims, or a 401 response.
struct Caller {
  std::string user, alias;
};

std::optional<Caller> Authenticate(State& state, const http::Request& req) {
  std::string auth = Header(req, "Authorization");
  if (!boost::istarts_with(auth, "Bearer ")) return std::nullopt;
  auto claims = VerifyHs256(auth.substr(7), state.clc_signing_key);
  if (!claims.ok()) return std::nullopt;
  auto exp = claims->find("exp");
  if (exp == claims->end() || !exp->value().is_int64() ||
      exp->value().as_int64() <= ToUnixSeconds(state.Now())) {
    return std::nullopt;
  }
  return Caller{std::string(claims->at("unique_name").as_string()),
                std::string(claims->at("urn:tier3:account-alias").as_string())};
}

http::Response Unauthorized() {
  return ClcError(http::Status::unauthorized, "Authorization has been denied for this request.");
}

// True when `alias` is the caller's account or one of its descendants.
bool InTree(const State& state, const std::string& root, const std::string& alias) {
  std::string a = alias;
  for (int depth = 0; depth < 16 && !a.empty(); ++depth) {
    if (a == root) return true;
    auto it = state.clc_accounts.find(a);
    if (it == state.clc_accounts.end()) return false;
    a = it->second.parent;
  }
  return false;
}

// Resolves {alias} for an authenticated caller: 404 if unknown, 403 outside the caller's tree.
std::variant<const ClcAccount*, http::Response> AccountFor(State& state, const Caller& caller,
                                                           std::string alias) {
  boost::to_upper(alias);
  auto it = state.clc_accounts.find(alias);
  if (it == state.clc_accounts.end()) {
    return ClcError(http::Status::not_found, "The requested resource does not exist.");
  }
  if (!InTree(state, caller.alias, alias)) {
    return ClcError(http::Status::forbidden,
                    "The account alias " + alias + " is not accessible to this user.");
  }
  return &it->second;
}

void AddDescendants(const State& state, const std::string& alias, json::array& out) {
  for (const auto& [a, acct] : state.clc_accounts) {
    if (acct.parent == alias) {
      out.push_back(AccountJson(acct));
      AddDescendants(state, a, out);
    }
  }
}

Result<Decimal> DecimalField(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) {
    return InvalidArgument("Field '" + std::string(key) +
                           "' is required and must be a decimal string such as \"123.45\"");
  }
  return Decimal::Parse(it->value().as_string());
}

}  // namespace

http::Response ClcError(http::Status status, std::string_view message) {
  auto res = http::JsonResponse(status, json::object{{"message", message}});
  res.set(http::beast_http::field::content_type, "application/json; charset=utf-8");
  return res;
}

void AddClcRoutes(http::Router& router, State& state) {
  router.Add(http::Verb::post, "/clc/v2/authentication/login", [&state](http::RequestContext& ctx) {
    auto body = ParseJsonObject(ctx.request.body());
    if (!body.ok()) return ClcError(http::Status::bad_request, "The request is invalid.");
    std::string user = StringCi(*body, "username"), password = StringCi(*body, "password");
    std::lock_guard lock(state.mu);
    auto it = state.clc_users.find(boost::to_lower_copy(user));
    if (it == state.clc_users.end() || password != kClcPassword) {
      return ClcError(http::Status::bad_request, kBadLogin);
    }
    const ClcUser& u = it->second;
    std::string location = state.clc_accounts[u.alias].country == "GB" ? "GB3" : "VA1";
    int64_t now = ToUnixSeconds(state.Now());
    json::array roles;
    for (const auto& r : u.roles) roles.push_back(json::string(r));
    json::object claims{{"iss", "urn:api-tier3"},
                        {"aud", "urn:tier3-users"},
                        {"nbf", now},
                        {"exp", now + kTokenLifetime},
                        {"role", roles},
                        {"unique_name", u.username},
                        {"urn:tier3:account-alias", u.alias},
                        {"urn:tier3:location-alias", location}};
    json::object out{{"userName", u.username},
                     {"accountAlias", u.alias},
                     {"locationAlias", location},
                     {"roles", roles},
                     {"bearerToken", SignHs256(claims, state.clc_signing_key)}};
    return http::JsonResponse(http::Status::ok, out);
  });

  router.Add(http::Verb::get, "/clc/v2/accounts/{alias}", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    auto caller = Authenticate(state, ctx.request);
    if (!caller) return Unauthorized();
    auto acct = AccountFor(state, *caller, ctx.params["alias"]);
    if (auto* res = std::get_if<http::Response>(&acct)) return std::move(*res);
    return http::JsonResponse(http::Status::ok, AccountJson(*std::get<0>(acct)));
  });

  // Sandbox definition (CLC v2 publishes no sub-account listing): every descendant of {alias},
  // depth first, as an array of account objects in the GET /v2/accounts/{alias} shape.
  router.Add(http::Verb::get, "/clc/v2/accounts/{alias}/subAccounts",
             [&state](http::RequestContext& ctx) {
               std::lock_guard lock(state.mu);
               auto caller = Authenticate(state, ctx.request);
               if (!caller) return Unauthorized();
               auto acct = AccountFor(state, *caller, ctx.params["alias"]);
               if (auto* res = std::get_if<http::Response>(&acct)) return std::move(*res);
               json::array out;
               AddDescendants(state, std::get<0>(acct)->alias, out);
               return http::JsonResponse(http::Status::ok, out);
             });

  router.Add(
      http::Verb::get, "/clc/v2/invoice/{alias}/{year}/{month}",
      [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        auto caller = Authenticate(state, ctx.request);
        if (!caller) return Unauthorized();
        auto acct = AccountFor(state, *caller, ctx.params["alias"]);
        if (auto* res = std::get_if<http::Response>(&acct)) return std::move(*res);
        const ClcAccount& a = *std::get<0>(acct);
        int year = 0, month = 0;
        try {
          year = std::stoi(ctx.params["year"]);
          month = std::stoi(ctx.params["month"]);
        } catch (const std::exception&) {
        }
        auto ym = YearMonth::Of(year, month);
        if (!ym.ok() || ctx.params["year"].size() != 4) {
          return ClcError(http::Status::bad_request,
                          "The year must be YYYY and the month 1 to 12.");
        }
        if (ym->Start() > state.Now()) {
          return ClcError(http::Status::bad_request, "The invoice month is in the future.");
        }
        std::string pricing = ctx.query.count("pricingAccountAlias")
                                  ? ctx.query["pricingAccountAlias"]
                                  : ctx.query["pricingAccount"];
        if (pricing.empty()) pricing = a.alias;
        boost::to_upper(pricing);
        Decimal total = Decimal::FromInt(0).Rescale(2).value();
        json::array items;
        for (const auto& line : state.invoice_lines) {
          if (line.at("accountAlias").as_string() != a.alias ||
              line.at("year").as_int64() != year || line.at("month").as_int64() != month) {
            continue;
          }
          auto item_total = Decimal::Parse(line.at("itemTotal").as_string()).value();
          total = total.Add(item_total).value();
          items.push_back(
              json::object{{"quantity", line.at("quantity")},
                           {"description", line.at("description")},
                           {"unitCost", DecimalJson(std::string(line.at("unitCost").as_string()))},
                           {"itemTotal", DecimalJson(item_total.ToString())},
                           {"serviceLocation", line.at("serviceLocation")},
                           {"itemDetails", json::array{}}});
        }
        char id[16];
        std::snprintf(id, sizeof id, "%08X",
                      static_cast<unsigned>(std::hash<std::string>{}(a.alias + ym->ToString())));
        json::object out{
            {"id", a.alias + id},
            {"terms", "Net 15"},
            {"companyName", a.business_name},
            {"accountAlias", a.alias},
            {"pricingAccountAlias", pricing},
            {"parentAccountAlias", a.parent},
            {"address1", a.address1},
            {"city", a.city},
            {"stateProvince", a.state},
            {"postalCode", a.postal_code},
            {"billingContactEmail", "billing@" + boost::to_lower_copy(a.alias) + ".example"},
            {"invoiceCCEmail", ""},
            {"totalAmount", DecimalJson(total.ToString())},
            {"invoiceDate", Iso(ym->Next().Start())},
            {"lineItems", std::move(items)}};
        return ExactJsonResponse(http::Status::ok, out);
      });

  // The invoice-line sink (sandbox adapter point for a provider's billing system): idempotent on
  // "key": the same key and body again is 200 with the stored line, a different body is 409.
  router.Add(
      http::Verb::post, "/clc/v2/invoice/{alias}/lines", [&state](http::RequestContext& ctx) {
        auto body = ParseJsonObject(ctx.request.body());
        if (!body.ok()) return ClcError(http::Status::bad_request, body.error().message);
        std::lock_guard lock(state.mu);
        auto caller = Authenticate(state, ctx.request);
        if (!caller) return Unauthorized();
        auto acct = AccountFor(state, *caller, ctx.params["alias"]);
        if (auto* res = std::get_if<http::Response>(&acct)) return std::move(*res);
        auto key = RequiredString(*body, "key");
        auto description = RequiredString(*body, "description");
        auto year = OptionalInt(*body, "year");
        auto month = OptionalInt(*body, "month");
        auto quantity = OptionalInt(*body, "quantity");
        auto unit = DecimalField(*body, "unitCost");
        auto location = OptionalString(*body, "serviceLocation");
        for (const Error* e :
             {key.ok() ? nullptr : &key.error(), description.ok() ? nullptr : &description.error(),
              year.ok() ? nullptr : &year.error(), month.ok() ? nullptr : &month.error(),
              quantity.ok() ? nullptr : &quantity.error(), unit.ok() ? nullptr : &unit.error(),
              location.ok() ? nullptr : &location.error()}) {
          if (e) return ClcError(http::Status::bad_request, e->message);
        }
        if (!year->has_value() || !month->has_value() ||
            !YearMonth::Of(static_cast<int>(**year), static_cast<int>(**month)).ok()) {
          return ClcError(http::Status::bad_request,
                          "Fields 'year' (YYYY) and 'month' (1 to 12) are required integers.");
        }
        int64_t qty = quantity->value_or(1);
        auto total = unit->Mul(Decimal::FromInt(qty));
        if (!total.ok()) return ClcError(http::Status::bad_request, total.error().message);
        json::object line{{"key", *key},
                          {"accountAlias", std::get<0>(acct)->alias},
                          {"year", **year},
                          {"month", **month},
                          {"quantity", qty},
                          {"description", *description},
                          {"unitCost", unit->ToString()},
                          {"itemTotal", total->ToString()},
                          {"serviceLocation", location->value_or("")}};
        for (const auto& existing : state.invoice_lines) {
          if (existing.at("key") != line.at("key")) continue;
          json::object stored = existing;
          stored.erase("postedAt");
          if (stored != line) {
            return ClcError(http::Status::conflict,
                            "An invoice line with key '" + *key +
                                "' was already posted with different content.");
          }
          return http::JsonResponse(http::Status::ok, existing);
        }
        line["postedAt"] = Iso(state.Now());
        state.invoice_lines.push_back(line);
        return http::JsonResponse(http::Status::created, line);
      });
}

}  // namespace pc::sandbox
