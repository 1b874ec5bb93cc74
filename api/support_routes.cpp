// The support desk: /api/v1/support/... Authorization is decided in support/support_service.h.
#include "api/respond.h"
#include "api/routes.h"
#include "support/support_service.h"
#include "support/topics.h"

namespace pc::api {

namespace {

using identity::Principal;

std::optional<std::string> Query(const http::RequestContext& req, const char* name) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

http::Response NotConfigured() {
  return ErrorReply(Unavailable("The support desk is not configured on this server"));
}

// A handler for an authenticated request that needs the support service.
template <class Fn>
http::Handler Support(ApiContext& ctx, Fn fn) {
  return Authed(ctx, [&ctx, fn](http::RequestContext& req, const Principal& who) {
    if (ctx.support == nullptr) return NotConfigured();
    return fn(req, who, *ctx.support);
  });
}

Result<support::TicketFilter> FilterOf(const http::RequestContext& req) {
  support::TicketFilter f;
  f.scope = Query(req, "scope");
  f.topic = Query(req, "topic");
  f.status = Query(req, "status");
  f.assignee = Query(req, "assignee");
  if (f.scope && !support::IsScope(*f.scope)) {
    return InvalidArgument("scope must be in, out or not-customer");
  }
  if (f.status && !support::IsStatus(*f.status)) {
    return InvalidArgument(
        "status must be one of new, open, waiting-on-customer, escalated, resolved, closed");
  }
  if (f.topic && support::FindTopic(*f.topic) == nullptr) {
    return InvalidArgument("Unknown topic '" + *f.topic + "'; see GET /api/v1/support/topics");
  }
  if (auto b = Query(req, "breached")) {
    if (*b != "true" && *b != "false") return InvalidArgument("breached must be true or false");
    f.breached_only = *b == "true";
  }
  PC_ASSIGN_OR_RETURN(f.limit, LimitParam(req, 100));
  return f;
}

// An optional string field that may also be null (meaning: clear it).
Result<std::optional<std::string>> NullableString(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::optional<std::string>();
  if (it->value().is_null()) return std::optional<std::string>("");
  if (!it->value().is_string()) {
    return InvalidArgument("Field '" + std::string(key) + "' must be a string or null");
  }
  return std::optional<std::string>(std::string(it->value().as_string()));
}

}  // namespace

void AddSupportRoutes(http::Router& router, ApiContext& ctx) {
  const std::string base = "/api/v1/support";
  router.Add(http::Verb::get, base + "/topics", Authed(ctx, [](http::RequestContext&, const Principal&) {
               json::array items;
               for (const auto& t : support::Topics()) {
                 items.push_back(json::object{
                     {"id", t.id}, {"title", t.title}, {"scope", t.scope}, {"tier", t.tier}});
               }
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));

  router.Add(http::Verb::get, base + "/tickets",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto filter = FilterOf(req);
               if (!filter.ok()) return ErrorReply(filter.error());
               auto tickets = s.ListTickets(who, *filter);
               if (!tickets.ok()) return ErrorReply(tickets.error());
               json::array items;
               for (const auto& t : *tickets) items.push_back(support::ToJson(t, false));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));

  router.Add(http::Verb::post, base + "/tickets",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto subject = RequiredString(*body, "subject");
               if (!subject.ok()) return ErrorReply(subject.error());
               auto text = RequiredString(*body, "text");
               if (!text.ok()) return ErrorReply(text.error());
               auto alias = OptionalString(*body, "billingAlias");
               if (!alias.ok()) return ErrorReply(alias.error());
               support::NewTicketRequest in{*subject, *text, *alias, std::nullopt};
               if (auto r = body->find("request"); r != body->end() && !r->value().is_null()) {
                 if (!r->value().is_object()) {
                   return ErrorReply(InvalidArgument(
                       "Field 'request' must be an object such as {\"kind\":\"billing-report\"}"));
                 }
                 in.request = r->value().as_object();
               }
               auto ticket = s.CreateTicket(who, in);
               if (!ticket.ok()) return ErrorReply(ticket.error());
               return http::JsonResponse(http::Status::created, support::ToJson(*ticket, true));
             }));

  router.Add(http::Verb::get, base + "/tickets/{id}",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto ticket = s.GetTicket(who, req.params["id"]);
               if (!ticket.ok()) return ErrorReply(ticket.error());
               return http::JsonResponse(http::Status::ok, support::ToJson(*ticket, true));
             }));

  router.Add(http::Verb::patch, base + "/tickets/{id}",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               support::TicketPatch patch;
               auto status = OptionalString(*body, "status");
               auto topic = OptionalString(*body, "topic");
               auto scope = OptionalString(*body, "scope");
               auto assignee = NullableString(*body, "assignee");
               for (const Error* e : {status.ok() ? nullptr : &status.error(),
                                      topic.ok() ? nullptr : &topic.error(),
                                      scope.ok() ? nullptr : &scope.error(),
                                      assignee.ok() ? nullptr : &assignee.error()}) {
                 if (e) return ErrorReply(*e);
               }
               patch.status = *status;
               patch.topic = *topic;
               patch.scope = *scope;
               patch.assignee = *assignee;
               if (!patch.status && !patch.topic && !patch.scope && !patch.assignee) {
                 return ErrorReply(InvalidArgument(
                     "Send at least one of status, assignee, topic, scope"));
               }
               auto ticket = s.PatchTicket(who, req.params["id"], patch);
               if (!ticket.ok()) return ErrorReply(ticket.error());
               return http::JsonResponse(http::Status::ok, support::ToJson(*ticket, true));
             }));

  router.Add(http::Verb::post, base + "/tickets/{id}/messages",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto text = RequiredString(*body, "text");
               if (!text.ok()) return ErrorReply(text.error());
               auto internal = OptionalBool(*body, "internal");
               if (!internal.ok()) return ErrorReply(internal.error());
               auto message =
                   s.AddMessage(who, req.params["id"], *text, internal->value_or(false));
               if (!message.ok()) return ErrorReply(message.error());
               return http::JsonResponse(http::Status::created, support::ToJson(*message));
             }));

  router.Add(http::Verb::post, base + "/tickets/{id}/escalate",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               std::string note;
               if (!req.request.body().empty()) {
                 auto body = JsonBody(req);
                 if (!body.ok()) return ErrorReply(body.error());
                 auto n = OptionalString(*body, "note");
                 if (!n.ok()) return ErrorReply(n.error());
                 note = n->value_or("");
               }
               auto ticket = s.EscalateTicket(who, req.params["id"], note);
               if (!ticket.ok()) return ErrorReply(ticket.error());
               return http::JsonResponse(http::Status::ok, support::ToJson(*ticket, true));
             }));

  router.Add(http::Verb::post, base + "/tickets/{id}/approve",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto ticket = s.ApproveRequest(who, req.params["id"]);
               if (!ticket.ok()) return ErrorReply(ticket.error());
               return http::JsonResponse(http::Status::ok, support::ToJson(*ticket, true));
             }));

  router.Add(http::Verb::post, base + "/tickets/{id}/reject",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto reason = RequiredString(*body, "reason");
               if (!reason.ok()) return ErrorReply(reason.error());
               auto ticket = s.RejectRequest(who, req.params["id"], *reason);
               if (!ticket.ok()) return ErrorReply(ticket.error());
               return http::JsonResponse(http::Status::ok, support::ToJson(*ticket, true));
             }));

  router.Add(http::Verb::get, base + "/attachments/{id}",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto a = s.GetAttachment(who, req.params["id"]);
               if (!a.ok()) return ErrorReply(a.error());
               // Served as a download, never rendered: the content type is the sender's claim.
               auto res = http::TextResponse(http::Status::ok, std::move(a->bytes),
                                             "application/octet-stream");
               std::string safe;
               for (char c : a->info.name) {
                 safe += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
               }
               res.set(boost::beast::http::field::content_disposition,
                       "attachment; filename=\"" + safe + "\"");
               res.set("X-Content-Type-Options", "nosniff");
               res.set("X-Original-Content-Type", a->info.content_type);
               return res;
             }));

  router.Add(http::Verb::get, base + "/quarantine",
             Support(ctx, [](http::RequestContext&, const Principal& who,
                             support::SupportService& s) {
               auto items = s.ListQuarantine(who);
               if (!items.ok()) return ErrorReply(items.error());
               json::array out;
               for (const auto& q : *items) {
                 out.push_back(json::object{{"id", q.id},
                                            {"receivedAt", q.received_at},
                                            {"size", q.size},
                                            {"reason", q.reason}});
               }
               return http::JsonResponse(http::Status::ok, json::object{{"items", out}});
             }));

  router.Add(http::Verb::post, base + "/quarantine/{id}/replay",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto ticket = s.ReplayQuarantined(who, req.params["id"]);
               if (!ticket.ok()) return ErrorReply(ticket.error());
               return http::JsonResponse(http::Status::ok,
                                         json::object{{"id", req.params["id"]},
                                                      {"state", "replayed"},
                                                      {"ticketId", *ticket}});
             }));

  router.Add(http::Verb::get, base + "/rules",
             Support(ctx, [](http::RequestContext&, const Principal& who,
                             support::SupportService& s) { return Reply(s.GetRules(who)); }));
  router.Add(http::Verb::put, base + "/rules",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               return Reply(s.PutRules(who, json::value(*body)));
             }));
  router.Add(http::Verb::get, base + "/templates",
             Support(ctx, [](http::RequestContext&, const Principal& who,
                             support::SupportService& s) { return Reply(s.GetTemplates(who)); }));
  router.Add(http::Verb::put, base + "/templates",
             Support(ctx, [](http::RequestContext& req, const Principal& who,
                             support::SupportService& s) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               return Reply(s.PutTemplates(who, json::value(*body)));
             }));
}

}  // namespace pc::api
