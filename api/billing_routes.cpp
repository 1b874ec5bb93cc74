// Billing: the seed's estimate API, month-to-date summaries, detail CSV, invoices, month close
// and pricing rules. Handlers parse, call and map: each billing function takes the Principal
// and decides who may do what; the seed's estimate API is authorized by CLC (AuthorizeEstimate).
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/beast/core/string.hpp>

#include "api/respond.h"
#include "api/routes.h"
#include "billing/charges.h"
#include "billing/clc_billing.h"
#include "billing/focus_export.h"
#include "billing/listings.h"
#include "billing/margin.h"
#include "billing/month_close.h"
#include "billing/pricing.h"

namespace pc::api {

namespace {

using identity::Principal;

// A CLC alias: 1 to 6 letters or digits, upper-cased.
Result<std::string> AliasParam(const http::RequestContext& req) {
  std::string alias = boost::to_upper_copy(req.params.at("alias"));
  if (alias.empty() || alias.size() > 6 || !std::all_of(alias.begin(), alias.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c));
      })) {
    return InvalidArgument("A billing alias is 1 to 6 letters or digits, such as ACME");
  }
  return alias;
}

// ?month=YYYY-MM, or the current month (UTC).
Result<YearMonth> MonthParam(const http::RequestContext& req) {
  auto it = req.query.find("month");
  if (it == req.query.end() || it->second.empty()) return YearMonth::Containing(Now());
  return YearMonth::Parse(it->second);
}

// The capabilities these routes use (api/api.h).
billing::ClcTokenVerifier* ClcTokens(const ApiContext& ctx) {
  return ctx.capabilities.Find<billing::ClcTokenVerifier>(capability::kClcTokens);
}
InvoicePoster PostInvoiceLine(const ApiContext& ctx) {
  auto* post = ctx.capabilities.Find<InvoicePoster>(capability::kInvoicePoster);
  return post ? *post : InvoicePoster{};
}

// What the FOCUS export says about the partner (partner.name).
billing::FocusOptions FocusOptions(const ApiContext& ctx) {
  billing::FocusOptions options;
  options.invoice_issuer = ctx.options.partner_name;
  return options;
}

// True when the bearer token looks like a CLC v2 token (a JWT: three dot-separated parts);
// our session and API tokens never contain a dot.
bool IsClcToken(std::string_view token) { return std::count(token.begin(), token.end(), '.') == 2; }

// Who may read `alias` through the seed's API: a CLC bearer token CLC accepts for the alias
// (nullopt: nothing more to check), or our own session / API token, whose principal the caller
// checks against the alias inside its reading transaction (billing::CheckAliasAccess).
Result<std::optional<Principal>> AuthorizeEstimate(http::RequestContext& req, ApiContext& ctx,
                                                   const std::string& alias) {
  std::string_view auth = req.request[boost::beast::http::field::authorization];
  if (auth.size() > 7 && boost::beast::iequals(auth.substr(0, 7), "Bearer ") &&
      IsClcToken(auth.substr(7))) {
    auto* clc_tokens = ClcTokens(ctx);
    if (!clc_tokens) {
      return Unauthenticated("CenturyLink Cloud tokens are not accepted by this server");
    }
    PC_RETURN_IF_ERROR(clc_tokens->Verify(std::string(auth.substr(7)), alias));
    return std::optional<Principal>();
  }
  PC_ASSIGN_OR_RETURN(auto who, Authenticate(req, ctx));
  return std::optional<Principal>(std::move(who));
}

}  // namespace

void AddBillingRoutes(http::Router& router, ApiContext& ctx) {
  ClcTokens(ctx);  // looked up now: the startup check knows these routes use them
  PostInvoiceLine(ctx);
  // The seed's Usage Estimates API (seed-system.md §4.3), at its original path and shape.
  router.Add(
      http::Verb::get, "/accounts/{alias}/azure/billingestimate",
      [&ctx](http::RequestContext& req) -> http::Response {
        auto alias = AliasParam(req);
        if (!alias.ok()) return ErrorReply(alias.error());
        auto who = AuthorizeEstimate(req, ctx, *alias);
        if (!who.ok()) return ErrorReply(who.error());
        YearMonth month = YearMonth::Containing(Now());
        using Rendered = std::shared_ptr<const billing::RenderedSummary>;
        auto rendered =
            ctx.db.InReadTransaction<Rendered>([&](store::Transaction& tx) -> Result<Rendered> {
              if (*who) PC_RETURN_IF_ERROR(billing::CheckAliasAccess(tx, **who, *alias));
              return billing::RenderMonth(tx, *alias, month);
            });
        if (!rendered.ok()) return ErrorReply(rendered.error());
        return http::TextResponse(http::Status::ok, (*rendered)->estimate, "application/json");
      });

  router.Add(http::Verb::get, "/api/v1/billing",
             Authed(ctx, [&ctx](http::RequestContext&, const Principal& who) {
               auto aliases = billing::ListBillingAliases(ctx.db, who);
               if (!aliases.ok()) return ErrorReply(aliases.error());
               json::array items;
               for (const auto& a : *aliases) items.push_back(billing::ToJson(a));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));

  // Before /api/v1/billing/{alias}, which would otherwise take "closes" for an alias.
  router.Add(http::Verb::get, "/api/v1/billing/closes",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               std::optional<YearMonth> month;
               if (auto it = req.query.find("month");
                   it != req.query.end() && !it->second.empty()) {
                 auto parsed = YearMonth::Parse(it->second);
                 if (!parsed.ok()) return ErrorReply(parsed.error());
                 month = *parsed;
               }
               auto lines = billing::ListClosedLines(ctx.db, who, month);
               if (!lines.ok()) return ErrorReply(lines.error());
               json::array items;
               for (const auto& l : *lines) {
                 json::object item = billing::ToJson(l);
                 item["month"] = l.invoice_month;
                 items.push_back(std::move(item));
               }
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));
  // Partner margin per alias of a month (operators), as JSON and as CSV (billing/margin.h);
  // before /api/v1/billing/{alias} too.
  router.Add(http::Verb::get, "/api/v1/billing/margin",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto month = MonthParam(req);
               if (!month.ok()) return ErrorReply(month.error());
               auto lines = billing::MonthMargins(ctx.db, who, *month);
               if (!lines.ok()) return ErrorReply(lines.error());
               json::array items;
               for (const auto& l : *lines) items.push_back(billing::ToJson(l));
               return http::JsonResponse(
                   http::Status::ok,
                   json::object{{"month", month->ToString()}, {"items", std::move(items)}});
             }));
  router.Add(http::Verb::get, "/api/v1/billing/margin.csv",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto month = MonthParam(req);
               if (!month.ok()) return ErrorReply(month.error());
               auto lines = billing::MonthMargins(ctx.db, who, *month);
               if (!lines.ok()) return ErrorReply(lines.error());
               auto res = http::TextResponse(http::Status::ok, billing::MarginCsv(*lines),
                                             "text/csv; charset=utf-8; header=present");
               res.set(boost::beast::http::field::content_disposition,
                       "attachment; filename=\"partner-margin-" + month->ToString() + ".csv\"");
               return res;
             }));

  router.Add(http::Verb::get, "/api/v1/billing/{alias}",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto alias = AliasParam(req);
               if (!alias.ok()) return ErrorReply(alias.error());
               auto month = MonthParam(req);
               if (!month.ok()) return ErrorReply(month.error());
               auto rendered = billing::SummarizeAliasMonth(ctx.db, who, *alias, *month);
               if (!rendered.ok()) return ErrorReply(rendered.error());
               return http::JsonTextResponse(http::Status::ok, (*rendered)->json);
             }));

  router.Add(http::Verb::get, "/api/v1/billing/{alias}/detail.csv",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto alias = AliasParam(req);
               if (!alias.ok()) return ErrorReply(alias.error());
               auto month = MonthParam(req);
               if (!month.ok()) return ErrorReply(month.error());
               auto csv = billing::AliasDetailCsv(ctx.db, who, *alias, *month);
               if (!csv.ok()) return ErrorReply(csv.error());
               auto res = http::TextResponse(http::Status::ok, std::move(*csv),
                                             "text/csv; charset=utf-8; header=present");
               res.set(boost::beast::http::field::content_disposition,
                       "attachment; filename=\"" + *alias + "-" + month->ToString() +
                           "-azure-usage.csv\"");
               return res;
             }));

  // The month as a FOCUS 1.2 dataset and its metadata (billing/focus_export.h), with the same
  // authorization as detail.csv.
  router.Add(http::Verb::get, "/api/v1/billing/{alias}/focus.csv",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto alias = AliasParam(req);
               if (!alias.ok()) return ErrorReply(alias.error());
               auto month = MonthParam(req);
               if (!month.ok()) return ErrorReply(month.error());
               auto csv = billing::AliasFocusCsv(ctx.db, who, *alias, *month, FocusOptions(ctx));
               if (!csv.ok()) return ErrorReply(csv.error());
               auto res = http::TextResponse(http::Status::ok, std::move(*csv),
                                             "text/csv; charset=utf-8; header=present");
               res.set(boost::beast::http::field::content_disposition,
                       "attachment; filename=\"" + billing::FocusFileName(*alias, *month) + "\"");
               return res;
             }));
  router.Add(http::Verb::get, "/api/v1/billing/{alias}/focus-metadata.json",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto alias = AliasParam(req);
               if (!alias.ok()) return ErrorReply(alias.error());
               auto month = MonthParam(req);
               if (!month.ok()) return ErrorReply(month.error());
               auto doc =
                   billing::AliasFocusMetadata(ctx.db, who, *alias, *month, FocusOptions(ctx));
               if (!doc.ok()) return ErrorReply(doc.error());
               return http::JsonResponse(http::Status::ok, *doc);
             }));

  router.Add(http::Verb::get, "/api/v1/billing/{alias}/invoices",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto alias = AliasParam(req);
               if (!alias.ok()) return ErrorReply(alias.error());
               auto lines = billing::AliasInvoiceLines(ctx.db, who, *alias);
               if (!lines.ok()) return ErrorReply(lines.error());
               json::array items;
               for (const auto& l : *lines) items.push_back(billing::ToJson(l));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));

  router.Add(http::Verb::post, "/api/v1/billing/close",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto text = RequiredString(*body, "month");
               if (!text.ok()) return ErrorReply(text.error());
               auto month = YearMonth::Parse(*text);
               if (!month.ok()) return ErrorReply(month.error());
               auto report = billing::CloseMonth(ctx.db, who, *month, Now(), PostInvoiceLine(ctx));
               if (!report.ok()) return ErrorReply(report.error());
               return http::JsonResponse(
                   report->already_closed ? http::Status::ok : http::Status::created,
                   billing::ToJson(*report));
             }));

  router.Add(http::Verb::get, "/api/v1/pricing-rules",
             Authed(ctx, [&ctx](http::RequestContext&, const Principal& who) {
               auto rules = billing::ListPricingRules(ctx.db, who);
               if (!rules.ok()) return ErrorReply(rules.error());
               json::array items;
               for (const auto& r : *rules) items.push_back(billing::ToJson(r));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));

  router.Add(http::Verb::post, "/api/v1/pricing-rules",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto rule = billing::PricingRuleFromJson(*body);
               if (!rule.ok()) return ErrorReply(rule.error());
               auto created = billing::CreatePricingRule(ctx.db, who, std::move(*rule));
               if (!created.ok()) return ErrorReply(created.error());
               return http::JsonResponse(http::Status::created, billing::ToJson(*created));
             }));
}

}  // namespace pc::api
