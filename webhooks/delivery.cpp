#include "webhooks/delivery.h"

#include <spdlog/spdlog.h>

#include "core/random.h"
#include "core/time.h"
#include "core/uuid.h"
#include "jobs/instance.h"
#include "webhooks/signature.h"

namespace pc::webhooks {

namespace {

constexpr auto kLease = std::chrono::seconds(120);

std::string Trimmed(std::string text, size_t max = 500) {
  if (text.size() > max) text = text.substr(0, max) + "...";
  return text;
}

// Queues an email to each admin of the organization: the endpoint was disabled.
Status TellAdmins(store::Transaction& tx, const std::string& organization_id,
                  const std::string& url, const std::string& reason) {
  PC_ASSIGN_OR_RETURN(store::Rows admins,
                      tx.Query("SELECT email FROM users WHERE organization_id = ? AND role = "
                               "'org_admin' AND disabled = 0 ORDER BY email",
                               {organization_id}));
  std::string now = FormatTimestamp(Now());
  for (const auto& admin : admins) {
    std::string body =
        "Hello,\n\nWe disabled your webhook endpoint\n\n  " + url +
        "\n\nbecause its deliveries have failed for too long: " + reason +
        ".\n\nEvents for it are kept and are sent when you enable it again "
        "(Settings > Webhooks, or PATCH /api/v1/webhooks/{id} with {\"enabled\":true}).\n";
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO outbox_emails (id, to_address, subject, body, created_at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   {Uuid::V7().ToString(), admin.Text("email"),
                    std::string("Webhook endpoint disabled"), body, now}));
  }
  return Status::Ok();
}

}  // namespace

DeliveryWorker::DeliveryWorker(store::Database& db, const SecretBox& secrets,
                               DeliveryOptions options)
    : db_(db), secrets_(secrets), options_(std::move(options)) {
  std::string incarnation = options_.incarnation.empty() ? RandomToken(6) : options_.incarnation;
  owner_ = (options_.instance.empty() ? "webhooks-" : options_.instance + ":") + incarnation;
  if (options_.threads < 1) options_.threads = 1;
}

DeliveryWorker::~DeliveryWorker() { Stop(); }

std::chrono::milliseconds DeliveryWorker::Backoff(int64_t failed_attempts,
                                                  std::chrono::milliseconds base,
                                                  std::chrono::milliseconds max) {
  auto wait = base;
  for (int64_t i = 1; i < failed_attempts && wait < max; ++i) wait *= 5;
  return std::min(wait, max);
}

Result<int64_t> DeliveryWorker::ReclaimPreviousIncarnations() {
  if (options_.instance.empty()) return int64_t{0};
  return db_.InTransaction<int64_t>([&](store::Transaction& tx) -> Result<int64_t> {
    return tx.Execute(
        "UPDATE webhook_deliveries SET lease_until = NULL, lease_owner = NULL WHERE status IN "
        "('pending', 'retrying') AND lease_owner LIKE ? ESCAPE '\\' AND lease_owner <> ?",
        {jobs::OwnersOfInstancePattern(options_.instance), owner_});
  });
}

void DeliveryWorker::Start() {
  auto reclaimed = ReclaimPreviousIncarnations();
  if (!reclaimed.ok()) {
    spdlog::warn("webhooks: leases of earlier runs of this instance not reclaimed: {}",
                 reclaimed.error().message);
  } else if (*reclaimed > 0) {
    spdlog::info("webhooks: took over {} delivery(ies) leased by an earlier run of this instance",
                 *reclaimed);
  }
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] {
      std::unique_lock lock(mu_);
      while (!stopping_) {
        uint64_t seen = pokes_;
        lock.unlock();
        DeliverDue();
        lock.lock();
        cv_.wait_for(lock, options_.poll_interval,
                     [this, seen] { return stopping_ || pokes_ != seen; });
      }
    });
  }
}

void DeliveryWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void DeliveryWorker::Poke() {
  {
    std::lock_guard lock(mu_);
    ++pokes_;
  }
  cv_.notify_all();
}

int DeliveryWorker::DeliverDue() {
  int attempted = 0;
  while (attempted < 100) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    if (!DeliverOne()) break;
    ++attempted;
  }
  return attempted;
}

bool DeliveryWorker::DeliverOne() {
  bool pg = db_.dialect() == store::Dialect::kPostgres;
  std::string now = FormatTimestamp(Now());
  std::string lease = FormatTimestamp(Now() + kLease);
  struct Claimed {
    store::Row delivery;
    store::Row target;
  };
  auto claimed = db_.InTransaction<std::optional<Claimed>>([&](store::Transaction& tx)
                                                               -> Result<std::optional<Claimed>> {
    PC_ASSIGN_OR_RETURN(
        store::Rows rows,
        tx.Query(
            std::string("UPDATE webhook_deliveries SET lease_until = ?, lease_owner = ? WHERE id = "
                        "(SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = "
                        "d.endpoint_id WHERE d.status IN ('pending', 'retrying') AND "
                        "d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until < ?) "
                        "AND e.enabled = 1 AND e.deleted_at IS NULL "
                        "ORDER BY d.next_attempt_at, d.id LIMIT 1") +
                (pg ? " FOR UPDATE OF d SKIP LOCKED" : "") +
                ") RETURNING id, endpoint_id, organization_id, event_id, message_id, "
                "attempts, created_at, window_start",
            {lease, owner_, now, now}));
    if (rows.empty()) return std::optional<Claimed>();
    const store::Row& d = rows[0];
    PC_ASSIGN_OR_RETURN(
        store::Rows target,
        tx.Query("SELECT e.url, e.secret, ev.payload FROM webhook_endpoints e "
                 "JOIN webhook_events ev ON ev.organization_id = ? AND ev.event_id = ? "
                 "WHERE e.id = ?",
                 {d.Text("organization_id"), d.Text("event_id"), d.Text("endpoint_id")}));
    if (target.empty()) return Internal("webhook delivery without its endpoint or event");
    return std::optional<Claimed>(Claimed{d, target[0]});
  });
  if (!claimed.ok()) {
    spdlog::warn("webhooks: {}", claimed.error().message);
    return false;
  }
  if (!*claimed) return false;
  const store::Row& d = (*claimed)->delivery;
  const store::Row& target = (*claimed)->target;
  std::string id = d.Text("id");
  std::string url = target.Text("url");

  Attempt attempt;
  auto secret = secrets_.Open(target.Text("secret"));
  int64_t timestamp = ToUnixSeconds(Now());
  Result<std::string> signature =
      secret.ok() ? Sign(*secret, d.Text("message_id"), timestamp, target.Text("payload"))
                  : Result<std::string>(secret.error());
  if (!signature.ok()) {
    attempt.error = "the endpoint's secret cannot be read (was the secret key changed?)";
  } else {
    attempt = Post(url,
                   {{"webhook-id", d.Text("message_id")},
                    {"webhook-timestamp", std::to_string(timestamp)},
                    {"webhook-signature", *signature}},
                   target.Text("payload"), options_.target);
  }

  Status marked = db_.InTransaction([&](store::Transaction& tx) -> Status {
    Timestamp at = Now();
    int64_t attempts = d.Int("attempts") + 1;
    std::vector<store::Param> last{
        attempt.status > 0 ? store::Param(int64_t{attempt.status}) : store::Param(nullptr),
        attempt.latency_ms, attempt.ok() ? store::Param(nullptr) : Trimmed(attempt.error)};
    if (attempt.ok()) {
      PC_RETURN_IF_ERROR(
          tx.Execute("UPDATE webhook_deliveries SET status = 'delivered', attempts = ?, "
                     "last_status_code = ?, last_latency_ms = ?, last_error = ?, delivered_at = ?, "
                     "next_attempt_at = NULL, lease_until = NULL, lease_owner = NULL "
                     "WHERE id = ? AND lease_owner = ?",
                     {attempts, last[0], last[1], last[2], FormatTimestamp(at), id, owner_}));
      return Status::Ok();
    }
    std::string start = d.IsNull("window_start") ? d.Text("created_at") : d.Text("window_start");
    auto window_start = ParseTimestamp(start);
    Timestamp deadline = (window_start.ok() ? *window_start : at) + options_.retry_window;
    if (at >= deadline) {
      PC_ASSIGN_OR_RETURN(
          int64_t failed,
          tx.Execute("UPDATE webhook_deliveries SET status = 'failed', attempts = ?, "
                     "last_status_code = ?, last_latency_ms = ?, last_error = ?, "
                     "next_attempt_at = NULL, lease_until = NULL, lease_owner = NULL "
                     "WHERE id = ? AND lease_owner = ?",
                     {attempts, last[0], last[1], last[2], id, owner_}));
      if (failed == 0) return Status::Ok();  // another process took it over meanwhile
      auto hours = std::chrono::duration_cast<std::chrono::hours>(options_.retry_window).count();
      std::string window = hours >= 1 ? std::to_string(hours) + " h"
                                      : std::to_string(options_.retry_window.count()) + " s";
      std::string reason =
          "deliveries failed for " + window + " (last: " + Trimmed(attempt.error, 200) + ")";
      PC_ASSIGN_OR_RETURN(
          int64_t disabled,
          tx.Execute("UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, "
                     "disabled_at = ?, updated_at = ? WHERE id = ? AND enabled = 1",
                     {reason, FormatTimestamp(at), FormatTimestamp(at), d.Text("endpoint_id")}));
      if (disabled > 0) {
        spdlog::warn("webhooks: endpoint {} disabled: {}", d.Text("endpoint_id"), reason);
        PC_RETURN_IF_ERROR(TellAdmins(tx, d.Text("organization_id"), url, reason));
      }
      return Status::Ok();
    }
    auto wait = Backoff(attempts, options_.retry_base, options_.retry_max);
    // ±10% jitter so that the deliveries of one outage do not all come back at once.
    auto jitter = std::chrono::milliseconds(
        RandomUniform(static_cast<uint32_t>(std::max<int64_t>(1, wait.count() / 5))));
    Timestamp next = at + wait - wait / 10 + jitter;
    if (next > deadline) next = deadline;
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE webhook_deliveries SET status = 'retrying', attempts = ?, "
                   "last_status_code = ?, last_latency_ms = ?, last_error = ?, "
                   "next_attempt_at = ?, lease_until = NULL, lease_owner = NULL "
                   "WHERE id = ? AND lease_owner = ?",
                   {attempts, last[0], last[1], last[2], FormatTimestamp(next), id, owner_}));
    return Status::Ok();
  });
  if (!marked.ok()) spdlog::warn("webhooks: delivery {}: {}", id, marked.error().message);
  if (!attempt.ok()) {
    spdlog::info("webhooks: delivery {} to endpoint {} failed: {}", id, d.Text("endpoint_id"),
                 attempt.error);
  }
  return true;
}

}  // namespace pc::webhooks
