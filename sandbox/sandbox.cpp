#include "sandbox/sandbox.h"

#include <boost/algorithm/string/predicate.hpp>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "core/uuid.h"
#include "sandbox/bench_accounts.h"
#include "sandbox/services.h"
#include "sandbox/support_upstream.h"

namespace pc::sandbox {

namespace {

constexpr int kMaxDepth = 24;

http::Response GenericError(http::Status status, std::string_view code, std::string_view message) {
  return http::ErrorResponse(status, code, message);
}

enum class Service { kEntra, kPartnerCenter, kGraph, kArm, kClc, kBlob, kControl, kNone };

Service ServiceOf(std::string_view path) {
  auto under = [&](std::string_view prefix) {
    return path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/');
  };
  if (under("/sandbox/control")) return Service::kControl;
  if (under("/login")) return Service::kEntra;
  if (under("/partnercenter")) return Service::kPartnerCenter;
  if (under("/graph")) return Service::kGraph;
  if (under("/arm")) return Service::kArm;
  if (under("/clc")) return Service::kClc;
  if (under("/blob")) return Service::kBlob;
  return Service::kNone;
}

http::Response ServiceError(Service s, http::Status status, std::string_view code,
                            std::string_view message) {
  switch (s) {
    case Service::kEntra:
      return EntraError(
          status, status == http::Status::not_found ? "invalid_request" : "temporarily_unavailable",
          status == http::Status::not_found ? 900561 : 50000, message);
    case Service::kPartnerCenter:
      return PartnerCenterFault(status, status == http::Status::not_found ? 1000 : 800002, message);
    case Service::kGraph:
      return GraphError(status, code, message);
    case Service::kArm:
      return ArmError(status, code, message);
    case Service::kClc:
      return ClcError(status, message);
    case Service::kBlob:
      return BlobStorageError(status, code, message);
    default:
      return GenericError(status, code, message);
  }
}

}  // namespace

http::ServerOptions SandboxServerOptions(std::string address, uint16_t port) {
  http::ServerOptions o;
  o.address = std::move(address);
  o.port = port;
  o.threads = 48;
  o.body_limit = 1024 * 1024;
  o.server_name = "partnercloud-sandbox";
  o.access_log = false;
  return o;
}

Sandbox::Sandbox(uint64_t seed)
    : outer_(GenericError),
      entra_([](auto st, auto c, auto m) { return ServiceError(Service::kEntra, st, c, m); }),
      partner_center_(
          [](auto st, auto c, auto m) { return ServiceError(Service::kPartnerCenter, st, c, m); }),
      graph_([](auto st, auto c, auto m) { return ServiceError(Service::kGraph, st, c, m); }),
      arm_([](auto st, auto c, auto m) { return ServiceError(Service::kArm, st, c, m); }),
      clc_([](auto st, auto c, auto m) { return ServiceError(Service::kClc, st, c, m); }),
      blob_([](auto st, auto c, auto m) { return ServiceError(Service::kBlob, st, c, m); }) {
  state_.Reset(seed);
  AddEntraRoutes(entra_, state_);
  AddPartnerCenterRoutes(partner_center_, state_);
  AddGraphRoutes(graph_, state_);
  AddBillingExportRoutes(graph_, state_);
  AddArmRoutes(arm_, state_);
  AddClcRoutes(clc_, state_);
  AddBlobRoutes(blob_, state_);
  AddSupportUpstreamRoutes(partner_center_, graph_, state_);
  // The outer router sends every path, of any depth, to Handle().
  for (http::Verb verb : {http::Verb::get, http::Verb::post, http::Verb::put, http::Verb::patch,
                          http::Verb::delete_}) {
    std::string pattern;
    for (int depth = 1; depth <= kMaxDepth; ++depth) {
      pattern += "/{p" + std::to_string(depth) + "}";
      outer_.Add(verb, pattern, [this](http::RequestContext& ctx) { return Handle(ctx); });
    }
  }
}

Sandbox::~Sandbox() = default;

uint64_t RandomSeed() {
  std::random_device rd;
  uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return s & ((uint64_t{1} << 53) - 1);
}

Result<std::unique_ptr<Sandbox>> Sandbox::Open(const SandboxOptions& options) {
  auto sb = std::make_unique<Sandbox>(options.seed ? *options.seed : RandomSeed());
  std::lock_guard lock(sb->state_.mu);
  sb->state_.usage_lag = options.usage_lag;
  if (options.data_dir.empty()) return sb;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Unavailable("Cannot create " + options.data_dir + ": " + ec.message());
  std::string file = options.data_dir + "/sandbox.json";
  if (std::filesystem::exists(file, ec)) {
    PC_RETURN_IF_ERROR(sb->state_.Load(file));
    sb->loaded_ = true;
  }
  sb->state_.data_file = file;
  PC_RETURN_IF_ERROR(sb->state_.Save());
  return sb;
}

void Sandbox::SaveLocked() {
  auto saved = state_.Save();
  if (!saved.ok() && !save_failed_) {
    std::fprintf(stderr, "sandbox: cannot save its state: %s\n", saved.error().message.c_str());
  }
  save_failed_ = !saved.ok();
}

Result<uint16_t> Sandbox::StartSmtp(const std::string& address, uint16_t port) {
  SmtpOptions options;
  options.address = address;
  options.port = port;
  smtp_ = std::make_unique<SmtpMailbox>(options, [this](MailMessage m) {
    std::string to;
    for (const auto& r : m.to) to += (to.empty() ? "" : ", ") + r;
    size_t bytes = m.from.size() + to.size() + m.subject.size() + m.body.size();
    std::lock_guard lock(state_.mu);
    state_.AddMail(json::object{{"from", m.from},
                                {"to", to},
                                {"subject", m.subject},
                                {"body", m.body},
                                {"receivedAt", Iso(state_.Now())}},
                   bytes);
  });
  auto bound = smtp_->Listen();
  if (!bound.ok()) return bound.error();
  std::lock_guard lock(state_.mu);
  state_.smtp_port = *bound;
  return *bound;
}

http::Response Sandbox::Handle(http::RequestContext& ctx) {
  Service service = ServiceOf(ctx.path);
  if (service == Service::kNone && IsEntraRootPath(ctx.path)) {  // authority host: the origin
    ctx.path = "/login" + ctx.path;
    service = Service::kEntra;
  }
  if (service == Service::kControl) return Control(ctx);
  if (service == Service::kArm) ctx.path = NormalizeArmPath(ctx.path);  // ARM's path rules
  if (service == Service::kArm) arm_traffic_.Count(ctx.path);           // sandbox/arm_traffic.h
  if (service == Service::kNone) {
    return GenericError(http::Status::not_found, "NotFound",
                        "No emulated service at " + ctx.path +
                            "; prefixes are /login, /partnercenter, /graph, /arm, /clc, /blob "
                            "and /sandbox/control");
  }
  const http::Request& req = ctx.request;
  std::string method(http::beast_http::to_string(req.method()));
  // The logical call, for Retry-After bookkeeping.
  std::string call_key;
  if (service == Service::kPartnerCenter && !Header(req, "MS-RequestId").empty()) {
    call_key = method + " " + std::string(req.target()) + " " + Header(req, "MS-RequestId");
  } else if (service == Service::kArm) {
    call_key = method + " " + std::string(req.target());
  }
  FaultDecision fault;
  {
    std::lock_guard lock(state_.mu);
    if (!call_key.empty()) {
      if (auto it = state_.throttled.find(call_key); it != state_.throttled.end()) {
        auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(pc::Now() - it->second.at);
        if (state_.retries_after_throttle.size() < 10000) {
          state_.retries_after_throttle.push_back(
              json::object{{"call", call_key},
                           {"retryAfterMs", it->second.retry_after_ms},
                           {"waitedMs", gap.count()}});
        }
        state_.throttled.erase(it);
      }
    }
    fault = state_.faults.Decide(method + " " + ctx.path);
  }
  if (fault.latency_ms > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(fault.latency_ms));

  http::Response res;
  bool faulted = true;
  switch (fault.kind) {
    case FaultKind::kError:
      res = ServiceError(service, http::Status::internal_server_error, "InternalServerError",
                         "An injected sandbox fault: the service failed. Retry the request.");
      break;
    case FaultKind::kThrottle:
      if (service == Service::kPartnerCenter) {
        res = PartnerCenterThrottled(fault.retry_after_seconds);
      } else {
        res = ServiceError(service, http::Status::too_many_requests, "TooManyRequests",
                           "Rate limit is exceeded. Try again in " +
                               std::to_string(fault.retry_after_seconds) + " seconds.");
      }
      res.set("Retry-After", std::to_string(fault.retry_after_seconds));
      break;
    case FaultKind::kTimeout:
      std::this_thread::sleep_for(std::chrono::milliseconds(fault.timeout_ms));
      res = ServiceError(service, http::Status::gateway_timeout, "GatewayTimeout",
                         "An injected sandbox fault: the request timed out.");
      break;
    case FaultKind::kNone:
      faulted = false;
      break;
  }
  std::string token_tenant;  // ARM counts writes outside a subscription per tenant
  if (!faulted && service == Service::kArm) {
    std::lock_guard lock(state_.mu);
    if (auto bearer = state_.Bearer(req)) token_tenant = bearer->tenant_id;
  }
  if (auto limited = faulted ? std::nullopt : rate_limits_.Check(ctx, token_tenant)) {
    res = std::move(*limited);
    faulted = true;
  }

  std::string request_id = Header(req, "MS-RequestId");
  std::string replay_key;
  if (!faulted && service == Service::kPartnerCenter && !request_id.empty()) {
    std::lock_guard lock(state_.mu);
    // Partner Center authenticates before it deduplicates: a request without a valid token is
    // answered 401 whatever its MS-RequestId, and it never takes a cache entry.
    auto bearer = state_.Bearer(req);
    if (bearer) replay_key = method + " " + std::string(req.target()) + " " + request_id;
    if (!replay_key.empty()) {
      if (const http::Response* first = state_.replay.Find(replay_key, state_.Now())) {
        faulted = true;  // answered from the cache
        res = *first;
        state_.CountRequest(method + " (replayed) " + ctx.path.substr(0, 14));
      }
    }
  }
  if (!faulted) {
    const http::Router* router = nullptr;
    switch (service) {
      case Service::kEntra:
        router = &entra_;
        break;
      case Service::kPartnerCenter:
        router = &partner_center_;
        break;
      case Service::kGraph:
        router = &graph_;
        break;
      case Service::kArm:
        router = &arm_;
        break;
      case Service::kBlob:
        router = &blob_;
        break;
      default:
        router = &clc_;
        break;
    }
    ctx.route.clear();
    res = router->Dispatch(ctx);
    std::lock_guard lock(state_.mu);
    state_.CountRequest(method + " " + (ctx.route.empty() ? "(no route)" : ctx.route));
    int code = static_cast<int>(res.result_int());
    // Answers to unauthenticated or unauthorized requests are never kept for replay.
    if (!replay_key.empty() && code < 500 && code != 429 && code != 401 && code != 403) {
      Timestamp now = state_.Now();
      state_.replay.Put(replay_key, res, now + kReplayLifetime,
                        replay_key.size() + res.body().size() + 256, now);
    }
    // Token requests change nothing worth keeping (tokens are not saved); everything else that
    // writes is saved before the client sees the answer.
    bool writes = req.method() != http::Verb::get && req.method() != http::Verb::head;
    if (writes && service != Service::kEntra && code < 500) SaveLocked();
  } else if (fault.kind != FaultKind::kNone) {
    std::lock_guard lock(state_.mu);
    state_.CountRequest(method + " (fault) " + ctx.path);
  }

  if (!call_key.empty() && res.result() == http::Status::too_many_requests) {
    std::lock_guard lock(state_.mu);
    if (state_.throttled.size() < 100000) {
      int64_t seconds = 0;
      try {
        seconds = std::stoll(std::string(res["Retry-After"]));
      } catch (const std::exception&) {
      }
      state_.throttled[call_key] = {pc::Now(), seconds * 1000};
    }
  }
  if (service == Service::kPartnerCenter) {
    std::string correlation = Header(req, "MS-CorrelationId");
    if (correlation.empty()) correlation = Uuid::V4().ToString();
    if (request_id.empty()) request_id = Uuid::V4().ToString();
    res.set("MS-RequestId", request_id);
    res.set("MS-CorrelationId", correlation);
    res.set("MS-CV", "sandbox.0");
    res.set("MS-ServerId", "sandbox");
  }
  if (service == Service::kArm) {
    std::lock_guard lock(state_.mu);
    bool write = req.method() != http::Verb::get && req.method() != http::Verb::head;
    int64_t& remaining = write ? state_.arm_writes_remaining : state_.arm_reads_remaining;
    if (remaining > 0) --remaining;
    res.set(write ? "x-ms-ratelimit-remaining-subscription-writes"
                  : "x-ms-ratelimit-remaining-subscription-reads",
            std::to_string(remaining));
    std::string correlation = Header(req, "x-ms-correlation-request-id");
    res.set("x-ms-request-id", Uuid::V4().ToString());
    res.set("x-ms-correlation-request-id",
            correlation.empty() ? Uuid::V4().ToString() : correlation);
  }
  if (service == Service::kClc) {
    res.set("Cache-Control", "no-cache");
    res.set("Pragma", "no-cache");
    res.set("Expires", "-1");
  }
  return res;
}

http::Response Sandbox::Control(http::RequestContext& ctx) {
  auto bad = [](std::string_view message) {
    return http::ErrorResponse(http::Status::bad_request, "InvalidArgument", message);
  };
  const auto& req = ctx.request;
  std::string what = ctx.path.substr(std::string_view("/sandbox/control").size());
  bool post = req.method() == http::Verb::post;
  auto body = [&]() -> Result<json::object> {
    if (req.body().empty()) return json::object{};
    return ParseJsonObject(req.body());
  };
  if (what == "/rate-limits") return rate_limits_.Control(req);  // sandbox/rate_limits.h
  if (what == "/arm-traffic") return arm_traffic_.Control(req);  // sandbox/arm_traffic.h
  std::lock_guard lock(state_.mu);
  if (what == "/state" && (req.method() == http::Verb::get || req.method() == http::Verb::head)) {
    return http::JsonResponse(http::Status::ok, state_.Snapshot());
  }
  if (!post) {
    return http::ErrorResponse(http::Status::not_found, "NotFound",
                               "Unknown control route " + ctx.path +
                                   "; use GET state or POST clock, faults, reset, seed, usage, "
                                   "azure-subscriptions");
  }
  auto parsed = body();
  if (!parsed.ok()) return bad(parsed.error().message);
  const json::object& o = *parsed;
  if (what == "/reset") {
    state_.Reset(state_.seed);
    SaveLocked();
    return http::JsonResponse(http::Status::ok, json::object{{"seed", state_.seed}});
  }
  if (what == "/seed") {
    auto it = o.find("seed");
    if (it == o.end() || !it->value().is_int64() || it->value().as_int64() < 0) {
      return bad("Field 'seed' is required and must be a non-negative integer");
    }
    state_.Reset(static_cast<uint64_t>(it->value().as_int64()));
    SaveLocked();
    return http::JsonResponse(http::Status::ok, json::object{{"seed", state_.seed}});
  }
  if (what == "/clock") {
    auto set = OptionalString(o, "set");
    if (!set.ok()) return bad(set.error().message);
    auto advance = OptionalInt(o, "advanceSeconds");
    if (!advance.ok()) return bad(advance.error().message);
    const auto* freeze = o.if_contains("freeze");
    if (freeze && !freeze->is_bool()) return bad("Field 'freeze' must be true or false");
    state_.frozen_at.reset();
    std::optional<Timestamp> set_at;  // a clock frozen by "set" stops at exactly that time
    const auto* real = o.if_contains("real");
    if (real && real->is_bool() && real->as_bool()) {
      state_.clock_offset = std::chrono::microseconds(0);  // back to real time
    } else if (set->has_value()) {
      auto t = ParseTimestamp(**set);
      if (!t.ok()) return bad("Field 'set': " + t.error().message);
      state_.clock_offset = *t - pc::Now();
      set_at = *t;
    } else if (advance->has_value()) {
      if (**advance < 0) return bad("Field 'advanceSeconds' must not be negative");
      state_.clock_offset += std::chrono::seconds(**advance);
    } else {
      return bad(
          "Give 'set' (an RFC 3339 time), 'advanceSeconds' (an integer) or 'real' (true: back "
          "to real time)");
    }
    // Frozen at `set` itself, not at offset + a later reading of the real clock: the few
    // microseconds in between would shift every rating window and so every usage quantity.
    if (freeze && freeze->as_bool()) state_.frozen_at = set_at ? *set_at : state_.Now();
    SaveLocked();
    return http::JsonResponse(http::Status::ok, json::object{{"now", Iso(state_.Now())}});
  }
  if (what == "/usage") {
    auto lag = OptionalInt(o, "lagSeconds");
    if (!lag.ok()) return bad(lag.error().message);
    if (!lag->has_value() || **lag < 0 || **lag > 90 * 86400) {
      return bad("Field 'lagSeconds' is required: 0 to 7776000 seconds");
    }
    state_.usage_lag = std::chrono::seconds(**lag);
    return http::JsonResponse(http::Status::ok, json::object{{"lagSeconds", **lag}});
  }
  if (what == "/clc-accounts") return AddClcAccounts(state_, o);  // sandbox/bench_accounts.h
  if (what == "/faults") {
    auto plan = FaultPlan::Parse(o);
    if (!plan.ok()) return bad(plan.error().message);
    state_.faults = std::move(plan).value();
    return http::JsonResponse(http::Status::ok, state_.faults.source());
  }
  if (what == "/azure-subscriptions") {
    auto sub = RequiredString(o, "subscriptionId");
    if (!sub.ok()) return bad(sub.error().message);
    auto tenant = RequiredString(o, "tenantId");
    if (!tenant.ok()) return bad(tenant.error().message);
    auto name = OptionalString(o, "displayName");
    if (!name.ok()) return bad(name.error().message);
    if (state_.FindAzureSubscription(*sub)) {
      return http::ErrorResponse(http::Status::conflict, "Conflict",
                                 "Azure subscription " + *sub + " already exists");
    }
    auto& s = state_.AddAzureSubscription(*sub, *tenant, name->value_or("Azure subscription 1"));
    SaveLocked();
    return http::JsonResponse(http::Status::created,
                              json::object{{"subscriptionId", s.subscription_id},
                                           {"tenantId", s.tenant_id},
                                           {"displayName", s.display_name}});
  }
  if (auto r = SupportControl(state_, what, o)) {
    if (r->result() == http::Status::ok) SaveLocked();
    return std::move(*r);
  }
  return http::ErrorResponse(http::Status::not_found, "NotFound",
                             "Unknown control route " + ctx.path);
}

}  // namespace pc::sandbox
