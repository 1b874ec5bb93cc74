// Budgets (issue 16): GET/POST /api/v1/budgets, GET/PATCH/DELETE /api/v1/budgets/{id}. Handlers
// parse, call and map: who may do what is budgets/budget.h's decision.
#include "api/respond.h"
#include "api/routes.h"
#include "budgets/budget.h"

namespace pc::api {

namespace {

using identity::Principal;

http::Response BudgetReply(ApiContext& ctx, const Result<budgets::Budget>& budget,
                           http::Status status) {
  if (!budget.ok()) return ErrorReply(budget.error());
  auto body = budgets::BudgetJson(ctx.db, *budget, Now());
  if (!body.ok()) return ErrorReply(body.error());
  return http::JsonResponse(status, *body);
}

}  // namespace

void AddBudgetRoutes(http::Router& router, ApiContext& ctx) {
  router.Add(http::Verb::get, "/api/v1/budgets",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               std::optional<std::string> alias;
               if (auto it = req.query.find("alias"); it != req.query.end() && !it->second.empty()) {
                 alias = it->second;
               }
               auto list = budgets::ListBudgets(ctx.db, who, alias);
               if (!list.ok()) return ErrorReply(list.error());
               auto items = ctx.db.InTransaction<json::array>(
                   [&](store::Transaction& tx) -> Result<json::array> {
                     json::array out;
                     Timestamp now = Now();
                     for (const auto& b : *list) {
                       PC_ASSIGN_OR_RETURN(auto o, budgets::BudgetJson(tx, b, now));
                       out.push_back(std::move(o));
                     }
                     return out;
                   });
               if (!items.ok()) return ErrorReply(items.error());
               return http::JsonResponse(http::Status::ok, json::object{{"items", *items}});
             }));
  router.Add(http::Verb::post, "/api/v1/budgets",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto budget = budgets::BudgetFromJson(*body);
               if (!budget.ok()) return ErrorReply(budget.error());
               return BudgetReply(ctx, budgets::CreateBudget(ctx.db, who, std::move(*budget)),
                                  http::Status::created);
             }));
  router.Add(http::Verb::get, "/api/v1/budgets/{id}",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               return BudgetReply(ctx, budgets::GetBudget(ctx.db, who, req.params["id"]),
                                  http::Status::ok);
             }));
  router.Add(http::Verb::patch, "/api/v1/budgets/{id}",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto changes = budgets::BudgetChangesFromJson(*body);
               if (!changes.ok()) return ErrorReply(changes.error());
               return BudgetReply(
                   ctx, budgets::UpdateBudget(ctx.db, who, req.params["id"], *changes),
                   http::Status::ok);
             }));
  router.Add(http::Verb::delete_, "/api/v1/budgets/{id}",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               return Reply(budgets::DeleteBudget(ctx.db, who, req.params["id"]));
             }));
}

}  // namespace pc::api
