// WebhookService: an organization's webhook endpoints and their delivery logs, with every
// authorization decision about them. Org admins manage their organization's endpoints; org
// members read them; partner staff (operators, support agents) read every organization's. An
// endpoint of another organization is not found (404), never forbidden, so ids do not leak.
// Every change is audited in its transaction. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "core/secret_box.h"
#include "identity/identity.h"
#include "store/store.h"
#include "webhooks/sender.h"

namespace pc::webhooks {

struct Endpoint {
  std::string id;
  std::string organization_id;
  std::string url;
  std::string description;
  std::vector<std::string> events;
  bool enabled = true;
  std::optional<std::string> disabled_reason;
  std::string created_at;
  std::optional<std::string> secret;  // only in the answer to Create
};

struct Delivery {
  std::string id;
  std::string event_id;
  std::string type;
  std::string status;  // pending, retrying, delivered, failed
  int64_t attempts = 0;
  std::optional<int64_t> last_status_code;
  std::optional<int64_t> last_latency_ms;
  std::optional<std::string> last_error;
  std::optional<std::string> next_attempt_at;
  std::string created_at;
  std::optional<std::string> delivered_at;
};

struct NewEndpoint {
  std::string url;
  std::vector<std::string> events;
  std::string description;
};

struct EndpointChanges {
  std::optional<bool> enabled;
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<std::string> description;
};

class WebhookService {
 public:
  static constexpr int kMaxEndpointsPerOrganization = 20;

  WebhookService(store::Database& db, const SecretBox& secrets, TargetPolicy policy);

  // Staff: every organization's (or `organization_id`'s); customers: their own.
  Result<std::vector<Endpoint>> List(const identity::Principal& who,
                                     std::optional<std::string> organization_id = {});
  Result<Endpoint> Get(const identity::Principal& who, const std::string& id);
  // The answer carries the secret, the only time it is shown.
  Result<Endpoint> Create(const identity::Principal& who, const NewEndpoint& in);
  // enabled=true re-enables a disabled endpoint: its waiting deliveries are due at once, with a
  // new retry window.
  Result<Endpoint> Update(const identity::Principal& who, const std::string& id,
                          const EndpointChanges& changes);
  // The endpoint disappears from the lists; its deliveries not yet made are failed.
  Status Delete(const identity::Principal& who, const std::string& id);
  // Queues a webhook.test event for this endpoint alone; returns the delivery id.
  Result<std::string> SendTest(const identity::Principal& who, const std::string& id);
  // Newest first.
  Result<std::vector<Delivery>> ListDeliveries(const identity::Principal& who,
                                               const std::string& id, int64_t limit);

  // Called after a change queued deliveries (the worker's Poke).
  std::function<void()> on_queued;

 private:
  Result<Endpoint> Load(store::Transaction& tx, const identity::Principal& who,
                        const std::string& id);
  Result<std::vector<std::string>> CheckEvents(const std::vector<std::string>& events);

  store::Database& db_;
  const SecretBox& secrets_;
  TargetPolicy policy_;
};

json::object ToJson(const Endpoint& endpoint);
json::object ToJson(const Delivery& delivery);

}  // namespace pc::webhooks
