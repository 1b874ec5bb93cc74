#include "cli/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>
#include <variant>

namespace pc::cli {

namespace {

struct Key {
  std::string name;
  std::variant<std::string Config::*, int64_t Config::*, bool Config::*> field;
};

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      {"database.url", &Config::database},
      {"server.address", &Config::address},
      {"server.port", &Config::port},
      {"server.threads", &Config::threads},
      {"server.body_limit", &Config::body_limit},
      {"server.import_body_limit", &Config::import_body_limit},
      {"server.header_timeout", &Config::header_timeout},
      {"server.read_timeout", &Config::read_timeout},
      {"server.idle_timeout", &Config::idle_timeout},
      {"server.header_limit", &Config::header_limit},
      {"server.max_connections", &Config::max_connections},
      {"server.max_concurrent_imports", &Config::max_concurrent_imports},
      {"server.max_text_field", &Config::max_text_field},
      {"metrics.token", &Config::metrics_token},
      {"log.level", &Config::log_level},
      {"security.session_ttl", &Config::session_ttl},
      {"security.secure_cookies", &Config::secure_cookies},
      {"security.login_max_failures_per_account", &Config::login_max_failures_per_account},
      {"security.login_max_failures_per_address", &Config::login_max_failures_per_address},
      {"security.login_failure_window", &Config::login_failure_window},
      {"security.login_base_lockout", &Config::login_base_lockout},
      {"security.secret_key_file", &Config::secret_key_file},
      {"security.api_token_ttl_days", &Config::api_token_ttl_days},
      {"security.password_hash_concurrency", &Config::password_hash_concurrency},
      {"security.auth_cache_seconds", &Config::auth_cache_seconds},
      {"security.token_use_flush_seconds", &Config::token_use_flush_seconds},
      {"upstream.sandbox_url", &Config::sandbox_url},
      {"upstream.entra_url", &Config::entra_url},
      {"upstream.partner_center_url", &Config::partner_center_url},
      {"upstream.graph_url", &Config::graph_url},
      {"upstream.arm_url", &Config::arm_url},
      {"upstream.clc_url", &Config::clc_url},
      {"upstream.partner_center_requests_per_minute", &Config::partner_center_requests_per_minute},
      {"upstream.arm_requests_per_minute", &Config::arm_requests_per_minute},
      {"upstream.arm_writes_per_hour", &Config::arm_writes_per_hour},
      {"upstream.shared_rate_limit", &Config::shared_rate_limit},
      {"upstream.timeout_seconds", &Config::upstream_timeout},
      {"tls.ca_file", &Config::tls_ca_file},
      {"partner.tenant_id", &Config::partner_tenant_id},
      {"partner.client_id", &Config::partner_client_id},
      {"partner.client_secret", &Config::partner_client_secret},
      {"partner.billing_account", &Config::partner_billing_account},
      {"partner.clc_username", &Config::partner_clc_username},
      {"partner.clc_password", &Config::partner_clc_password},
      {"partner.name", &Config::partner_name},
      {"billing.auto_close", &Config::billing_auto_close},
      {"billing.close_grace_hours", &Config::billing_close_grace_hours},
      {"billing.close_check_seconds", &Config::billing_close_check_seconds},
      {"billing.usage_pull_seconds", &Config::billing_usage_pull_seconds},
      {"billing.clc_token_cache_seconds", &Config::billing_clc_token_cache_seconds},
      {"budgets.evaluation_seconds", &Config::budgets_evaluation_seconds},
      {"billing.usage_pull_after_ready_seconds", &Config::billing_usage_pull_after_ready_seconds},
      {"sandbox.usage_lag_seconds", &Config::sandbox_usage_lag_seconds},
      {"billing.import_max_expanded_bytes", &Config::import_max_expanded_bytes},
      {"billing.import_max_expansion_ratio", &Config::import_max_expansion_ratio},
      {"onboarding.allowed_territories", &Config::allowed_territories},
      {"onboarding.centurylink_terms_version", &Config::centurylink_terms_version},
      {"jobs.workers", &Config::job_workers},
      {"jobs.lease_seconds", &Config::job_lease},
      {"jobs.step_deadline_seconds", &Config::job_step_deadline},
      {"jobs.instance_file", &Config::job_instance_file},
      {"smtp.url", &Config::smtp_url},
      {"smtp.from", &Config::smtp_from},
      {"web.root", &Config::web_root},
      {"support.max_message_bytes", &Config::support_max_message_bytes},
      {"support.max_attachment_bytes", &Config::support_max_attachment_bytes},
      {"support.max_auto_replies_per_hour", &Config::support_max_auto_replies_per_hour},
      {"support.address", &Config::support_address},
      {"support.business_hours", &Config::support_business_hours},
      {"support.holidays", &Config::support_holidays},
      {"support.sla_targets", &Config::support_sla_targets},
      {"governance.reconcile_seconds", &Config::governance_reconcile_seconds},
      {"governance.notify_address", &Config::governance_notify_address},
      {"webhooks.allow_http_loopback", &Config::webhooks_allow_http_loopback},
      {"webhooks.allow_networks", &Config::webhooks_allow_networks},
      {"webhooks.timeout_seconds", &Config::webhooks_timeout_seconds},
      {"webhooks.max_response_bytes", &Config::webhooks_max_response_bytes},
      {"webhooks.retry_window_seconds", &Config::webhooks_retry_window_seconds},
      {"webhooks.retry_base_ms", &Config::webhooks_retry_base_ms},
      {"webhooks.delivery_threads", &Config::webhooks_delivery_threads},
  };
  return keys;
}

const Key* FindKey(std::string_view name) {
  for (const auto& k : Keys()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string EnvName(const std::string& key) {
  std::string out = "PARTNERCLOUD_";
  for (char c : key) out += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

// Sets `key` from text (environment variables and --set).
Status SetFromText(const Key& key, std::string_view text, Config& config,
                   const std::string& source) {
  return std::visit(
      [&](auto member) -> Status {
        using T = std::remove_reference_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<T, std::string>) {
          config.*member = std::string(text);
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "true" || text == "1") {
            config.*member = true;
          } else if (text == "false" || text == "0") {
            config.*member = false;
          } else {
            return InvalidArgument(source + ": '" + key.name + "' must be true or false");
          }
        } else {
          std::string s(text);
          char* end = nullptr;
          errno = 0;
          long long v = std::strtoll(s.c_str(), &end, 10);
          if (s.empty() || *end != '\0' || errno == ERANGE) {
            return InvalidArgument(source + ": '" + key.name + "' must be an integer");
          }
          config.*member = v;
        }
        return {};
      },
      key.field);
}

}  // namespace

std::string Config::UpstreamUrl(const std::string& own, std::string_view sandbox_prefix) const {
  if (!own.empty()) return own;
  std::string base = sandbox_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(sandbox_prefix);
}

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> out;
  for (const auto& k : Keys()) out.push_back(k.name);
  return out;
}

Status LoadConfigFile(const std::string& path, Config& config) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return InvalidArgument("Config file " + path + " line " +
                           std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
  Status status;
  std::function<void(const toml::table&, const std::string&)> walk =
      [&](const toml::table& t, const std::string& prefix) {
        for (const auto& [k, node] : t) {
          if (!status.ok()) return;
          std::string name =
              prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
          if (const auto* sub = node.as_table()) {
            walk(*sub, name);
            continue;
          }
          const Key* key = FindKey(name);
          if (!key) {
            status = InvalidArgument("Config file " + path + ": unknown key '" + name + "'");
            return;
          }
          std::visit(
              [&](auto member) {
                using T = std::remove_reference_t<decltype(config.*member)>;
                if constexpr (std::is_same_v<T, std::string>) {
                  if (auto v = node.value<std::string>()) {
                    config.*member = *v;
                    return;
                  }
                } else if constexpr (std::is_same_v<T, bool>) {
                  if (auto v = node.value<bool>()) {
                    config.*member = *v;
                    return;
                  }
                } else {
                  if (node.is_integer()) {
                    config.*member = *node.value<int64_t>();
                    return;
                  }
                }
                status = InvalidArgument("Config file " + path + ": key '" + name +
                                         "' has the wrong type");
              },
              key->field);
        }
      };
  walk(table, "");
  return status;
}

Status ApplyEnvironment(Config& config) {
  for (const auto& key : Keys()) {
    std::string env = EnvName(key.name);
    if (const char* v = std::getenv(env.c_str())) {
      PC_RETURN_IF_ERROR(SetFromText(key, v, config, "Environment variable " + env));
    }
  }
  return {};
}

Status ApplyOverride(std::string_view assignment, Config& config) {
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return InvalidArgument("--set expects key=value, got '" + std::string(assignment) + "'");
  }
  std::string name(assignment.substr(0, eq));
  const Key* key = FindKey(name);
  if (!key) return InvalidArgument("Unknown configuration key '" + name + "'");
  return SetFromText(*key, assignment.substr(eq + 1), config, "--set");
}

int ServerThreads(const Config& config) {
  if (config.threads > 0) return static_cast<int>(config.threads);
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const bool postgres =
      config.database.starts_with("postgresql://") || config.database.starts_with("postgres://");
  return postgres ? std::clamp(4 * cores, 8, 16) : std::clamp(2 * cores, 4, 16);
}

Status Validate(const Config& c) {
  if (c.port < 0 || c.port > 65535) return InvalidArgument("server.port must be 0..65535");
  if (c.threads < 0 || c.threads > 256) {
    return InvalidArgument("server.threads must be 0 (sized to the machine) or 1..256");
  }
  if (c.governance_reconcile_seconds < 0) {
    return InvalidArgument("governance.reconcile_seconds must be 0 (no schedule) or more");
  }
  if (c.body_limit < 1024) return InvalidArgument("server.body_limit must be at least 1024");
  for (auto [name, v] :
       {std::pair{"server.header_timeout", c.header_timeout},
        {"server.read_timeout", c.read_timeout},
        {"server.idle_timeout", c.idle_timeout},
        {"security.session_ttl", c.session_ttl},
        {"security.login_failure_window", c.login_failure_window},
        {"security.login_base_lockout", c.login_base_lockout},
        {"security.login_max_failures_per_account", c.login_max_failures_per_account},
        {"security.login_max_failures_per_address", c.login_max_failures_per_address},
        {"server.max_connections", c.max_connections},
        {"server.max_concurrent_imports", c.max_concurrent_imports},
        {"security.api_token_ttl_days", c.api_token_ttl_days},
        {"security.password_hash_concurrency", c.password_hash_concurrency}}) {
    if (v < 1) return InvalidArgument(std::string(name) + " must be at least 1");
  }
  if (!c.tls_ca_file.empty() && !std::filesystem::is_regular_file(c.tls_ca_file)) {
    return InvalidArgument("tls.ca_file: " + c.tls_ca_file +
                           " is not a readable file (a PEM file of CA certificates)");
  }
  if (c.header_limit < 1024 || c.header_limit > 60 * 1024) {
    return InvalidArgument("server.header_limit must be 1024..61440 bytes");
  }
  if (c.max_text_field < 256 || c.max_text_field > c.body_limit) {
    return InvalidArgument("server.max_text_field must be 256..server.body_limit");
  }
  if (c.auth_cache_seconds < 0 || c.auth_cache_seconds > 60) {
    return InvalidArgument("security.auth_cache_seconds must be 0..60");
  }
  if (c.token_use_flush_seconds < 1 || c.token_use_flush_seconds > 3600) {
    return InvalidArgument("security.token_use_flush_seconds must be 1..3600");
  }
  if (c.api_token_ttl_days > 3650) {
    return InvalidArgument("security.api_token_ttl_days must be 1..3650");
  }
  if (c.import_body_limit < c.body_limit) {
    return InvalidArgument("server.import_body_limit must be at least server.body_limit");
  }
  if (c.database.empty()) return InvalidArgument("database.url must not be empty");
  if (c.import_max_expanded_bytes < 1024) {
    return InvalidArgument("billing.import_max_expanded_bytes must be at least 1024");
  }
  if (c.import_max_expansion_ratio < 2) {
    return InvalidArgument("billing.import_max_expansion_ratio must be at least 2");
  }
  if (c.job_workers < 0 || c.job_workers > 64) return InvalidArgument("jobs.workers must be 0..64");
  if (c.billing_close_grace_hours < 0 || c.billing_close_grace_hours > 24 * 31) {
    return InvalidArgument("billing.close_grace_hours must be 0..744");
  }
  if (c.billing_close_check_seconds < 1) {
    return InvalidArgument("billing.close_check_seconds must be at least 1");
  }
  if (c.billing_usage_pull_after_ready_seconds < 0) {
    return InvalidArgument("billing.usage_pull_after_ready_seconds must not be negative");
  }
  if (c.sandbox_usage_lag_seconds < 0 || c.sandbox_usage_lag_seconds > 90 * 86400) {
    return InvalidArgument("sandbox.usage_lag_seconds must be 0..7776000");
  }
  if (c.budgets_evaluation_seconds < 1) {
    return InvalidArgument("budgets.evaluation_seconds must be at least 1");
  }
  if (c.billing_clc_token_cache_seconds < 0 || c.billing_clc_token_cache_seconds > 3600) {
    return InvalidArgument("billing.clc_token_cache_seconds must be 0..3600");
  }
  if (c.webhooks_timeout_seconds < 1 || c.webhooks_timeout_seconds > 60) {
    return InvalidArgument("webhooks.timeout_seconds must be 1..60");
  }
  if (c.webhooks_max_response_bytes < 0 || c.webhooks_max_response_bytes > (int64_t{1} << 20)) {
    return InvalidArgument("webhooks.max_response_bytes must be 0..1048576");
  }
  if (c.webhooks_retry_window_seconds < 1 || c.webhooks_retry_window_seconds > 7 * 86400) {
    return InvalidArgument("webhooks.retry_window_seconds must be 1..604800");
  }
  if (c.webhooks_retry_base_ms < 10 || c.webhooks_retry_base_ms > 3600000) {
    return InvalidArgument("webhooks.retry_base_ms must be 10..3600000");
  }
  if (c.webhooks_delivery_threads < 1 || c.webhooks_delivery_threads > 16) {
    return InvalidArgument("webhooks.delivery_threads must be 1..16");
  }
  for (const auto& [name, url] : {std::pair{"upstream.partner_center_url",
                                            c.UpstreamUrl(c.partner_center_url, "/partnercenter")},
                                  {"upstream.entra_url", c.UpstreamUrl(c.entra_url, "/login")},
                                  {"upstream.arm_url", c.UpstreamUrl(c.arm_url, "/arm")},
                                  {"upstream.clc_url", c.UpstreamUrl(c.clc_url, "/clc")}}) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      return InvalidArgument(std::string(name) +
                             " must be an http(s) URL (or set "
                             "upstream.sandbox_url)");
    }
  }
  return {};
}

}  // namespace pc::cli
