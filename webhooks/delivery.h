// DeliveryWorker: sends the deliveries queued in webhook_deliveries (webhooks/events.h) to their
// endpoints, signed per Standard Webhooks (webhooks/signature.h), through the guarded sender
// (webhooks/sender.h). Durable and at least once, like notify/outbox.h:
// - a delivery is leased before it is sent ("<instance>:<incarnation>", jobs/instance.h), so
//   processes sharing the database never send it at once; at start the worker takes over at
//   once the deliveries its instance's earlier (killed) runs had leased;
// - a crash between the receiver's answer and the mark sends it again, with the same
//   webhook-id (receivers deduplicate on it);
// - a failed attempt (no 2xx answer in time, a refused address, a redirect) is retried with
//   exponential backoff (retry_base × 5^(n-1), at most retry_max, jittered) until the retry
//   window (24 h from the delivery's creation) has passed; then the delivery is failed, the
//   endpoint disabled with the reason, and its organization's admins told by email (outbox).
//   Its other queued deliveries wait; re-enabling the endpoint (WebhookService) resumes them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "core/secret_box.h"
#include "store/store.h"
#include "webhooks/sender.h"

namespace pc::webhooks {

struct DeliveryOptions {
  TargetPolicy target;
  std::chrono::seconds retry_window{86400};
  std::chrono::milliseconds retry_base{5000};
  std::chrono::milliseconds retry_max{std::chrono::hours(4)};
  std::chrono::milliseconds poll_interval{1000};
  int threads = 2;  // deliveries in flight at once in this process
  // With an instance (jobs/instance.h: held by this process alone), Start takes over the leases
  // of its earlier runs at once.
  std::string instance;
  std::string incarnation;
};

class DeliveryWorker {
 public:
  DeliveryWorker(store::Database& db, const SecretBox& secrets, DeliveryOptions options);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  // Releases the leases of the instance's earlier runs; returns how many (0 without one).
  Result<int64_t> ReclaimPreviousIncarnations();
  void Start();
  void Stop();
  // Wakes the threads (a delivery was just queued).
  void Poke();
  // Makes the attempts due now, on the calling thread, until none is due. Returns how many.
  int DeliverDue();

  // The wait before attempt n+1 after n failed attempts (without jitter).
  static std::chrono::milliseconds Backoff(int64_t failed_attempts, std::chrono::milliseconds base,
                                           std::chrono::milliseconds max);

 private:
  // One due delivery claimed and attempted; false when none was due.
  bool DeliverOne();

  store::Database& db_;
  const SecretBox& secrets_;
  DeliveryOptions options_;
  std::string owner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t pokes_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace pc::webhooks
