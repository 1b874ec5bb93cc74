#include "cli/demo_history.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "billing/month_close.h"
#include "billing/usage_pull.h"
#include "connectors/http_client.h"
#include "core/json.h"
#include "core/time.h"
#include "identity/identity.h"

namespace pc::cli {

namespace {

constexpr const char* kAlias = "ACME";

class Client {
 public:
  explicit Client(std::string base) : base_(std::move(base)), http_(Options()) {}

  Result<json::value> Call(const std::string& method, const std::string& path,
                           const std::string& body, std::initializer_list<long> expected) {
    connectors::HttpRequest req;
    req.method = method;
    req.url = base_ + path;
    req.body = body;
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    if (!token_.empty()) req.headers.push_back({"Authorization", "Bearer " + token_});
    PC_ASSIGN_OR_RETURN(auto res, http_.Send(req));
    bool ok = false;
    for (long e : expected) ok = ok || res.status == e;
    if (!ok) {
      return Unavailable(method + " " + path + " answered " + std::to_string(res.status) + ": " +
                         res.body.substr(0, 300));
    }
    if (res.body.empty()) return json::value();
    auto parsed = ParseJsonObject(res.body);
    if (!parsed.ok()) return json::value();
    return json::value(std::move(*parsed));
  }
  void set_token(std::string t) { token_ = std::move(t); }

 private:
  static connectors::HttpClientOptions Options() {
    connectors::HttpClientOptions o;
    o.upstream = "demo-history";
    o.retry.max_attempts = 2;  // its own service and sandbox: nothing to wait out
    return o;
  }
  std::string base_, token_;
  connectors::HttpClient http_;
};

std::string Text(const json::value& v, std::string_view key) {
  if (!v.is_object()) return "";
  const auto* f = v.as_object().if_contains(key);
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}

std::string Two(int n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", n);
  return buf;
}

}  // namespace

Result<DemoHistoryReport> CreateDemoHistory(const Config& config, RunningService& running,
                                            int months) {
  if (config.sandbox_url.empty()) {
    return InvalidArgument("--history needs the sandbox (upstream.sandbox_url)");
  }
  DemoHistoryReport report;
  Client sandbox(config.sandbox_url);
  Client api("http://127.0.0.1:" + std::to_string(running.port));
  Timestamp now = Now();
  YearMonth first = YearMonth::Containing(now);
  for (int i = 0; i < months; ++i) first = first.Prev();
  std::string then = std::to_string(first.year()) + "-" + Two(first.month()) + "-02T09:00:00Z";

  // 1. Onboard ACME on the sandbox's clock set back to the first history month.
  PC_RETURN_IF_ERROR(
      sandbox.Call("POST", "/sandbox/control/clock", "{\"set\":\"" + then + "\"}", {200}));
  struct ClockBack {
    Client& sandbox;
    ~ClockBack() { (void)sandbox.Call("POST", "/sandbox/control/clock", "{\"real\":true}", {200}); }
  } clock_back{sandbox};
  PC_ASSIGN_OR_RETURN(auto session,
                      api.Call("POST", "/api/v1/session",
                               R"({"email":"admin@acme.example","password":"demo"})", {200}));
  api.set_token(Text(session, "token"));
  PC_ASSIGN_OR_RETURN(auto connection,
                      api.Call("POST", "/api/v1/clc/connections",
                               R"({"username":"acme.admin","password":"sandbox"})", {200, 201}));
  PC_ASSIGN_OR_RETURN(auto terms, api.Call("GET", "/api/v1/terms", "", {200}));
  std::string template_id = terms.is_object() && terms.as_object().contains("microsoft")
                                ? Text(terms.as_object().at("microsoft"), "templateId")
                                : std::string();
  json::object provider{{"name", "Acme Azure (since " + first.ToString() + ")"},
                        {"type", "azure-resource-manager"},
                        {"mode", "new-customer"},
                        {"connectionId", Text(connection, "connectionId")},
                        {"billingAlias", kAlias},
                        {"terms",
                         {{"centurylink", config.centurylink_terms_version},
                          {"microsoft",
                           {{"templateId", template_id},
                            {"contact",
                             {{"firstName", "Ada"},
                              {"lastName", "Admin"},
                              {"email", "ada@acme.example"},
                              {"phoneNumber", "4255550101"}}}}}}}};
  PC_ASSIGN_OR_RETURN(auto created, api.Call("POST", "/api/v1/providers", json::serialize(provider),
                                             {200, 201, 202}));
  report.provider_id = Text(created, "id");
  std::string state;
  for (int i = 0; i < 600 && state != "ready"; ++i) {
    if (running.stopping) return Unavailable("the demo is stopping");
    PC_ASSIGN_OR_RETURN(auto p,
                        api.Call("GET", "/api/v1/providers/" + report.provider_id, "", {200}));
    state = Text(p, "state");
    if (state == "unavailable") {
      return Unavailable("the history provider became unavailable: " + Text(p, "stateReason"));
    }
    if (state != "ready") std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (state != "ready") return Unavailable("the history provider was not ready within 2 minutes");
  PC_RETURN_IF_ERROR(sandbox.Call("POST", "/sandbox/control/clock", "{\"real\":true}", {200}));

  // 2. Date the provider back to when the sandbox created its customer and subscription.
  auto since = ParseTimestamp(then);
  if (!since.ok()) return since.error();
  std::string at = FormatTimestamp(*since);
  PC_RETURN_IF_ERROR(running.db.InTransaction([&](store::Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE providers SET created_at = ?, updated_at = ? WHERE id = ?",
                   {at, at, report.provider_id}));
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE azure_subscriptions_map SET created_at = ? WHERE billing_alias = ?", {at, kAlias}));
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE billing_aliases SET created_at = ?, updated_at = ? WHERE alias = ?",
                   {at, at, kAlias}));
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE terms_acceptances SET accepted_at = ? WHERE billing_alias = ?", {at, kAlias}));
    return {};
  }));

  // 3. Each ended month: its billed usage, then its close. The first month's last day arrives
  // only after its close: the next close bills it as a reconciliation line.
  std::string temp = (std::filesystem::temp_directory_path() / "partnercloud-usage-pull").string();
  auto pull = [&](YearMonth m, const billing::UsageDayFilter& keep) -> Status {
    char id[16];
    std::snprintf(id, sizeof id, "G100%04d%02d", m.year(), m.month());
    auto imported = billing::PullBilledUsage(running.db, running.partner_center, id, temp, keep);
    if (!imported.ok()) return imported.error();
    spdlog::info("demo history: {} usage of {}: {} rows billed, {} of unknown customers", id,
                 m.ToString(), imported->rows_imported, imported->rows_unknown);
    return {};
  };
  YearMonth current = YearMonth::Containing(Now());
  std::string last_day = FormatTimestamp(first.End() - std::chrono::hours(24)).substr(0, 10);
  for (YearMonth m = first; m < current && !running.stopping; m = m.Next()) {
    if (m == first) {
      PC_RETURN_IF_ERROR(pull(m, [&](std::string_view day) { return day != last_day; }));
    } else {
      PC_RETURN_IF_ERROR(pull(m, {}));
    }
    auto closed = billing::CloseMonth(running.db, identity::SystemPrincipal(), m, Now(),
                                      running.post_invoice_line);
    if (!closed.ok()) return closed.error();
    ++report.months_closed;
    report.invoice_lines += static_cast<int>(closed->created.size());
    spdlog::info("demo history: closed {} ({} invoice lines)", m.ToString(),
                 closed->created.size());
    if (m == first) {
      PC_RETURN_IF_ERROR(pull(m, [&](std::string_view day) { return day == last_day; }));
    }
  }
  return report;
}

}  // namespace pc::cli
