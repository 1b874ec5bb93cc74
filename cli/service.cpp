#include "cli/service.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "api/api.h"
#include "api/web_routes.h"
#include "billing/aggregates.h"
#include "billing/clc_billing.h"
#include "billing/month_close.h"
#include "billing/usage_import.h"
#include "billing/usage_pull.h"
#include "budgets/evaluation.h"
#include "cli/support_command.h"
#include "connectors/arm_client.h"
#include "connectors/clc_client.h"
#include "connectors/entra_client.h"
#include "connectors/partner_center_client.h"
#include "connectors/tls_trust.h"
#include "core/http/server.h"
#include "core/secret_box.h"
#include "governance/catalog.h"
#include "governance/convergence.h"
#include "governance/governance.h"
#include "identity/identity.h"
#include "jobs/instance.h"
#include "jobs/recurring.h"
#include "jobs/runner.h"
#include "jobs/shared_bucket.h"
#include "jobs/upstream_pacing.h"
#include "notify/outbox.h"
#include "onboarding/onboarding.h"
#include "support/outbound.h"
#include "webhooks/delivery.h"
#include "webhooks/webhook_service.h"

namespace pc::cli {

Result<std::unique_ptr<store::Database>> OpenDatabase(const Config& config) {
  PC_ASSIGN_OR_RETURN(auto db, store::Database::Open(config.database));
  PC_RETURN_IF_ERROR(db->Migrate());
  // Months whose aggregates a migration or a hand-made change left stale (billing/aggregates.h).
  PC_RETURN_IF_ERROR(billing::RefreshStaleAggregates(*db));
  return db;
}

namespace {

// The recurring jobs' names (their kind in GET /api/v1/jobs).
constexpr std::string_view kUsagePull = "usage-pull";
constexpr std::string_view kMonthClose = "month-close";
constexpr std::string_view kBudgetEvaluation = "budget-evaluation";

// Closes every month that ended (plus the grace period) and posts pending invoice lines: one
// tick of the recurring job "month-close". billing_closes makes each close happen once anyway.
Status CloseEndedMonths(store::Database& db, const billing::LinePoster& post,
                        std::chrono::seconds grace) {
  PC_ASSIGN_OR_RETURN(auto months, billing::MonthsToClose(db, Now(), grace));
  for (const auto& month : months) {
    auto report = billing::CloseMonth(db, identity::SystemPrincipal(), month, Now(), post);
    if (!report.ok()) {
      return Error(report.error().code,
                   "billing close of " + month.ToString() + ": " + report.error().message);
    }
    if (!report->already_closed) {
      spdlog::info("billing: closed {} ({} invoice lines)", month.ToString(),
                   report->created.size());
    }
  }
  std::vector<std::string> failures;
  auto posted = billing::PostPendingLines(db, post, failures);
  for (const auto& f : failures) spdlog::warn("billing: invoice line not posted yet: {}", f);
  if (!posted.ok()) return posted.error();
  return {};
}

// Pulls Partner Center's unbilled usage (current and previous period): one tick of the
// recurring job "usage-pull". Imports are idempotent, so a tick run again is harmless.
Status PullUsage(store::Database& db, connectors::PartnerCenterClient& pc) {
  for (const char* period : {"previous", "current"}) {
    auto report = billing::PullUnbilledUsage(
        db, pc, period,
        (std::filesystem::temp_directory_path() / "partnercloud-usage-pull").string(),
        budgets::EvaluateAfterImport);  // budget alerts within the import
    if (!report.ok()) {
      return Error(report.error().code,
                   std::string("usage pull (") + period + "): " + report.error().message);
    } else if (!report->already_imported) {
      spdlog::info("usage pull ({}): {} rows imported, {} rejected, {} of unknown customers",
                   period, report->rows_imported, report->rows_rejected, report->rows_unknown);
    } else {
      spdlog::info("usage pull ({}): nothing new", period);
    }
  }
  return {};
}

// With billing.usage_pull_after_ready_seconds: when a provider becomes ready (its new Azure
// subscription's first usage), makes the usage pull due that long after. Every process may
// watch; the pull itself still runs once (jobs/recurring.h).
class ReadyWatcher {
 public:
  ReadyWatcher(store::Database& db, std::chrono::seconds after_ready)
      : db_(db), after_ready_(after_ready) {}
  ~ReadyWatcher() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  int64_t ReadyProviders() {
    auto tx = db_.Begin();
    if (!tx.ok()) return -1;
    auto rows = (*tx)->Query("SELECT COUNT(*) FROM providers WHERE state = 'ready'");
    if (!rows.ok() || rows->empty()) return -1;
    return (*rows)[0].Int(0);
  }

  void Loop() {
    int64_t ready = ReadyProviders();
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(2), [this] { return stopping_; })) {
      lock.unlock();
      int64_t count = ReadyProviders();
      if (count > ready && ready >= 0) {
        auto due = jobs::RecurringJobs::DueBy(
            db_, kUsagePull,
            Now() + std::chrono::duration_cast<std::chrono::microseconds>(after_ready_));
        if (due.ok()) {
          spdlog::info("usage pull: a provider became ready; pulling in {} s",
                       after_ready_.count());
        } else {
          spdlog::warn("usage pull: {}", due.error().message);
        }
      }
      if (count >= 0) ready = count;
      lock.lock();
    }
  }

  store::Database& db_;
  std::chrono::seconds after_ready_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

int RunService(const Config& config, store::Database& db,
               const std::function<void(uint16_t)>& on_listening,
               const std::function<void(RunningService&)>& prepare) {
  identity::IdentityOptions id_options;
  id_options.session_ttl = std::chrono::seconds(config.session_ttl);
  id_options.max_failures_per_account = static_cast<int>(config.login_max_failures_per_account);
  id_options.max_failures_per_address = static_cast<int>(config.login_max_failures_per_address);
  id_options.failure_window = std::chrono::seconds(config.login_failure_window);
  id_options.base_lockout = std::chrono::seconds(config.login_base_lockout);
  id_options.api_token_ttl_days = config.api_token_ttl_days;
  id_options.password_hash_concurrency = static_cast<int>(config.password_hash_concurrency);
  id_options.auth_cache_ttl = std::chrono::seconds(config.auth_cache_seconds);
  id_options.token_use_flush_interval = std::chrono::seconds(config.token_use_flush_seconds);
  identity::IdentityService identity(db, id_options);

  http::HttpMetrics metrics;
  api::ApiContext ctx({.db = db, .identity = identity, .metrics = metrics});
  ctx.options.secure_cookies = config.secure_cookies;
  ctx.options.import_max_expanded_bytes = static_cast<uint64_t>(config.import_max_expanded_bytes);
  ctx.options.import_max_expansion_ratio = static_cast<uint64_t>(config.import_max_expansion_ratio);
  ctx.options.serve_web_app = true;
  ctx.options.web_root = api::FindWebRoot(config.web_root).string();
  if (ctx.options.web_root.empty()) {
    spdlog::warn("web UI not built (no web/dist/index.html found; set web.root): / says so");
  } else {
    spdlog::info("web UI served from {}", ctx.options.web_root);
  }
  ctx.options.import_body_limit = static_cast<uint64_t>(config.import_body_limit);
  ctx.options.max_text_field = static_cast<size_t>(config.max_text_field);
  ctx.options.metrics_token = config.metrics_token;
  ctx.options.partner_name = config.partner_name;

  // Secrets at rest, upstream clients (one HTTP client and rate limit per upstream, shared by
  // every worker), onboarding and its durable workers.
  auto secrets = SecretBox::Load(config.secret_key_file);
  if (!secrets.ok()) {
    spdlog::error("{}", secrets.error().message);
    return 1;
  }
  std::string client_secret = config.partner_client_secret;
  if (client_secret.starts_with("sb1:")) {
    auto opened = secrets->Open(client_secret);
    if (!opened.ok()) {
      spdlog::error("partner.client_secret is sealed with another key: {}", opened.error().message);
      return 1;
    }
    client_secret = *opened;
  }
  // Partner Center's and ARM's limits belong to the partner tenant: with
  // upstream.shared_rate_limit every instance on this database paces itself through one bucket
  // per upstream kept in the database (jobs/shared_bucket.h).
  std::map<std::string, std::unique_ptr<jobs::SharedTokenBucket>> shared_buckets;
  auto upstream = [&config, &db, &shared_buckets](std::string name, int64_t per_minute) {
    connectors::HttpClientOptions o;
    o.upstream = std::move(name);
    o.requests_per_minute = static_cast<double>(per_minute);
    o.burst = 50;
    if (config.shared_rate_limit && per_minute > 0) {
      auto& bucket = shared_buckets[o.upstream];
      bucket = std::make_unique<jobs::SharedTokenBucket>(db, o.upstream, per_minute, 50);
      o.acquire = [b = bucket.get()] { b->Acquire(); };
    }
    o.max_timeout = std::chrono::seconds(config.upstream_timeout);
    return o;
  };
  connectors::SetUpstreamCaFile(config.tls_ca_file);  // tls.ca_file, for every connector
  connectors::HttpClient entra_http(upstream("entra", 0));
  // Each call spends the budget Microsoft counts it in (jobs/upstream_pacing.h): Partner
  // Center's per tenant on the paths it limits, ARM's per subscription (writes and reads apart).
  store::Database* pace_db = config.shared_rate_limit ? &db : nullptr;
  jobs::KeyedPacer pc_pace(pace_db, static_cast<double>(config.partner_center_requests_per_minute),
                           50);
  jobs::KeyedPacer arm_write_pace(pace_db, static_cast<double>(config.arm_writes_per_hour) / 60.0,
                                  static_cast<double>(config.arm_writes_per_hour));
  jobs::KeyedPacer arm_read_pace(pace_db, static_cast<double>(config.arm_requests_per_minute),
                                 static_cast<double>(config.arm_requests_per_minute));
  auto pc_options = upstream("partner_center", config.partner_center_requests_per_minute);
  if (config.partner_center_requests_per_minute > 0) {
    pc_options.acquire_for = [&pc_pace](const connectors::HttpRequest& r) {
      if (jobs::IsPartnerCenterLimited(r.url)) pc_pace.Acquire("partner_center");
    };
  }
  auto arm_options = upstream("arm", config.arm_requests_per_minute);
  if (config.arm_requests_per_minute > 0 || config.arm_writes_per_hour > 0) {
    arm_options.acquire_for = [&config, &arm_write_pace,
                               &arm_read_pace](const connectors::HttpRequest& r) {
      bool write = jobs::IsArmWrite(r.method);
      if (write ? config.arm_writes_per_hour <= 0 : config.arm_requests_per_minute <= 0) return;
      (write ? arm_write_pace : arm_read_pace)
          .Acquire(jobs::ArmBudgetOf(r.method, r.url, r.tenant));
    };
  }
  connectors::HttpClient pc_http(pc_options);
  connectors::HttpClient arm_http(arm_options);
  connectors::HttpClient clc_http(upstream("clc", 0));
  connectors::TokenProvider tokens(entra_http, {config.UpstreamUrl(config.entra_url, "/login"),
                                                config.partner_client_id, client_secret});
  connectors::PartnerCenterClient partner_center(
      pc_http, tokens, config.UpstreamUrl(config.partner_center_url, "/partnercenter"),
      config.partner_tenant_id);
  connectors::ArmClient arm(arm_http, tokens, config.UpstreamUrl(config.arm_url, "/arm"));
  connectors::HttpClient graph_http(upstream("graph", 0));
  connectors::GraphClient graph(graph_http, tokens, config.UpstreamUrl(config.graph_url, "/graph"));
  connectors::ClcClient clc(clc_http, config.UpstreamUrl(config.clc_url, "/clc"));
  onboarding::ClcConnections connections;
  onboarding::OnboardingOptions ob_options;
  ob_options.policy.allowed_countries.clear();
  std::stringstream territories(config.allowed_territories);
  for (std::string t; std::getline(territories, t, ',');) {
    if (!t.empty()) ob_options.policy.allowed_countries.push_back(onboarding::NormalizeCountry(t));
  }
  ob_options.centurylink_terms_version = config.centurylink_terms_version;
  ob_options.partner_tenant_id = config.partner_tenant_id;
  ob_options.app_client_id = config.partner_client_id;
  ob_options.billing_account = config.partner_billing_account;
  ob_options.on_ready = [](store::Transaction& tx) -> Status {  // kept-aside usage (issue 17)
    PC_RETURN_IF_ERROR(billing::AttributeKeptAside(tx));
    return {};
  };
  onboarding::OnboardingService onboarding({db, clc, partner_center, arm, graph, *secrets,
                                            governance::PermittedServices::BuiltIn(), connections},
                                           ob_options);
  jobs::RunnerOptions runner_options;
  runner_options.workers = static_cast<int>(config.job_workers);
  runner_options.lease = std::chrono::seconds(config.job_lease);
  runner_options.step_deadline = std::chrono::seconds(config.job_step_deadline);
  // A stable identity (jobs/instance.h): a restart takes over its crashed run's leases at once.
  auto instance = jobs::InstanceIdentity::Acquire(
      !config.job_instance_file.empty()
          ? config.job_instance_file
          : (std::filesystem::path(config.secret_key_file).parent_path() / "instance.id").string());
  runner_options.instance = instance.instance();
  runner_options.incarnation = instance.incarnation();
  jobs::JobRunner runner(db, runner_options);
  onboarding.RegisterWorkflow(runner);
  billing::ClcTokenVerifier clc_tokens(
      clc, std::chrono::seconds(config.billing_clc_token_cache_seconds));
  api::InvoicePoster post_invoice_line =
      billing::MakeClcLinePoster(clc, config.partner_clc_username, config.partner_clc_password);
  // Schedules: recurring jobs, each tick run by one process of all sharing the database.
  jobs::RecurringJobs recurring(db, runner);
  if (config.billing_auto_close) {
    auto grace = std::chrono::hours(config.billing_close_grace_hours);
    recurring.Register({std::string(kMonthClose),
                        std::chrono::seconds(config.billing_close_check_seconds),
                        [&db, &post_invoice_line, grace] {
                          return CloseEndedMonths(db, post_invoice_line, grace);
                        }});
  }
  if (config.billing_usage_pull_seconds > 0) {
    recurring.Register({std::string(kUsagePull),
                        std::chrono::seconds(config.billing_usage_pull_seconds),
                        [&db, &partner_center] { return PullUsage(db, partner_center); }});
  }
  // Governance (governance/): convergence jobs per subscription and the scheduled reconcile.
  governance::GovernanceService governance_service(db);
  governance::RegisterConvergence(
      runner, {db, arm, graph, config.partner_client_id, config.governance_notify_address});
  if (config.governance_reconcile_seconds > 0) {
    recurring.Register({"governance-reconcile",
                        std::chrono::seconds(config.governance_reconcile_seconds),
                        [&governance_service, &runner]() -> Status {
                          auto queued = governance_service.ReconcileAll();
                          if (!queued.ok()) return queued.error();
                          runner.Poke();
                          return {};
                        }});
  }
  ctx.capabilities.Provide(api::capability::kGovernance, governance_service);
  // Budgets (budgets/evaluation.h): every import evaluates its aliases' budgets; this catches
  // the rest (imports by an older binary, a budget changed by hand).
  recurring.Register({std::string(kBudgetEvaluation),
                      std::chrono::seconds(config.budgets_evaluation_seconds), [&db]() -> Status {
                        auto sent = budgets::EvaluateAllBudgets(db, Now());
                        if (!sent.ok()) return sent.error();
                        if (*sent > 0) spdlog::info("budgets: {} alert(s) sent", *sent);
                        return {};
                      }});
  api::WorkQueued work_queued = [&runner] { runner.Poke(); };
  // The API's capabilities, by name (api/api.h); a route needing one not provided here stops
  // the start below.
  ctx.capabilities.Provide(api::capability::kOnboarding, onboarding);
  ctx.capabilities.Provide(api::capability::kClcTokens, clc_tokens);
  ctx.capabilities.Provide(api::capability::kInvoicePoster, post_invoice_line);
  ctx.capabilities.Provide(api::capability::kWorkQueued, work_queued);
  auto support_options = SupportOptionsFromConfig(config);
  if (!support_options.ok()) {
    spdlog::error("{}", support_options.error().message);
    return 1;
  }
  support::SupportService support_desk(db, *secrets, *support_options);
  // A reply token key an older version kept in clear is sealed at start (support/outbound.h).
  if (Status key = db.InTransaction(
          [&](store::Transaction& tx) { return support::PrepareReplyTokenKey(tx, *secrets); });
      !key.ok()) {
    spdlog::warn("support: {}", key.error().message);
  }
  support_desk.actions().on_work_queued = [&runner] { runner.Poke(); };
  ctx.capabilities.Provide(api::capability::kSupportDesk, support_desk);
  // Structured requests and escalation to Microsoft (support/request_actions.h): durable jobs
  // with the upstream clients.
  auto support_flows = std::make_shared<support::SupportFlows>(
      support::SupportFlows{partner_center, graph, arm, *secrets});
  support_flows->support_address = support_options->address;
  support_desk.actions().flows = support_flows;
  support::RegisterSupportJobs(runner, db, support_flows);
  // Webhooks (webhooks/): the endpoints' API, and the delivery worker started with the server.
  auto webhook_networks = webhooks::ParseNetworks(config.webhooks_allow_networks);
  if (!webhook_networks.ok()) {
    spdlog::error("webhooks.allow_networks: {}", webhook_networks.error().message);
    return 1;
  }
  webhooks::DeliveryOptions delivery_options;
  delivery_options.target = {config.webhooks_allow_http_loopback, *webhook_networks,
                             std::chrono::seconds(config.webhooks_timeout_seconds),
                             static_cast<size_t>(config.webhooks_max_response_bytes)};
  delivery_options.retry_window = std::chrono::seconds(config.webhooks_retry_window_seconds);
  delivery_options.retry_base = std::chrono::milliseconds(config.webhooks_retry_base_ms);
  delivery_options.threads = static_cast<int>(config.webhooks_delivery_threads);
  delivery_options.instance = instance.instance();
  delivery_options.incarnation = instance.incarnation();
  webhooks::DeliveryWorker webhook_worker(db, *secrets, delivery_options);
  webhooks::WebhookService webhook_service(db, *secrets, delivery_options.target);
  webhook_service.on_queued = [&webhook_worker] { webhook_worker.Poke(); };
  ctx.capabilities.Provide(api::capability::kWebhooks, webhook_service);
  http::Router router = api::BuildRouter(ctx);
  if (Status complete = ctx.capabilities.CheckComplete(); !complete.ok()) {
    spdlog::error("{}", complete.error().message);
    return 1;
  }

  http::ServerOptions options;
  options.address = config.address;
  options.port = static_cast<uint16_t>(config.port);
  options.threads = ServerThreads(config);
  options.body_limit = static_cast<uint64_t>(config.body_limit);
  options.header_limit = static_cast<uint32_t>(config.header_limit);
  options.max_connections = static_cast<int>(config.max_connections);
  options.max_concurrent_spools = static_cast<int>(config.max_concurrent_imports);
  options.header_timeout = std::chrono::seconds(config.header_timeout);
  options.read_timeout = std::chrono::seconds(config.read_timeout);
  options.idle_timeout = std::chrono::seconds(config.idle_timeout);
  http::Server server(options, router, &metrics);
  auto port = server.Listen();
  if (!port.ok()) {
    spdlog::error("{}", port.error().message);
    return 1;
  }
  server.HandleSignals();
  // Emails announced in the outbox go to the SMTP relay (none configured: they wait there).
  std::unique_ptr<notify::OutboxSender> outbox;
  if (!config.smtp_url.empty()) {
    outbox = std::make_unique<notify::OutboxSender>(db, config.smtp_url, config.smtp_from,
                                                    std::chrono::seconds(1), instance.instance(),
                                                    instance.incarnation());
    outbox->Start();
  }
  webhook_worker.Start();
  ReadyWatcher ready_watcher(db,
                             std::chrono::seconds(config.billing_usage_pull_after_ready_seconds));
  auto start_schedules = [&config, &recurring, &ready_watcher] {
    if (Status started = recurring.Start(); !started.ok()) {
      spdlog::error("schedules not started: {}", started.error().message);
    }
    if (config.billing_usage_pull_seconds > 0 &&
        config.billing_usage_pull_after_ready_seconds > 0) {
      ready_watcher.Start();
    }
  };
  std::thread preparing;
  std::atomic<bool> stopping{false};
  server.OnShutdown([&runner, &outbox, &ready_watcher, &preparing, &stopping, &webhook_worker] {
    stopping = true;
    if (preparing.joinable()) preparing.join();
    runner.Stop();
    ready_watcher.Stop();
    if (outbox) outbox->Stop();
    webhook_worker.Stop();
  });
  runner.Start();
  if (prepare) {
    uint16_t bound = *port;
    preparing = std::thread([&, bound] {
      RunningService running{db, partner_center, post_invoice_line, bound, stopping};
      prepare(running);
      if (!stopping) start_schedules();
    });
  } else {
    start_schedules();
  }
  spdlog::info("partnercloud listening on http://{}:{}", config.address, *port);
  if (on_listening) on_listening(*port);
  server.Run();
  if (preparing.joinable()) preparing.join();
  spdlog::info("partnercloud stopped");
  return 0;
}

Status SeedDemo(store::Database& db) {
  identity::IdentityService identity(db);
  auto system = identity::SystemPrincipal();
  auto ensure_org = [&](const std::string& name,
                        const std::string& kind) -> Result<identity::Organization> {
    auto found = identity.FindOrganizationByName(name);
    if (found.ok()) return found;
    return identity.CreateOrganization(system, name, kind);
  };
  PC_ASSIGN_OR_RETURN(auto acme, ensure_org("Acme", "customer"));
  PC_ASSIGN_OR_RETURN(auto partner, ensure_org("Partner Operations", "partner"));
  struct DemoUser {
    const char* email;
    const char* name;
    identity::Role role;
    const identity::Organization* org;
  };
  const DemoUser users[] = {
      {"admin@acme.example", "Acme Admin", identity::Role::kOrgAdmin, &acme},
      {"dev@acme.example", "Acme Developer", identity::Role::kOrgMember, &acme},
      {"ops@partner.example", "Partner Operator", identity::Role::kOperator, &partner},
      {"agent@partner.example", "Support Agent", identity::Role::kSupportAgent, &partner},
  };
  for (const auto& u : users) {
    identity::NewUser in{u.org->id, u.email, u.name, u.role, "demo"};
    auto created = identity.CreateUser(system, in);
    if (!created.ok() && created.error().code != ErrorCode::kConflict) return created.error();
  }
  return {};
}

}  // namespace pc::cli
