// OutboxSender: delivers the emails that services queue in the outbox_emails table (in the same
// transaction as the change they announce) to the SMTP relay. Each email is leased before it is
// sent, so several processes never send it at once; a failure is retried with backoff. An email
// is delivered at least once: a crash between the relay's acceptance and the mark may send it
// again, with the same Message-ID.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"
#include "store/store.h"

namespace pc::notify {

class OutboxSender {
 public:
  // With an `instance` (jobs/instance.h: held by this process alone, its earlier runs dead),
  // leases are "<instance>:<incarnation>" and Start first takes over at once the emails the
  // instance's earlier runs had leased, instead of when their 60 s lease runs out.
  OutboxSender(store::Database& db, std::string relay_url, std::string from,
               std::chrono::milliseconds interval = std::chrono::seconds(1),
               std::string instance = "", std::string incarnation = "");
  ~OutboxSender();

  // Releases the leases of the instance's earlier runs; returns how many (0 without one).
  Result<int64_t> ReclaimPreviousIncarnations();
  void Start();
  void Stop();
  void Poke();
  // Sends what is due now, on the calling thread. Returns how many were sent.
  int SendDue();

 private:
  store::Database& db_;
  std::string relay_url_;
  std::string from_;
  std::chrono::milliseconds interval_;
  std::string instance_;
  std::string owner_;  // this run's name in lease_owner
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pc::notify
