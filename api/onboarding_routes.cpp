// Connect a CenturyLink Cloud account, the terms, and Azure providers.
#include "api/respond.h"
#include "api/routes.h"
#include "onboarding/onboarding.h"

namespace pc::api {

namespace {

using identity::Principal;

// Authenticated, and onboarding is configured on this server.
template <class Fn>
http::Handler WithOnboarding(ApiContext& ctx, Fn fn) {
  return Authed(ctx, [&ctx, fn](http::RequestContext& req, const Principal& who) {
    if (!ctx.onboarding) {
      return ErrorReply(Unavailable("Onboarding is not configured on this server"));
    }
    return fn(req, who);
  });
}

Result<onboarding::NewProvider> ParseNewProvider(const json::object& body) {
  onboarding::NewProvider in;
  PC_ASSIGN_OR_RETURN(in.name, RequiredString(body, "name"));
  PC_ASSIGN_OR_RETURN(auto description, OptionalString(body, "description"));
  in.description = description.value_or("");
  PC_ASSIGN_OR_RETURN(in.type, RequiredString(body, "type"));
  PC_ASSIGN_OR_RETURN(in.mode, RequiredString(body, "mode"));
  PC_ASSIGN_OR_RETURN(in.connection_id, RequiredString(body, "connectionId"));
  PC_ASSIGN_OR_RETURN(in.billing_alias, RequiredString(body, "billingAlias"));
  auto terms = body.find("terms");
  if (terms == body.end() || terms->value().is_null()) return in;
  if (!terms->value().is_object()) return InvalidArgument("Field 'terms' must be an object");
  const auto& t = terms->value().as_object();
  onboarding::TermsInput ti;
  PC_ASSIGN_OR_RETURN(ti.centurylink_version, RequiredString(t, "centurylink"));
  auto ms = t.find("microsoft");
  if (ms == t.end() || !ms->value().is_object()) {
    return InvalidArgument("Field 'terms.microsoft' must be an object with templateId and contact");
  }
  const auto& m = ms->value().as_object();
  PC_ASSIGN_OR_RETURN(ti.microsoft_template_id, RequiredString(m, "templateId"));
  auto contact = m.find("contact");
  if (contact == m.end() || !contact->value().is_object()) {
    return InvalidArgument("Field 'terms.microsoft.contact' must be an object");
  }
  const auto& c = contact->value().as_object();
  PC_ASSIGN_OR_RETURN(ti.contact.first_name, RequiredString(c, "firstName"));
  PC_ASSIGN_OR_RETURN(ti.contact.last_name, RequiredString(c, "lastName"));
  PC_ASSIGN_OR_RETURN(ti.contact.email, RequiredString(c, "email"));
  PC_ASSIGN_OR_RETURN(auto phone, OptionalString(c, "phoneNumber"));
  ti.contact.phone_number = phone.value_or("");
  in.terms = std::move(ti);
  return in;
}

}  // namespace

void AddOnboardingRoutes(http::Router& router, ApiContext& ctx) {
  router.Add(http::Verb::post, "/api/v1/clc/connections",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto user = RequiredString(*body, "username");
               if (!user.ok()) return ErrorReply(user.error());
               auto password = RequiredString(*body, "password");
               if (!password.ok()) return ErrorReply(password.error());
               auto c = ctx.onboarding->Connect(who, *user, *password, req.client_addr);
               if (!c.ok()) {
                 if (c.error().code == ErrorCode::kUnauthenticated) {
                   // CenturyLink Cloud refused the login: its own message, not ours.
                   return http::ErrorResponse(http::Status::bad_request, "ClcLoginFailed",
                                              c.error().message);
                 }
                 return ErrorReply(c.error());
               }
               return http::JsonResponse(http::Status::created, onboarding::ToJson(*c));
             }));

  router.Add(http::Verb::get, "/api/v1/terms",
             WithOnboarding(ctx, [&ctx](http::RequestContext&, const Principal&) {
               auto terms = ctx.onboarding->Terms();
               if (!terms.ok()) return ErrorReply(terms.error());
               return http::JsonResponse(http::Status::ok, *terms);
             }));

  router.Add(http::Verb::post, "/api/v1/providers",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto in = ParseNewProvider(*body);
               if (!in.ok()) return ErrorReply(in.error());
               auto p = ctx.onboarding->CreateProvider(who, *in);
               if (!p.ok()) return ErrorReply(p.error());
               if (ctx.on_work_queued) ctx.on_work_queued();
               auto res = http::JsonResponse(http::Status::accepted, onboarding::ToJson(*p));
               res.set(boost::beast::http::field::location, "/api/v1/providers/" + p->id);
               return res;
             }));

  router.Add(http::Verb::get, "/api/v1/providers",
             WithOnboarding(ctx, [&ctx](http::RequestContext&, const Principal& who) {
               auto list = ctx.onboarding->ListProviders(who);
               if (!list.ok()) return ErrorReply(list.error());
               json::array items;
               for (const auto& p : *list) items.push_back(onboarding::ToJson(p));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));

  router.Add(http::Verb::get, "/api/v1/providers/{id}",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto p = ctx.onboarding->GetProvider(who, req.params["id"]);
               if (!p.ok()) return ErrorReply(p.error());
               return http::JsonResponse(http::Status::ok, onboarding::ToJson(*p));
             }));

  router.Add(http::Verb::delete_, "/api/v1/providers/{id}", [](http::RequestContext&) {
    return http::ErrorResponse(http::Status::not_implemented, "NotImplemented",
                               "This endpoint is described but not implemented yet");
  });
  router.Add(http::Verb::get, "/api/v1/providers/{id}/events", [](http::RequestContext&) {
    return http::ErrorResponse(http::Status::not_implemented, "NotImplemented",
                               "This endpoint is described but not implemented yet");
  });
  router.Add(http::Verb::get, "/api/v1/jobs", [](http::RequestContext&) {
    return http::ErrorResponse(http::Status::not_implemented, "NotImplemented",
                               "This endpoint is described but not implemented yet");
  });
  router.Add(http::Verb::post, "/api/v1/providers/{id}/resume",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto p = ctx.onboarding->Resume(who, req.params["id"]);
               if (!p.ok()) return ErrorReply(p.error());
               if (ctx.on_work_queued) ctx.on_work_queued();
               return http::JsonResponse(http::Status::ok, onboarding::ToJson(*p));
             }));

  router.Add(http::Verb::get, "/api/v1/providers/{id}/admin-credentials",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto c = ctx.onboarding->TakeAdminCredentials(who, req.params["id"]);
               if (!c.ok()) return ErrorReply(c.error());
               auto res = http::JsonResponse(
                   http::Status::ok,
                   json::object{{"userName", c->user_name},
                                {"password", c->password},
                                {"note",
                                 "Shown once: this login has now been wiped from the "
                                 "platform. Change the password at first sign-in."}});
               res.set(boost::beast::http::field::cache_control, "no-store");
               return res;
             }));
}

}  // namespace pc::api
