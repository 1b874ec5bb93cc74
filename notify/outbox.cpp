#include "notify/outbox.h"

#include <spdlog/spdlog.h>

#include "connectors/smtp_client.h"
#include "core/json.h"
#include "core/random.h"
#include "core/time.h"
#include "jobs/instance.h"

namespace pc::notify {

OutboxSender::OutboxSender(store::Database& db, std::string relay_url, std::string from,
                           std::chrono::milliseconds interval, std::string instance,
                           std::string incarnation)
    : db_(db),
      relay_url_(std::move(relay_url)),
      from_(std::move(from)),
      interval_(interval),
      instance_(std::move(instance)) {
  if (incarnation.empty()) incarnation = RandomToken(6);
  owner_ = (instance_.empty() ? "outbox-" : instance_ + ":") + incarnation;
}

Result<int64_t> OutboxSender::ReclaimPreviousIncarnations() {
  if (instance_.empty()) return int64_t{0};
  return db_.InTransaction<int64_t>([&](store::Transaction& tx) -> Result<int64_t> {
    return tx.Execute(
        "UPDATE outbox_emails SET lease_until = NULL, lease_owner = NULL WHERE sent_at IS NULL "
        "AND lease_owner LIKE ? ESCAPE '\\' AND lease_owner <> ?",
        {jobs::OwnersOfInstancePattern(instance_), owner_});
  });
}

OutboxSender::~OutboxSender() { Stop(); }

void OutboxSender::Start() {
  auto reclaimed = ReclaimPreviousIncarnations();
  if (!reclaimed.ok()) {
    spdlog::warn("outbox: leases of earlier runs of this instance not reclaimed: {}",
                 reclaimed.error().message);
  } else if (*reclaimed > 0) {
    spdlog::info("outbox: took over {} email(s) leased by an earlier run of this instance",
                 *reclaimed);
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      SendDue();
      lock.lock();
      cv_.wait_for(lock, interval_, [this] { return stopping_; });
    }
  });
}

void OutboxSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxSender::Poke() { cv_.notify_all(); }

int OutboxSender::SendDue() {
  int sent = 0;
  bool pg = db_.dialect() == store::Dialect::kPostgres;
  for (int i = 0; i < 50; ++i) {
    std::string now = FormatTimestamp(Now());
    std::string lease = FormatTimestamp(Now() + std::chrono::seconds(60));
    auto claimed = db_.InTransaction<store::Rows>([&](store::Transaction& tx) {
      return tx.Query(
          std::string("UPDATE outbox_emails SET lease_until = ?, lease_owner = ? WHERE id = "
                      "(SELECT id FROM "
                      "outbox_emails WHERE sent_at IS NULL AND (lease_until IS NULL OR "
                      "lease_until < ?) ORDER BY created_at LIMIT 1") +
              (pg ? " FOR UPDATE SKIP LOCKED" : "") +
              ") RETURNING id, to_address, subject, body, attempts, headers",
          {lease, owner_, now});
    });
    if (!claimed.ok()) {
      spdlog::warn("outbox: {}", claimed.error().message);
      return sent;
    }
    if (claimed->empty()) return sent;
    const auto& row = (*claimed)[0];
    std::string id = row.Text("id");
    connectors::EmailMessage message{from_, row.Text("to_address"), row.Text("subject"),
                                     row.Text("body"), id + "@partnercloud"};
    // Threading headers the support desk set (a JSON object of name -> value).
    if (!row.IsNull("headers")) {
      if (auto headers = ParseJsonObject(row.Text("headers")); headers.ok()) {
        for (const auto& [name, value] : *headers) {
          if (!value.is_string()) continue;
          std::string text(value.as_string());
          if (name == "Message-ID") {
            if (text.size() > 2 && text.front() == '<') text = text.substr(1, text.size() - 2);
            message.message_id = text;
          } else {
            message.headers.emplace_back(std::string(name), text);
          }
        }
      }
    }
    Status delivered = connectors::SendEmail(relay_url_, message);
    Status marked = db_.InTransaction([&](store::Transaction& tx) -> Status {
      if (delivered.ok()) {
        PC_RETURN_IF_ERROR(
            tx.Execute("UPDATE outbox_emails SET sent_at = ?, last_error = NULL, "
                       "lease_owner = NULL WHERE id = ?",
                       {FormatTimestamp(Now()), id}));
        return {};
      }
      int64_t attempts = row.Int("attempts") + 1;
      auto retry = std::chrono::seconds(
          std::min<int64_t>(3600, int64_t{5} << std::min<int64_t>(attempts, 10)));
      PC_RETURN_IF_ERROR(
          tx.Execute("UPDATE outbox_emails SET attempts = ?, last_error = ?, "
                     "lease_until = ?, lease_owner = NULL WHERE id = ?",
                     {attempts, delivered.error().message, FormatTimestamp(Now() + retry), id}));
      return {};
    });
    if (!marked.ok()) spdlog::warn("outbox: {}", marked.error().message);
    if (!delivered.ok()) {
      spdlog::warn("outbox: email {} not delivered: {}", id, delivered.error().message);
      return sent;
    }
    ++sent;
  }
  return sent;
}

}  // namespace pc::notify
