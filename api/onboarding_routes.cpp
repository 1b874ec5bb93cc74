// Connect a CenturyLink Cloud account, the terms, and Azure providers.
#include <atomic>

#include "api/respond.h"
#include "api/routes.h"
#include "onboarding/job_list.h"
#include "onboarding/onboarding.h"

namespace pc::api {

namespace {

using identity::Principal;

// The capabilities these routes use (api/api.h).
onboarding::OnboardingService* Onboarding(const ApiContext& ctx) {
  return ctx.capabilities.Find<onboarding::OnboardingService>(capability::kOnboarding);
}
// Wakes the job workers after a job was queued (without it they find it by polling).
void PokeWorkers(const ApiContext& ctx) {
  if (auto* poke = ctx.capabilities.Find<api::WorkQueued>(capability::kWorkQueued); poke && *poke) {
    (*poke)();
  }
}

// Authenticated, and onboarding is configured on this server.
template <class Fn>
http::Handler WithOnboarding(ApiContext& ctx, Fn fn) {
  return Authed(ctx, [&ctx, fn](http::RequestContext& req, const Principal& who) {
    if (!Onboarding(ctx)) {
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
  if (in.mode == "existing-customer") {
    auto account = body.find("existingAccount");
    if (account == body.end() || !account->value().is_object()) {
      return InvalidArgument(
          "Field 'existingAccount' must be an object with subscriptionId, tenantId, clientId and "
          "clientSecret");
    }
    const auto& a = account->value().as_object();
    onboarding::ExistingAccount existing;
    PC_ASSIGN_OR_RETURN(existing.subscription_id, RequiredString(a, "subscriptionId"));
    PC_ASSIGN_OR_RETURN(existing.tenant_id, RequiredString(a, "tenantId"));
    PC_ASSIGN_OR_RETURN(existing.client_id, RequiredString(a, "clientId"));
    PC_ASSIGN_OR_RETURN(existing.client_secret, RequiredString(a, "clientSecret"));
    in.existing_account = std::move(existing);
    return in;
  }
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

bool Settled(const onboarding::Provider& p) {
  return p.state == "ready" || p.state == "unavailable";
}

std::string ProviderEvent(const std::string& provider_json) {
  return "event: provider\ndata: " + provider_json + "\n\n";
}

// Event streams open at once in this process. Each costs a coroutine, a timer and one small
// read a second; beyond the cap the browser is told to poll instead (503, Retry-After).
constexpr int kMaxEventStreams = 1000;
std::atomic<int> open_event_streams{0};

struct EventStreamSlot {
  EventStreamSlot() = default;
  EventStreamSlot(const EventStreamSlot&) = delete;
  EventStreamSlot& operator=(const EventStreamSlot&) = delete;
  ~EventStreamSlot() { --open_event_streams; }
};

}  // namespace

void AddOnboardingRoutes(http::Router& router, ApiContext& ctx) {
  Onboarding(ctx);  // looked up now: the startup check knows these routes use them
  ctx.capabilities.Find<api::WorkQueued>(capability::kWorkQueued);
  router.Add(http::Verb::post, "/api/v1/clc/connections",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto user = RequiredString(*body, "username");
               if (!user.ok()) return ErrorReply(user.error());
               auto password = RequiredString(*body, "password");
               if (!password.ok()) return ErrorReply(password.error());
               auto c = Onboarding(ctx)->Connect(who, *user, *password, req.client_addr);
               if (!c.ok()) return ErrorReply(c.error());
               return http::JsonResponse(http::Status::created, onboarding::ToJson(*c));
             }));

  router.Add(http::Verb::get, "/api/v1/terms",
             WithOnboarding(ctx, [&ctx](http::RequestContext&, const Principal&) {
               auto terms = Onboarding(ctx)->Terms();
               if (!terms.ok()) return ErrorReply(terms.error());
               return http::JsonResponse(http::Status::ok, *terms);
             }));

  router.Add(http::Verb::post, "/api/v1/providers",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto in = ParseNewProvider(*body);
               if (!in.ok()) return ErrorReply(in.error());
               auto p = Onboarding(ctx)->CreateProvider(who, *in);
               if (!p.ok()) return ErrorReply(p.error());
               bool ready = p->state == "ready";  // existing-customer: nothing left to do
               if (!ready) PokeWorkers(ctx);
               auto res = http::JsonResponse(ready ? http::Status::created : http::Status::accepted,
                                             onboarding::ToJson(*p));
               res.set(boost::beast::http::field::location, "/api/v1/providers/" + p->id);
               return res;
             }));

  router.Add(http::Verb::get, "/api/v1/providers",
             WithOnboarding(ctx, [&ctx](http::RequestContext&, const Principal& who) {
               auto list = Onboarding(ctx)->ListProviders(who);
               if (!list.ok()) return ErrorReply(list.error());
               json::array items;
               for (const auto& p : *list) items.push_back(onboarding::ToJson(p));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));

  router.Add(http::Verb::get, "/api/v1/providers/{id}",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto p = Onboarding(ctx)->GetProvider(who, req.params["id"]);
               if (!p.ok()) return ErrorReply(p.error());
               return http::JsonResponse(http::Status::ok, onboarding::ToJson(*p));
             }));

  router.Add(http::Verb::delete_, "/api/v1/providers/{id}",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               return Reply(Onboarding(ctx)->DeleteProvider(who, req.params["id"]));
             }));

  // Server-sent events: the provider now, then after each change, until it is ready or
  // unavailable (or five minutes). The server sends the rest of the stream from a timer, so an
  // idle stream holds no thread (core/http/message.h ResponseStream); each tick (4 a second) is
  // one small query, and the provider is read again only when it changed.
  router.Add(http::Verb::get, "/api/v1/providers/{id}/events",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               std::string id = req.params["id"];
               auto p = Onboarding(ctx)->GetProvider(who, id);
               if (!p.ok()) return ErrorReply(p.error());
               if (++open_event_streams > kMaxEventStreams) {
                 --open_event_streams;
                 return ErrorReply(RetryAfter(
                     Unavailable("Too many event streams are open; poll GET /api/v1/providers/" +
                                 id + " instead"),
                     std::chrono::seconds(5)));
               }
               auto slot = std::make_shared<EventStreamSlot>();
               std::string last = json::serialize(onboarding::ToJson(*p));
               auto res =
                   http::TextResponse(http::Status::ok, "retry: 3000\n\n" + ProviderEvent(last),
                                      "text/event-stream; charset=utf-8");
               res.set(boost::beast::http::field::cache_control, "no-store");
               if (Settled(*p)) return res;  // nothing more will happen: the stream ends here
               auto stream = std::make_shared<http::ResponseStream>();
               stream->interval = std::chrono::milliseconds(250);
               stream->max_duration = std::chrono::minutes(5);
               auto version = Onboarding(ctx)->ProviderVersion(id);
               stream->next = [&ctx, who, id, slot, last, seen = version.ok() ? *version : "",
                               quiet = 0, settled = false]() mutable -> std::optional<std::string> {
                 if (settled) return std::nullopt;
                 // One small query a tick; the provider is read (and authorized) again on a change.
                 auto now_version = Onboarding(ctx)->ProviderVersion(id);
                 if (!now_version.ok()) return std::nullopt;
                 if (*now_version == seen) {
                   if (++quiet >= 60) {  // a comment every 15 s, so proxies keep the stream open
                     quiet = 0;
                     return std::string(": keep-alive\n\n");
                   }
                   return std::string();
                 }
                 seen = std::move(*now_version);
                 quiet = 0;
                 auto now = Onboarding(ctx)->GetProvider(who, id);
                 if (!now.ok()) return std::nullopt;  // deleted meanwhile
                 std::string body = json::serialize(onboarding::ToJson(*now));
                 settled = Settled(*now);
                 if (body == last) return std::string();
                 last = std::move(body);
                 return ProviderEvent(last);
               };
               req.stream = std::move(stream);
               return res;
             }));

  router.Add(http::Verb::get, "/api/v1/jobs",
             Authed(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto limit = LimitParam(req, 100);
               if (!limit.ok()) return ErrorReply(limit.error());
               std::optional<std::string> state;
               if (auto it = req.query.find("state");
                   it != req.query.end() && !it->second.empty()) {
                 state = it->second;
               }
               auto jobs = onboarding::ListOnboardingJobs(ctx.db, who, state, *limit);
               if (!jobs.ok()) return ErrorReply(jobs.error());
               json::array items;
               for (const auto& j : *jobs) items.push_back(onboarding::ToJson(j));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));
  router.Add(http::Verb::post, "/api/v1/providers/{id}/resume",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto p = Onboarding(ctx)->Resume(who, req.params["id"]);
               if (!p.ok()) return ErrorReply(p.error());
               PokeWorkers(ctx);
               return http::JsonResponse(http::Status::ok, onboarding::ToJson(*p));
             }));

  router.Add(http::Verb::get, "/api/v1/providers/{id}/admin-credentials",
             WithOnboarding(ctx, [&ctx](http::RequestContext& req, const Principal& who) {
               auto c = Onboarding(ctx)->TakeAdminCredentials(who, req.params["id"]);
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
