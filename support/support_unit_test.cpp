// Unit tests of the support library on a real SQLite file: the ticket store, rules, the model,
// service-level calendars and reply tokens.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "connectors/smtp_client.h"
#include "core/random.h"
#include "core/time.h"
#include "store/migrations.h"
#include "store/scratch_database.h"
#include "support/classifier.h"
#include "support/mime_parse.h"
#include "support/outbound.h"
#include "support/request_recognition.h"
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
  // A support_settings value ("" when the key is absent).
  std::string Setting(const std::string& key) {
    auto rows = db_->InTransaction<store::Rows>([&](store::Transaction& tx) {
      return tx.Query("SELECT value FROM support_settings WHERE key = ?", {key});
    });
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() && !rows->empty() ? (*rows)[0].Text(0) : "";
  }

  store::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
  SecretBox secrets_ = SecretBox::Random();
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
    PC_ASSIGN_OR_RETURN(
        auto m,
        AppendMessage(tx, a.id, {.kind = "in", .from = "ann@example.com", .text = "Where is it?"}));
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
  auto checked = db_->InTransaction<bool>([&](store::Transaction& tx) -> Result<bool> {
    PC_ASSIGN_OR_RETURN(auto token, ReplyToken(tx, secrets_, 1042));
    int64_t number = 0;
    PC_ASSIGN_OR_RETURN(bool good, CheckReplyToken(tx, secrets_, token, &number));
    EXPECT_TRUE(good);
    EXPECT_EQ(number, 1042);
    std::string forged = token;
    forged.back() = forged.back() == '0' ? '1' : '0';
    PC_ASSIGN_OR_RETURN(bool bad, CheckReplyToken(tx, secrets_, forged, nullptr));
    EXPECT_FALSE(bad);
    PC_ASSIGN_OR_RETURN(bool other,
                        CheckReplyToken(tx, secrets_, "1043" + token.substr(4), nullptr));
    EXPECT_FALSE(other);
    return true;
  });
  ASSERT_TRUE(checked.ok()) << checked.error().message;
}

// "<number>-<first 4 bytes of HMAC-SHA-256(key, "ticket:<number>") in hex>", computed here with
// OpenSSL, independently of support/outbound.cpp (libsodium).
std::string ExpectedToken(const std::string& key, int64_t number) {
  const std::string msg = "ticket:" + std::to_string(number);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token = std::to_string(number) + "-";
  for (unsigned int i = 0; i < 4 && i < length; ++i)
    token += {kHex[mac[i] >> 4], kHex[mac[i] & 15]};
  return token;
}

TEST_F(SupportStoreTest, ReplyTokenKeyIsStoredSealed) {
  auto token = db_->InTransaction<std::string>(
      [&](store::Transaction& tx) { return ReplyToken(tx, secrets_, 7); });
  ASSERT_TRUE(token.ok()) << token.error().message;
  std::string stored = Setting("reply_token_key");
  ASSERT_TRUE(stored.starts_with("sb1:")) << "stored in clear: " << stored;
  auto key = secrets_.Open(stored);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_GE(key->size(), 32u);
  EXPECT_EQ(stored.find(*key), std::string::npos);
  EXPECT_EQ(*token, ExpectedToken(*key, 7));  // the stored key is the one that signs
  // Another installation's secret key cannot open it: an error, not a forged check.
  auto other = db_->InTransaction<bool>([&](store::Transaction& tx) {
    return CheckReplyToken(tx, SecretBox::Random(), *token, nullptr);
  });
  EXPECT_FALSE(other.ok());
}

// Upgrade: migration 0130 sets a clear key aside; its first use seals it (same tokens as
// before, so reply addresses already sent still thread) and deletes the clear copy.
TEST_F(SupportStoreTest, AClearKeyFromBeforeMigration0130IsSealedOnFirstUse) {
  const std::string clear = "a-reply-token-key-an-older-version-kept-in-clear";
  std::string_view migration;
  for (const auto& m : store::CompiledMigrations()) {
    if (m.version == 130) migration = m.sqlite_sql;
  }
  ASSERT_FALSE(migration.empty());
  auto upgraded = db_->InTransaction([&](store::Transaction& tx) -> Status {
    PC_RETURN_IF_ERROR(tx.Execute("DELETE FROM support_settings"));
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO support_settings (key, value, updated_at) VALUES "
                   "('reply_token_key', ?, '2026-01-01T00:00:00Z')",
                   {clear}));
    PC_RETURN_IF_ERROR(tx.Execute(migration));
    return Status::Ok();
  });
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().message;
  EXPECT_EQ(Setting("reply_token_key"), "");
  EXPECT_EQ(Setting("reply_token_key_clear"), clear);

  auto token = db_->InTransaction<std::string>(
      [&](store::Transaction& tx) { return ReplyToken(tx, secrets_, 1042); });
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(*token, ExpectedToken(clear, 1042));
  std::string stored = Setting("reply_token_key");
  ASSERT_TRUE(stored.starts_with("sb1:")) << stored;
  EXPECT_EQ(*secrets_.Open(stored), clear);
  EXPECT_EQ(Setting("reply_token_key_clear"), "");
  auto rows = db_->InTransaction<store::Rows>([&](store::Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM support_settings WHERE value LIKE ?",
                    {"%" + clear + "%"});
  });
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), 0);
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

TEST_F(SupportStoreTest, MissedTargetsAreBreachedAndPausedClocksStandStill) {
  auto run = db_->InTransaction<bool>([](store::Transaction& tx) -> Result<bool> {
    NewTicket n;
    n.subject = "Late";
    n.scope = "in";
    n.topic = "technical";
    n.requester_email = "ann@example.com";
    n.first_response_due_at = FormatTimestamp(Now() - std::chrono::minutes(5));
    n.resolution_due_at = FormatTimestamp(Now() + std::chrono::hours(5));
    PC_ASSIGN_OR_RETURN(auto late, CreateTicket(tx, n));
    n.first_response_due_at = FormatTimestamp(Now() + std::chrono::hours(1));
    PC_ASSIGN_OR_RETURN(auto fine, CreateTicket(tx, n));
    EXPECT_TRUE(late.sla.breached);
    EXPECT_FALSE(fine.sla.breached);
    TicketFilter f;
    f.breached_only = true;
    PC_ASSIGN_OR_RETURN(auto breached, ListTickets(tx, f));
    EXPECT_EQ(breached.size(), 1u);
    EXPECT_EQ(breached.at(0).id, late.id);
    // Waiting on the customer: paused, the clock stands still (not breached by waiting).
    PC_RETURN_IF_ERROR(ChangeStatus(tx, late.id, "waiting-on-customer", "agent"));
    PC_ASSIGN_OR_RETURN(auto paused, LoadTicket(tx, late.id, false));
    EXPECT_TRUE(paused.sla.paused);
    EXPECT_FALSE(paused.sla.breached);
    // Back to open: the open targets move on by the time it was paused (here: a moment).
    PC_RETURN_IF_ERROR(ChangeStatus(tx, late.id, "open", "ann@example.com"));
    PC_ASSIGN_OR_RETURN(auto resumed, LoadTicket(tx, late.id, false));
    EXPECT_FALSE(resumed.sla.paused);
    EXPECT_GE(*resumed.sla.resolution_due_at, *late.sla.resolution_due_at);
    return true;
  });
  ASSERT_TRUE(run.ok()) << run.error().message;
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

TEST(SupportMimeTest, SanitizerKeepsFormattingAndDropsEverythingElse) {
  std::string html = SanitizeHtml(
      "<p onclick=x>Hi <b>there</b></p><script>alert(1)</script><SCRIPT>x</SCRIPT>"
      "<a href=\" javascript:alert(1)\">j</a><a href='https://ok.example/?a=1&amp;b=\"2'>ok</a>"
      "<iframe src=x></iframe><img src=x onerror=alert(1)><style>*{}</style><!-- <script> -->"
      "<div style=\"x\">&lt;script&gt;</div>");
  EXPECT_EQ(html,
            "<p>Hi <b>there</b></p><a>j</a><a href=\"https://ok.example/?a=1&amp;b=&quot;2\" "
            "rel=\"noopener noreferrer nofollow\">ok</a><div>&lt;script&gt;</div>");
  EXPECT_EQ(HtmlToText("<p>One&nbsp;&amp; two</p><p>three<br>four</p><script>x</script>"),
            "One\u00a0& two\n\nthree\nfour");
  EXPECT_EQ(ValidUtf8(std::string("ok\xff\xc3\xa9\xed\xa0\x80", 8)),
            "ok\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(SupportMimeTest, OutgoingMailCarriesThreadingHeaders) {
  connectors::EmailMessage m{"support@partner.example", "ann@example.com", "[#T-1001] Hello",
                             "Text", "abc.T1001@support.partnercloud"};
  m.headers = {{"In-Reply-To", "<x@example.com>"},
               {"References", "<x@example.com>"},
               {"Auto-Submitted", "auto-replied\r\nBcc: evil@example.com"}};
  std::string text = connectors::FormatEmail(m);
  EXPECT_NE(text.find("Message-ID: <abc.T1001@support.partnercloud>\r\n"), std::string::npos);
  EXPECT_NE(text.find("In-Reply-To: <x@example.com>\r\n"), std::string::npos);
  EXPECT_NE(text.find("References: <x@example.com>\r\n"), std::string::npos);
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos) << "no header injection";
}

}  // namespace
}  // namespace pc::support

namespace pc::support {

TEST(SupportRecognitionTest, FormsWrittenInMailBecomeRequestsAndTalkDoesNot) {
  auto nov = *YearMonth::Of(2026, 11);
  auto users = RecognizeRequest("New portal users",
                                "Please give these people portal.azure.com access:\n"
                                "- Jane Doe <Jane@Acme.example>\n"
                                "2. Raj Patel, raj@acme.example\n"
                                "Thanks, Dev",
                                nov);
  ASSERT_TRUE(users.has_value());
  EXPECT_EQ(users->kind, "portal-users");
  EXPECT_EQ(users->state, "pending-approval");
  const auto& list = users->details.at("users").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("firstName").as_string(), "Jane");
  EXPECT_EQ(list[0].at("lastName").as_string(), "Doe");
  EXPECT_EQ(list[0].at("email").as_string(), "jane@acme.example");
  EXPECT_EQ(list[1].at("email").as_string(), "raj@acme.example");

  auto close = RecognizeRequest("Close our Azure account",
                                "First name: Dana\nLast name: Reyes\nCompany: Acme Corp\n"
                                "Reason: moving back on premises\n",
                                nov);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->kind, "close-account");
  EXPECT_EQ(close->details.at("company").as_string(), "Acme Corp");
  EXPECT_EQ(close->details.at("reason").as_string(), "moving back on premises");
  EXPECT_EQ(TopicOfRequest(close->kind), "subscription-management");

  auto named = RecognizeRequest("Report",
                                "Could we get the detailed billing report for "
                                "September 2026?",
                                nov);
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(named->details.at("month").as_string(), "2026-09");
  auto iso = RecognizeRequest("Detailed billing report 2026-08", "", nov);
  ASSERT_TRUE(iso.has_value());
  EXPECT_EQ(iso->details.at("month").as_string(), "2026-08");
  auto last = RecognizeRequest("Detailed billing report please", "", nov);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->details.at("month").as_string(), "2026-10");  // the month before

  // Talking about the subject is not a form: an agent reads these.
  EXPECT_FALSE(RecognizeRequest("Portal login", "I cannot log in to the portal.", nov));
  EXPECT_FALSE(RecognizeRequest("Close account?", "How would we close our account?", nov));
  EXPECT_FALSE(RecognizeRequest("Close account", "First name: Dana\nLast name: Reyes\n", nov));
}

}  // namespace pc::support
