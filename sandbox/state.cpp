#include "sandbox/state.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/algorithm/string/predicate.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/random.h"
#include "sandbox/tls.h"

namespace pc::sandbox {

void State::Reset(uint64_t new_seed) {
  seed = new_seed;
  ids = SeededRandom(new_seed);
  faults = FaultPlan();
  clc_signing_key = Sha256Hex("partnercloud-sandbox-clc-" + std::to_string(new_seed));
  clc_accounts.clear();
  clc_users.clear();
  throttled.clear();
  retries_after_throttle.clear();
  tokens.Clear();
  refresh_tokens.Clear();
  customers.clear();
  created_at.clear();
  agreements.clear();
  carts.clear();
  orders.clear();
  subscriptions.clear();
  azure_subscriptions.clear();
  application_consents.clear();
  service_requests.clear();
  replay.Clear();
  role_definitions.clear();
  role_assignments.clear();
  policy_assignments.clear();
  resources.clear();
  aliases.clear();
  users.clear();
  service_principals.clear();
  exports.clear();
  invoice_lines.clear();
  mailbox.clear();
  mailbox_bytes = 0;
  request_counts.clear();
  arm_reads_remaining = 11999;
  arm_writes_remaining = 1199;

  auto account = [&](std::string alias, std::string parent, std::string name, std::string country,
                     std::string type, std::string status = "Active") {
    ClcAccount a{alias,   parent, name,  "1100 112th Ave NE", "Bellevue", "WA", "98004",
                 country, type,   status};
    if (country == "GB") {
      a.address1 = "10 Downing Street";
      a.city = "London";
      a.state = "";
      a.postal_code = "SW1A 2AA";
    }
    clc_accounts[alias] = a;
  };
  // The platform account every customer account hangs under; its user partner.billing is the
  // partner's own CLC service user that posts invoice lines for every alias.
  account("T3N", "", "CenturyLink Cloud Platform", "US", "Internal");
  account("ACME", "T3N", "Acme Corp", "US", "Customer");
  account("ACMD", "ACME", "Acme Corp Development", "US", "Customer");
  account("ACMT", "ACME", "Acme Corp Test", "US", "Customer");
  account("RSLR", "T3N", "Reseller Partners LLC", "US", "Reseller");
  account("RSC1", "RSLR", "Reseller Customer One", "US", "ResellerCustomer");
  account("DEMO", "T3N", "Demo Account", "US", "Demo", "Demo");
  account("BRIT", "T3N", "Britannia Ltd", "GB", "Customer");
  std::vector<std::string> all_roles = {"AccountAdmin"};
  clc_users["acme.admin"] = {"acme.admin", "ACME", {"AccountAdmin", "AccountViewer"}};
  clc_users["acme.billing"] = {"acme.billing", "ACME", {"BillingAdmin"}};
  clc_users["rslr.admin"] = {"rslr.admin", "RSLR", {"AccountAdmin"}};
  clc_users["demo.admin"] = {"demo.admin", "DEMO", {"AccountAdmin"}};
  clc_users["brit.admin"] = {"brit.admin", "BRIT", {"AccountAdmin"}};
  clc_users["partner.billing"] = {"partner.billing", "T3N", {"AccountAdmin", "BillingAdmin"}};
  refresh_tokens.Put(std::string(kFixtureRefreshToken), std::string(kPartnerTenantId),
                     Timestamp::max(), 0, Now());
}

namespace {

int64_t Micros(Timestamp t) { return t.time_since_epoch().count(); }
Timestamp FromMicros(int64_t us) { return Timestamp(std::chrono::microseconds(us)); }

json::array ArrayOf(const std::vector<json::object>& items) {
  json::array a;
  for (const auto& i : items) a.push_back(i);
  return a;
}
json::object ObjectOf(const std::map<std::string, json::object>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}
std::vector<json::object> ObjectsIn(const json::object& o, std::string_view key) {
  std::vector<json::object> out;
  if (const auto* a = o.if_contains(key); a && a->is_array()) {
    for (const auto& v : a->as_array()) {
      if (v.is_object()) out.push_back(v.as_object());
    }
  }
  return out;
}
std::map<std::string, json::object> MapIn(const json::object& o, std::string_view key) {
  std::map<std::string, json::object> out;
  if (const auto* m = o.if_contains(key); m && m->is_object()) {
    for (const auto& kv : m->as_object()) {
      if (kv.value().is_object()) out[std::string(kv.key())] = kv.value().as_object();
    }
  }
  return out;
}
int64_t IntIn(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return 0;
}
std::string StrIn(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

Status State::Save() const {
  if (data_file.empty()) return {};
  json::object o;
  o["format"] = "partnercloud-sandbox-1";
  o["seed"] = seed;
  o["idsPosition"] = ids.position();
  o["clockOffsetMicros"] = static_cast<int64_t>(clock_offset.count());
  o["customers"] = ArrayOf(customers);
  json::object created;
  for (const auto& [id, t] : created_at) created[id] = Micros(t);
  o["createdAt"] = std::move(created);
  json::object agreements_out;
  for (const auto& [cid, list] : agreements) agreements_out[cid] = ArrayOf(list);
  o["agreements"] = std::move(agreements_out);
  o["carts"] = ObjectOf(carts);
  o["orders"] = ArrayOf(orders);
  o["subscriptions"] = ArrayOf(subscriptions);
  json::array azure;
  for (const auto& s : azure_subscriptions) {
    json::object providers_out, registering_out;
    for (const auto& [ns, st] : s.providers) providers_out[ns] = st;
    for (const auto& [ns, n] : s.registering) registering_out[ns] = n;
    azure.push_back(json::object{{"subscriptionId", s.subscription_id},
                                 {"tenantId", s.tenant_id},
                                 {"displayName", s.display_name},
                                 {"planSubscriptionId", s.plan_subscription_id},
                                 {"createdMicros", Micros(s.created)},
                                 {"providers", std::move(providers_out)},
                                 {"registering", std::move(registering_out)}});
    if (s.cancelled) azure.back().as_object()["cancelledMicros"] = Micros(*s.cancelled);
  }
  o["azureSubscriptions"] = std::move(azure);
  o["applicationConsents"] = ArrayOf(application_consents);
  o["serviceRequests"] = ArrayOf(service_requests);
  o["roleDefinitions"] = ObjectOf(role_definitions);
  o["roleAssignments"] = ObjectOf(role_assignments);
  o["policyAssignments"] = ObjectOf(policy_assignments);
  o["resources"] = ObjectOf(resources);
  o["aliases"] = ObjectOf(aliases);
  o["users"] = ArrayOf(users);
  o["servicePrincipals"] = ArrayOf(service_principals);
  o["invoiceLines"] = ArrayOf(invoice_lines);
  o["mailbox"] = ArrayOf(mailbox);
  std::string text = json::serialize(o);
  std::string tmp = data_file + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("Cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Unavailable("Cannot write " + tmp + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Unavailable("Cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), data_file.c_str()) != 0) {
    return Unavailable("Cannot replace " + data_file + ": " + std::strerror(errno));
  }
  return {};
}

Status State::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("Cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto parsed = ParseJsonObject(buffer.str());
  if (!parsed.ok())
    return InvalidArgument(path + " is not a sandbox state file: " + parsed.error().message);
  const json::object& o = *parsed;
  if (StrIn(o, "format") != "partnercloud-sandbox-1") {
    return InvalidArgument(path + " is not a sandbox state file (format partnercloud-sandbox-1)");
  }
  const auto* seed_value = o.if_contains("seed");
  uint64_t saved_seed = seed_value && seed_value->is_uint64() ? seed_value->as_uint64()
                        : seed_value && seed_value->is_int64()
                            ? static_cast<uint64_t>(seed_value->as_int64())
                            : 1;
  Reset(saved_seed);
  const auto* position = o.if_contains("idsPosition");
  if (position && position->is_uint64()) ids.set_position(position->as_uint64());
  if (position && position->is_int64())
    ids.set_position(static_cast<uint64_t>(position->as_int64()));
  clock_offset = std::chrono::microseconds(IntIn(o, "clockOffsetMicros"));
  customers = ObjectsIn(o, "customers");
  if (const auto* c = o.if_contains("createdAt"); c && c->is_object()) {
    for (const auto& kv : c->as_object()) {
      if (kv.value().is_int64())
        created_at[std::string(kv.key())] = FromMicros(kv.value().as_int64());
    }
  }
  if (const auto* a = o.if_contains("agreements"); a && a->is_object()) {
    for (const auto& kv : a->as_object()) {
      if (kv.value().is_array())
        agreements[std::string(kv.key())] = ObjectsIn(a->as_object(), kv.key());
    }
  }
  carts = MapIn(o, "carts");
  orders = ObjectsIn(o, "orders");
  subscriptions = ObjectsIn(o, "subscriptions");
  for (const auto& s : ObjectsIn(o, "azureSubscriptions")) {
    AzureSubscription a;
    a.subscription_id = StrIn(s, "subscriptionId");
    a.tenant_id = StrIn(s, "tenantId");
    a.display_name = StrIn(s, "displayName");
    a.plan_subscription_id = StrIn(s, "planSubscriptionId");
    a.created = FromMicros(IntIn(s, "createdMicros"));
    if (const auto* p = s.if_contains("providers"); p && p->is_object()) {
      for (const auto& kv : p->as_object()) {
        if (kv.value().is_string())
          a.providers[std::string(kv.key())] = std::string(kv.value().as_string());
      }
    }
    if (const auto* p = s.if_contains("registering"); p && p->is_object()) {
      for (const auto& kv : p->as_object()) {
        if (kv.value().is_int64())
          a.registering[std::string(kv.key())] = static_cast<int>(kv.value().as_int64());
      }
    }
    if (s.contains("cancelledMicros")) a.cancelled = FromMicros(IntIn(s, "cancelledMicros"));
    azure_subscriptions.push_back(std::move(a));
  }
  application_consents = ObjectsIn(o, "applicationConsents");
  service_requests = ObjectsIn(o, "serviceRequests");
  role_definitions = MapIn(o, "roleDefinitions");
  role_assignments = MapIn(o, "roleAssignments");
  policy_assignments = MapIn(o, "policyAssignments");
  resources = MapIn(o, "resources");
  aliases = MapIn(o, "aliases");
  users = ObjectsIn(o, "users");
  service_principals = ObjectsIn(o, "servicePrincipals");
  invoice_lines = ObjectsIn(o, "invoiceLines");
  for (auto& m : ObjectsIn(o, "mailbox")) {
    size_t bytes = static_cast<size_t>(IntIn(m, "bytes"));
    AddMail(std::move(m), bytes);
  }
  return {};
}

void State::AddMail(json::object message, size_t bytes) {
  message["bytes"] = bytes;
  mailbox.push_back(std::move(message));
  mailbox_bytes += bytes;
  while (mailbox.size() > kMaxMailboxMessages || mailbox_bytes > kMaxMailboxBytes) {
    mailbox_bytes -= static_cast<size_t>(mailbox.front().at("bytes").as_uint64());
    mailbox.erase(mailbox.begin());
  }
}

void State::CountRequest(const std::string& key) {
  auto it = request_counts.find(key);
  if (it == request_counts.end() && request_counts.size() >= kMaxCountKeys) {
    ++request_counts["(other)"];
    return;
  }
  ++request_counts[key];
}

bool State::Hidden(const std::string& id) const {
  auto delay = faults.consistency_delay_seconds();
  if (delay <= 0) return false;
  auto it = created_at.find(id);
  return it != created_at.end() && Now() < it->second + std::chrono::seconds(delay);
}

const json::object* State::FindCustomer(const std::string& id) const {
  for (const auto& c : customers) {
    if (boost::iequals(std::string(c.at("id").as_string()), id)) return &c;
  }
  return nullptr;
}

AzureSubscription* State::FindAzureSubscription(const std::string& id) {
  for (auto& s : azure_subscriptions) {
    if (boost::iequals(s.subscription_id, id)) return &s;
  }
  return nullptr;
}

AzureSubscription& State::AddAzureSubscription(const std::string& subscription_id,
                                               const std::string& tenant_id,
                                               const std::string& display_name) {
  AzureSubscription s;
  s.subscription_id = subscription_id;
  s.tenant_id = tenant_id;
  s.display_name = display_name;
  s.created = Now();
  for (const auto& sub : subscriptions) {
    if (sub.at("customerId").as_string() == tenant_id) {
      s.plan_subscription_id = std::string(sub.at("id").as_string());
    }
  }
  for (const char* ns : {"Microsoft.Resources", "Microsoft.Authorization", "Microsoft.Billing"}) {
    s.providers[ns] = "Registered";
  }
  for (const char* ns :
       {"Microsoft.Compute", "Microsoft.Storage", "Microsoft.Network", "Microsoft.Insights",
        "Microsoft.ResourceHealth", "Microsoft.Web", "Microsoft.Sql"}) {
    s.providers[ns] = "NotRegistered";
  }
  azure_subscriptions.push_back(std::move(s));
  return azure_subscriptions.back();
}

std::vector<UsageSubscription> State::UsageSubscriptions() const {
  std::vector<UsageSubscription> out;
  for (const auto& a : azure_subscriptions) {
    UsageSubscription u;
    u.azure_subscription_id = a.subscription_id;
    u.plan_subscription_id = a.plan_subscription_id;
    u.customer_id = a.tenant_id;
    u.created = a.created;
    if (const json::object* c = FindCustomer(a.tenant_id)) {
      const auto& bp = c->at("billingProfile").as_object();
      u.customer_name = std::string(bp.at("companyName").as_string());
      u.customer_domain = std::string(c->at("companyProfile").at("domain").as_string());
      u.customer_country = std::string(bp.at("defaultAddress").at("country").as_string());
    }
    out.push_back(std::move(u));
  }
  return out;
}

bool State::KnownTenant(const std::string& tenant) const {
  if (boost::iequals(tenant, kPartnerTenantId)) return true;
  return FindCustomer(tenant) != nullptr;
}

std::string State::TenantIdFor(const std::string& t) const {
  if (boost::iequals(t, kPartnerDomain) || boost::iequals(t, kPartnerTenantId)) {
    return std::string(kPartnerTenantId);
  }
  for (const auto& c : customers) {
    const auto& profile = c.at("companyProfile").as_object();
    if (boost::iequals(std::string(c.at("id").as_string()), t) ||
        boost::iequals(std::string(profile.at("domain").as_string()), t)) {
      return std::string(c.at("id").as_string());
    }
  }
  for (const auto& s : azure_subscriptions) {
    if (boost::iequals(s.tenant_id, t)) return s.tenant_id;
  }
  return "";
}

std::optional<AccessToken> State::Bearer(const http::Request& req) const {
  std::string auth = Header(req, "Authorization");
  if (!boost::istarts_with(auth, "Bearer ")) return std::nullopt;
  const AccessToken* token = tokens.Find(auth.substr(7), Now());
  if (!token) return std::nullopt;
  return *token;
}

json::object State::Snapshot() const {
  json::object out;
  auto array_of = [](const auto& items) {
    json::array a;
    for (const auto& i : items) a.push_back(i);
    return a;
  };
  auto values_of = [](const std::map<std::string, json::object>& m) {
    json::array a;
    for (const auto& [k, v] : m) a.push_back(v);
    return a;
  };
  out["seed"] = seed;
  out["now"] = Iso(Now());
  out["usageLagSeconds"] = static_cast<int64_t>(usage_lag.count());
  out["dataFile"] = data_file;
  out["customers"] = array_of(customers);
  out["subscriptions"] = array_of(subscriptions);
  json::array azure;
  for (const auto& s : azure_subscriptions) {
    json::object providers;
    for (const auto& [ns, st] : s.providers) providers[ns] = st;
    azure.push_back(json::object{{"subscriptionId", s.subscription_id},
                                 {"tenantId", s.tenant_id},
                                 {"displayName", s.display_name},
                                 {"planSubscriptionId", s.plan_subscription_id},
                                 {"createdDateTime", Iso(s.created)},
                                 {"providers", providers}});
  }
  out["azureSubscriptions"] = std::move(azure);
  out["orders"] = array_of(orders);
  out["roleDefinitions"] = values_of(role_definitions);
  out["roleAssignments"] = values_of(role_assignments);
  out["policyAssignments"] = values_of(policy_assignments);
  out["resources"] = values_of(resources);
  out["applicationConsents"] = array_of(application_consents);
  out["serviceRequests"] = array_of(service_requests);
  out["invoiceLines"] = array_of(invoice_lines);
  json::array mail;
  for (const auto& m : mailbox) {
    json::object wire = m;
    wire.erase("bytes");
    mail.push_back(std::move(wire));
  }
  out["mailbox"] = std::move(mail);
  out["smtpPort"] = smtp_port;
  out["users"] = array_of(users);
  out["servicePrincipals"] = array_of(service_principals);
  json::array agreements_out;
  for (const auto& [cid, list] : agreements) {
    for (const auto& a : list) agreements_out.push_back(a);
  }
  out["agreements"] = std::move(agreements_out);
  json::object counts;
  for (const auto& [route, n] : request_counts) counts[route] = n;
  out["requestCounts"] = std::move(counts);
  json::array retries;
  for (const auto& r : retries_after_throttle) retries.push_back(r);
  out["retriesAfterThrottle"] = std::move(retries);
  out["faults"] = faults.source();
  return out;
}

std::string Header(const http::Request& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::string() : std::string(it->value());
}

const json::value* FindCi(const json::object& o, std::string_view key) {
  for (const auto& kv : o) {
    if (boost::iequals(kv.key(), key)) return &kv.value();
  }
  return nullptr;
}

std::string StringCi(const json::object& o, std::string_view key) {
  const json::value* v = FindCi(o, key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

namespace {
constexpr std::string_view kDecimalMark = "\x01";
}

json::value DecimalJson(const std::string& decimal_text) {
  return json::string(std::string(kDecimalMark) + decimal_text);
}

std::string SerializeExact(const json::value& v) {
  std::string text = json::serialize(v);
  // The serializer writes the mark as \u0001 inside a quoted string: "\u0001123.45".
  const std::string open = "\"\\u0001";
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (true) {
    size_t j = text.find(open, i);
    if (j == std::string::npos) break;
    out.append(text, i, j - i);
    size_t end = text.find('"', j + open.size());
    out.append(text, j + open.size(), end - (j + open.size()));
    i = end + 1;
  }
  out.append(text, i, std::string::npos);
  return out;
}

http::Response ExactJsonResponse(http::Status status, const json::value& body) {
  return http::TextResponse(status, SerializeExact(body), "application/json; charset=utf-8");
}

std::string BaseUrl(const http::Request& req) {
  std::string host = Header(req, "Host");
  bool plain = !host.empty() && host.size() < 256;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != ':' && c != '-' &&
        c != '[' && c != ']') {
      plain = false;
    }
  }
  if (!plain) return "http://127.0.0.1";
  // Through the TLS front (same Host port as a front of this process): https.
  size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']', colon) == std::string::npos) {
    uint16_t port = 0;
    std::string_view digits = std::string_view(host).substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec == std::errc() && end == digits.data() + digits.size() && IsTlsFrontPort(port)) {
      return "https://" + host;
    }
  }
  return "http://" + host;
}

std::string Iso(Timestamp t) { return FormatTimestamp(t).substr(0, 19) + "Z"; }

}  // namespace pc::sandbox
