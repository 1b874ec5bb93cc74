// Configuration: defaults, then a TOML file (--config), then PARTNERCLOUD_* environment
// variables, then command-line flags; each later source overrides the earlier ones.
// Every key has the form "section.name" in TOML ([section] name = ...), the environment
// variable PARTNERCLOUD_SECTION_NAME, and the flag --set section.name=VALUE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace CLI {
class App;
}  // namespace CLI

namespace pc::cli {

struct Config {
  std::string database = "sqlite:data/partnercloud.db";  // database.url
  std::string address = "127.0.0.1";                     // server.address
  int64_t port = 8080;                                   // server.port
  int64_t threads = 0;                                   // server.threads (0: ServerThreads)
  int64_t body_limit = 1024 * 1024;                      // server.body_limit (bytes)
  int64_t import_body_limit = int64_t{2} << 30;          // server.import_body_limit (bytes):
                                                         // bodies under /api/v1/usage/
  int64_t header_timeout = 10;                           // server.header_timeout (s)
  int64_t read_timeout = 60;                             // server.read_timeout (s)
  int64_t idle_timeout = 30;                             // server.idle_timeout (s)
  int64_t header_limit = 16 * 1024;    // server.header_limit: request line + headers, and trailers
  int64_t max_connections = 1024;      // server.max_connections open at once
  int64_t max_concurrent_imports = 2;  // server.max_concurrent_imports: usage uploads at once
  int64_t max_text_field = 4000;       // server.max_text_field: longest string in a JSON body
  std::string metrics_token;        // metrics.token: Bearer token for /metrics ("" = loopback only)
  std::string log_level = "info";   // log.level
  int64_t session_ttl = 12 * 3600;  // security.session_ttl (s)
  bool secure_cookies = false;      // security.secure_cookies
  int64_t login_max_failures_per_account = 5;       // security.login_max_failures_per_account
  int64_t login_max_failures_per_address = 20;      // security.login_max_failures_per_address
  int64_t login_failure_window = 900;               // security.login_failure_window (s)
  int64_t login_base_lockout = 30;                  // security.login_base_lockout (s)
  std::string secret_key_file = "data/secret.key";  // security.secret_key_file
  int64_t api_token_ttl_days = 90;        // security.api_token_ttl_days: default API token life
  int64_t password_hash_concurrency = 2;  // security.password_hash_concurrency: argon2id at once
  int64_t auth_cache_seconds = 5;         // security.auth_cache_seconds: cross-instance revocation
  int64_t token_use_flush_seconds = 30;   // security.token_use_flush_seconds: lastUsedAt writes

  // Upstreams. With upstream.sandbox_url set, every URL left empty points into the sandbox.
  std::string sandbox_url = "http://127.0.0.1:8081";  // upstream.sandbox_url
  std::string entra_url;                              // upstream.entra_url
  std::string partner_center_url;                     // upstream.partner_center_url
  std::string graph_url;                              // upstream.graph_url
  std::string arm_url;                                // upstream.arm_url
  std::string clc_url;                                // upstream.clc_url
  int64_t partner_center_requests_per_minute = 500;   // upstream.partner_center_requests_per_minute
  int64_t arm_requests_per_minute = 1200;             // upstream.arm_requests_per_minute
  int64_t arm_writes_per_hour = 1200;                 // upstream.arm_writes_per_hour
  bool shared_rate_limit = true;  // upstream.shared_rate_limit: pace through the database
  int64_t upstream_timeout = 60;  // upstream.timeout_seconds
  // The CA certificates (PEM) the upstream connectors verify servers with instead of the
  // system's store, e.g. the sandbox's DATA/tls/ca.pem for its HTTPS port. "" = the system's.
  std::string tls_ca_file;  // tls.ca_file

  // The partner: CSP tenant and the platform's multi-tenant application (sandbox fixtures).
  std::string partner_tenant_id = "11111111-1111-4111-8111-111111111111";  // partner.tenant_id
  std::string partner_client_id = "22222222-2222-4222-8222-222222222222";  // partner.client_id
  std::string partner_client_secret =
      "sandbox-secret";  // partner.client_secret (or sealed sb1:...)
  std::string partner_billing_account = "sandbox-billing-account";  // partner.billing_account
  // The partner's own CLC service user that posts invoice lines (sandbox fixture
  // partner.billing, AccountAdmin of the platform account T3N, parent of every alias).
  std::string partner_clc_username = "partner.billing";  // partner.clc_username
  std::string partner_clc_password = "sandbox";          // partner.clc_password
  // The partner's name as its customers' invoices show it (FOCUS InvoiceIssuerName).
  std::string partner_name = "Contoso CSP";  // partner.name

  bool billing_auto_close = true;            // billing.auto_close: close ended months in serve
  int64_t billing_close_grace_hours = 0;     // billing.close_grace_hours after a month's end
  int64_t billing_close_check_seconds = 60;  // billing.close_check_seconds
  int64_t billing_usage_pull_seconds = 0;    // billing.usage_pull_seconds (0: no scheduled pull)
  int64_t billing_clc_token_cache_seconds = 60;  // billing.clc_token_cache_seconds
  // budgets.evaluation_seconds: every budget is evaluated this often (imports evaluate at once).
  int64_t budgets_evaluation_seconds = 3600;
  // billing.usage_pull_after_ready_seconds: also pull this long after a provider becomes ready
  // (0: no such pull; demo: 60).
  int64_t billing_usage_pull_after_ready_seconds = 0;
  // sandbox.usage_lag_seconds: Partner Center's lag in the sandbox `demo` starts (demo: 30).
  int64_t sandbox_usage_lag_seconds = 3600;
  // A gzip usage file may expand to at most this many bytes and this many times its size.
  int64_t import_max_expanded_bytes = int64_t{16} << 30;  // billing.import_max_expanded_bytes
  int64_t import_max_expansion_ratio = 200;               // billing.import_max_expansion_ratio

  std::string allowed_territories = "US";             // onboarding.allowed_territories
  std::string centurylink_terms_version = "2017-01";  // onboarding.centurylink_terms_version
  int64_t job_workers = 4;                            // jobs.workers
  int64_t job_lease = 30;                             // jobs.lease_seconds
  int64_t job_step_deadline = 300;                    // jobs.step_deadline_seconds
  std::string job_instance_file;  // jobs.instance_file ("": instance.id beside the secret key)
  std::string smtp_url;           // smtp.url ("" = emails wait in the outbox)
  std::string smtp_from = "cloud-integration@partner.example";  // smtp.from
  std::string web_root;  // web.root: folder of the built web app ("" = found beside the binary)

  // Support desk (support/).
  int64_t support_max_message_bytes = int64_t{10} << 20;       // support.max_message_bytes
  int64_t support_max_attachment_bytes = int64_t{5} << 20;     // support.max_attachment_bytes
  int64_t support_max_auto_replies_per_hour = 5;               // support.max_auto_replies_per_hour
  std::string support_address = "support@partner.example";     // support.address
  std::string support_business_hours = "Mon-Fri 08:00-18:00";  // support.business_hours (UTC)
  std::string support_holidays;                                // support.holidays
  std::string support_sla_targets =
      "default=4h/40h,microsoft-escalation=8h/80h";  // support.sla_targets

  // Governance (governance/): the scheduled reconcile of every customer subscription's role
  // and policy (0: only on demand), and where repair notices go.
  int64_t governance_reconcile_seconds = 3600;  // governance.reconcile_seconds
  std::string governance_notify_address = "operators@partner.example";  // governance.notify_address
  // Webhooks (webhooks/).
  bool webhooks_allow_http_loopback = false;      // webhooks.allow_http_loopback (demo: true)
  std::string webhooks_allow_networks;            // webhooks.allow_networks (CIDR list)
  int64_t webhooks_timeout_seconds = 10;          // webhooks.timeout_seconds
  int64_t webhooks_max_response_bytes = 65536;    // webhooks.max_response_bytes
  int64_t webhooks_retry_window_seconds = 86400;  // webhooks.retry_window_seconds
  int64_t webhooks_retry_base_ms = 5000;          // webhooks.retry_base_ms
  int64_t webhooks_delivery_threads = 2;          // webhooks.delivery_threads

  // The effective URL of an upstream: its own setting, else sandbox_url + prefix.
  std::string UpstreamUrl(const std::string& own, std::string_view sandbox_prefix) const;
};

// The documented keys, for the README and for error messages.
std::vector<std::string> ConfigKeys();

// Reads a TOML file into `config`. Unknown keys and wrong types are errors naming the key.
Status LoadConfigFile(const std::string& path, Config& config);
// Applies PARTNERCLOUD_* variables from the environment.
Status ApplyEnvironment(Config& config);
// Applies one "key=value" override (from --set or a dedicated flag).
Status ApplyOverride(std::string_view assignment, Config& config);
// Checks ranges (port, threads, limits); errors name the key.
Status Validate(const Config& config);

// The request threads: server.threads, or when it is 0 (the default) twice the machine's cores
// with SQLite (4 to 16) and four times with PostgreSQL (8 to 16, its connection pool). Handlers
// block on the database (on PostgreSQL for network round trips), hence more than the cores; many
// more than needed only make the threads take turns, which shows in the slowest responses.
int ServerThreads(const Config& config);

// The options of every subcommand that reads the configuration (cli/config_flags.cpp).
struct CommonFlags {
  std::string config_file;        // --config
  std::string database;           // --database
  std::vector<std::string> sets;  // --set key=value, repeatable
};
// Adds --config, --database and --set to `cmd`, stored in `flags` (which must outlive it).
void AddCommonFlags(CLI::App* cmd, CommonFlags& flags);
// The configuration: built-in defaults, then `defaults` (a subcommand's own, such as the demo's),
// the file, the environment, --set, `extra_sets` (a subcommand's dedicated flags), --database;
// validated. Errors name the key or the file.
Result<Config> LoadConfig(const CommonFlags& flags, const std::vector<std::string>& defaults = {},
                          const std::vector<std::string>& extra_sets = {});

}  // namespace pc::cli
