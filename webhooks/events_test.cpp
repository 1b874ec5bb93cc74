// EnqueueEvent (webhooks/events.h) on SQLite and PostgreSQL: an event is queued for each
// enabled endpoint of the organization subscribed to its type, in the caller's transaction,
// once per (organization, event id).
#include "webhooks/events.h"

#include <gtest/gtest.h>

#include "core/time.h"
#include "store/migrated_database_test.h"

namespace pc::webhooks {
namespace {

using store::TestBackend;

class EventsTest : public store::MigratedDatabaseTest {
 protected:
  void SetUp() override {
    store::MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    std::string now = FormatTimestamp(Now());
    ASSERT_TRUE(db_->InTransaction([&](store::Transaction& tx) -> Status {
                     for (const char* org : {"org-a", "org-b"}) {
                       PC_RETURN_IF_ERROR(
                           tx.Execute("INSERT INTO organizations (id, name, kind, created_at) "
                                      "VALUES (?, ?, 'customer', ?)",
                                      {std::string(org), std::string(org), now}));
                     }
                     return Status::Ok();
                   })
                    .ok());
  }

  void AddEndpoint(const std::string& id, const std::string& org, const std::string& events,
                   bool enabled = true) {
    std::string now = FormatTimestamp(Now());
    ASSERT_TRUE(db_->InTransaction([&](store::Transaction& tx) -> Status {
                     PC_RETURN_IF_ERROR(tx.Execute(
                         "INSERT INTO webhook_endpoints (id, organization_id, url, events, "
                         "secret, enabled, created_at, updated_at) "
                         "VALUES (?, ?, 'https://hooks.example/x', ?, 'sb1:x', ?, ?, ?)",
                         {id, org, events, int64_t{enabled ? 1 : 0}, now, now}));
                     return Status::Ok();
                   })
                    .ok());
  }

  Status Enqueue(const std::string& org, const std::string& type, const std::string& event_id) {
    json::object data;
    data["alias"] = "ACME";
    return db_->InTransaction(
        [&](store::Transaction& tx) { return EnqueueEvent(tx, org, type, event_id, data); });
  }

  // "endpoint:type:status" of every delivery, in endpoint order.
  std::vector<std::string> Deliveries() {
    auto rows = db_->InTransaction<store::Rows>([](store::Transaction& tx) {
      return tx.Query(
          "SELECT endpoint_id, type, status FROM webhook_deliveries ORDER BY endpoint_id, id");
    });
    EXPECT_TRUE(rows.ok());
    std::vector<std::string> out;
    if (!rows.ok()) return out;
    for (const auto& r : *rows) {
      out.push_back(r.Text("endpoint_id") + ":" + r.Text("type") + ":" + r.Text("status"));
    }
    return out;
  }
};

TEST_P(EventsTest, QueuesForEachEnabledSubscribedEndpointOfTheOrganizationOnce) {
  AddEndpoint("e1", "org-a", R"(["provider.ready","ticket.updated"])");
  AddEndpoint("e2", "org-a", R"(["ticket.updated"])");
  AddEndpoint("e3", "org-a", R"(["provider.ready"])", /*enabled=*/false);
  AddEndpoint("e4", "org-b", R"(["provider.ready"])");

  ASSERT_TRUE(Enqueue("org-a", "provider.ready", "provider:p1:ready").ok());
  EXPECT_EQ(Deliveries(), std::vector<std::string>{"e1:provider.ready:pending"});

  // The same fact again (a re-run job): nothing more.
  ASSERT_TRUE(Enqueue("org-a", "provider.ready", "provider:p1:ready").ok());
  EXPECT_EQ(Deliveries().size(), 1u);

  // The same event id in another organization is another fact.
  ASSERT_TRUE(Enqueue("org-b", "provider.ready", "provider:p1:ready").ok());
  ASSERT_TRUE(Enqueue("org-a", "ticket.updated", "ticket:t1:2").ok());
  EXPECT_EQ(Deliveries(),
            (std::vector<std::string>{"e1:provider.ready:pending", "e1:ticket.updated:pending",
                                      "e2:ticket.updated:pending", "e4:provider.ready:pending"}));

  // The body: type, timestamp, eventId, data; one webhook-id per event for all endpoints.
  auto events = db_->InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query(
        "SELECT e.payload, COUNT(DISTINCT d.message_id) AS ids FROM webhook_events e "
        "JOIN webhook_deliveries d ON d.message_id = e.message_id "
        "WHERE e.organization_id = 'org-a' AND e.event_id = 'ticket:t1:2' GROUP BY e.payload");
  });
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].Int("ids"), 1);
  auto body = ParseJsonObject((*events)[0].Text("payload"));
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->at("type").as_string(), "ticket.updated");
  EXPECT_EQ(body->at("eventId").as_string(), "ticket:t1:2");
  EXPECT_EQ(body->at("data").as_object().at("alias").as_string(), "ACME");
  EXPECT_TRUE(ParseTimestamp(std::string(body->at("timestamp").as_string())).ok());
}

TEST_P(EventsTest, NothingIsQueuedWhenTheCallersTransactionRollsBack) {
  AddEndpoint("e1", "org-a", R"(["invoice.line_posted"])");
  Status failed = db_->InTransaction([&](store::Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(EnqueueEvent(tx, "org-a", "invoice.line_posted", "line:1", {}));
    return InvalidArgument("the change failed");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(Deliveries().empty());
  // Not stored either: the same id queued later (the change done after all) is delivered.
  ASSERT_TRUE(Enqueue("org-a", "invoice.line_posted", "line:1").ok());
  EXPECT_EQ(Deliveries(), std::vector<std::string>{"e1:invoice.line_posted:pending"});
}

TEST_P(EventsTest, UnknownTypeAndBadEventIdAreRefused) {
  Status unknown = Enqueue("org-a", "provider.readyy", "x");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("provider.readyy"), std::string::npos);
  EXPECT_FALSE(Enqueue("org-a", "provider.ready", "").ok());
  EXPECT_FALSE(Enqueue("org-a", "provider.ready", std::string(201, 'x')).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, EventsTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::webhooks
