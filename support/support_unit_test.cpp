// Unit tests of the support library on a real SQLite file: the ticket store, rules, the model,
// service-level calendars and reply tokens.
#include <gtest/gtest.h>

#include "core/random.h"
#include "store/scratch_database.h"
#include "support/classifier.h"
#include "support/outbound.h"
#include "support/sla.h"
#include "support/ticket_store.h"

namespace pc::support {
namespace {

class SupportStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitCrypto();
    ASSERT_TRUE(scratch_.Create(store::TestBackend::kSqlite).ok());
    auto db = store::Database::Open(scratch_.url());
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Migrate().ok());
  }
  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(SupportStoreTest, TicketsGetNumbersMessagesAndAttachments) {
  auto made = db_->InTransaction<Ticket>([](store::Transaction& tx) -> Result<Ticket> {
    NewTicket n;
    n.subject = "Cannot see my invoice";
    n.scope = "in";
    n.topic = "billing";
    n.requester_email = "ann@example.com";
    n.classification = {"rule", "rule billing-report", std::nullopt, false};
    PC_ASSIGN_OR_RETURN(auto a, CreateTicket(tx, n));
    PC_ASSIGN_OR_RETURN(auto b, CreateTicket(tx, n));
    EXPECT_EQ(b.number, a.number + 1);
    PC_ASSIGN_OR_RETURN(auto m, AppendMessage(tx, a.id, {.kind = "in", .from = "ann@example.com",
                                                         .text = "Where is it?"}));
    std::string bytes("\x00\x01binary\xff", 9);
    PC_ASSIGN_OR_RETURN(auto att, AttachFile(tx, m.id, "a.bin", "application/octet-stream", bytes));
    PC_ASSIGN_OR_RETURN(auto back, LoadAttachment(tx, att.id));
    EXPECT_EQ(back.bytes, bytes);
    EXPECT_EQ(back.ticket_id, a.id);
    PC_RETURN_IF_ERROR(AppendMessage(tx, a.id, {.kind = "note", .from = "agent", .text = "hm"}));
    PC_RETURN_IF_ERROR(ChangeStatus(tx, a.id, "waiting-on-customer", "agent"));
    return LoadTicket(tx, a.id, true, false);
  });
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made->status, "waiting-on-customer");
  EXPECT_TRUE(made->sla.paused);
  // The note is left out of the customer's view; the event is there.
  ASSERT_EQ(made->messages.size(), 2u);
  EXPECT_EQ(made->messages[0].attachments.size(), 1u);
  EXPECT_EQ(made->messages[1].kind, "event");
}

TEST_F(SupportStoreTest, ReplyTokensVerifyAndRejectForgeries) {
  auto checked = db_->InTransaction<bool>([](store::Transaction& tx) -> Result<bool> {
    PC_ASSIGN_OR_RETURN(auto token, ReplyToken(tx, 1042));
    int64_t number = 0;
    PC_ASSIGN_OR_RETURN(bool good, CheckReplyToken(tx, token, &number));
    EXPECT_TRUE(good);
    EXPECT_EQ(number, 1042);
    std::string forged = token;
    forged.back() = forged.back() == '0' ? '1' : '0';
    PC_ASSIGN_OR_RETURN(bool bad, CheckReplyToken(tx, forged, nullptr));
    EXPECT_FALSE(bad);
    PC_ASSIGN_OR_RETURN(bool other, CheckReplyToken(tx, "1043" + token.substr(4), nullptr));
    EXPECT_FALSE(other);
    return true;
  });
  ASSERT_TRUE(checked.ok()) << checked.error().message;
}

TEST_F(SupportStoreTest, AutoReplySlotsAreBoundedPerSender) {
  auto taken = db_->InTransaction<int>([](store::Transaction& tx) -> Result<int> {
    int n = 0;
    for (int i = 0; i < 10; ++i) {
      PC_ASSIGN_OR_RETURN(bool ok, TakeAutoReplySlot(tx, "Loop@Example.com", 3));
      n += ok ? 1 : 0;
    }
    PC_ASSIGN_OR_RETURN(bool other, TakeAutoReplySlot(tx, "else@example.com", 3));
    EXPECT_TRUE(other);
    return n;
  });
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, 3);
}

TEST(SupportClassifierTest, ShippedRulesParseAndDecide) {
  auto doc = ParseJson(ShippedRulesJson());
  ASSERT_TRUE(doc.ok());
  auto rules = ParseRules(*doc);
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  auto d = Classify(*rules, nullptr, "Patching", "Can you install the patches on our VMs?");
  EXPECT_EQ(d.scope, "out");
  EXPECT_EQ(d.topic, "patching");
  EXPECT_EQ(d.classification.by, "rule");
  // No rule and no model: technical, for review.
  auto unsure = Classify(*rules, nullptr, "Hm", "Something odd happens");
  EXPECT_EQ(unsure.topic, "technical");
  EXPECT_TRUE(unsure.classification.needs_review);
}

TEST(SupportClassifierTest, BadRulesAreRefusedWithTheReason) {
  auto bad = ParseRules(*ParseJson(R"({"rules":[{"id":"x","topic":"nope","any":["a"]}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unknown topic 'nope'"), std::string::npos);
  auto conf = ParseRules(*ParseJson(R"({"minConfidence":"1.5","rules":[]})"));
  ASSERT_FALSE(conf.ok());
}

TEST(SupportClassifierTest, NaiveBayesLearnsFromCounts) {
  NaiveBayes model;
  model.Add({"my invoice shows a wrong charge", "billing"});
  model.Add({"the invoice total is too high", "billing"});
  model.Add({"virtual machine will not start", "technical"});
  model.Add({"the vm does not boot after resize", "technical"});
  auto p = model.Predict("why is my invoice so high");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->topic, "billing");
  EXPECT_GT(p->confidence_permille, 500);
  EXPECT_FALSE(p->top_words.empty());
  EXPECT_EQ(p->top_words[0].find("invoice"), 0u);
}

TEST(SupportSlaTest, BusinessMinutesSkipNightsWeekendsAndHolidays) {
  auto cal = ParseCalendar("Mon-Fri 08:00-18:00", "2026-12-25");
  ASSERT_TRUE(cal.ok());
  // Thursday 2026-12-24 17:00 + 4h: 1h on Thursday, Friday is a holiday, 3h on Monday.
  auto start = ParseTimestamp("2026-12-24T17:00:00Z");
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(FormatTimestamp(AddBusinessMinutes(*cal, *start, 240)), "2026-12-28T11:00:00.000000Z");
  EXPECT_FALSE(ParseCalendar("weekdays", "").ok());
  EXPECT_FALSE(ParseTargets("default=4x/40h").ok());
  auto t = ParseTargets("default=4h/40h,billing=30m/8h");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->at("billing").first_response_minutes, 30);
}

}  // namespace
}  // namespace pc::support
