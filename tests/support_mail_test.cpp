// End-to-end tests of the support desk's mail intake: the real `partnercloud support mail-in` fed
// the corpus in tests/support_corpus (labels.tsv) as an MTA pipe would, on SQLite and PostgreSQL,
// and the real server for what operators see (quarantine, replay, attachments, /metrics).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "tests/harness.h"
#include "tests/support_fixtures.h"

namespace pc::test {
namespace {

namespace json = boost::json;

const std::string kCorpus = PC_SUPPORT_CORPUS;

struct Label {
  std::string file, sender, scope, topic, flags;
  bool Has(const std::string& flag) const {
    return ("," + flags + ",").find("," + flag) != std::string::npos;
  }
};

std::vector<Label> Labels() {
  std::vector<Label> out;
  std::ifstream in(kCorpus + "/labels.tsv");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    Label l;
    std::getline(ss, l.file, '\t');
    std::getline(ss, l.sender, '\t');
    std::getline(ss, l.scope, '\t');
    std::getline(ss, l.topic, '\t');
    std::getline(ss, l.flags, '\t');
    out.push_back(l);
  }
  return out;
}

std::string Corpus(const std::string& file) { return ReadFile(kCorpus + "/" + file); }

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

// The ticket id in mail-in's answer "stored ... in T-1234 (how)".
std::string TicketOf(const std::string& out) {
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"( in (T-[0-9]+) )"))) return m[1].str();
  return "";
}

class SupportMailTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(GetParam());
    ASSERT_FALSE(db_.url.empty());
    AddSupportUsers(db_.url);
    MakeCspCustomer(db_.url, "Acme", "ACME", "admin@acme.example");
    auto db = store::Database::Open(db_.url);
    ASSERT_TRUE(db.ok());
    store_ = std::move(*db);
  }

  RunResult MailIn(const std::string& raw) {
    return RunCommand({"support", "mail-in", "--database", db_.url, "--set",
                       "support.max_auto_replies_per_hour=3", "--set", KeyFileSetting()},
                      raw);
  }

  // The secret key `mail-in` and `serve` share (the reply token key is sealed with it).
  std::string KeyFileSetting() {
    if (key_dir_.empty()) key_dir_ = TempDir("pc-support-key");
    return "security.secret_key_file=" + key_dir_ + "/secret.key";
  }

  int64_t Count(const std::string& sql, const std::vector<store::Param>& params = {}) {
    auto rows = store_->InTransaction<store::Rows>(
        [&](store::Transaction& tx) { return tx.Query(sql, params); });
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() && !rows->empty() ? (*rows)[0].Int(0) : -1;
  }

  std::string Text(const std::string& sql, const std::vector<store::Param>& params = {}) {
    auto rows = store_->InTransaction<store::Rows>(
        [&](store::Transaction& tx) { return tx.Query(sql, params); });
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() && !rows->empty() ? (*rows)[0].Text(0) : "";
  }

  TestDatabase db_;
  std::unique_ptr<store::Database> store_;
  std::string key_dir_;
};

TEST_P(SupportMailTest, EveryCorpusMessageIsHandledAndQuarantineReplays) {
  auto labels = Labels();
  ASSERT_GE(labels.size(), 60u);
  std::map<std::string, std::string> ticket_of;
  int scoped = 0, scope_right = 0;
  for (const auto& l : labels) {
    if (l.Has("reply-to") || l.Has("subject-token") || l.Has("outsider-reply")) continue;
    auto r = MailIn(Corpus(l.file));
    ASSERT_EQ(r.exit_code, 0) << l.file << ": " << r.err;
    if (l.Has("quarantine")) {
      EXPECT_TRUE(r.out.starts_with("quarantined ")) << l.file << ": " << r.out;
      continue;
    }
    ASSERT_TRUE(r.out.starts_with("stored ")) << l.file << ": " << r.out;
    std::string id = TicketOf(r.out);
    ASSERT_FALSE(id.empty()) << l.file << ": " << r.out;
    ticket_of[l.file] = id;
    std::string scope = Text("SELECT scope FROM support_tickets WHERE id = ?", {id});
    if (l.sender == "outsider") {
      EXPECT_EQ(scope, "not-customer") << l.file;
    } else {
      ++scoped;
      scope_right += scope == l.scope ? 1 : 0;
    }
  }
  std::cout << "[ corpus   ] scope right for " << scope_right << " of " << scoped
            << " customer messages (rules + shipped model)\n";
  EXPECT_GE(scope_right * 10, scoped * 9);

  // Charsets, RFC 2047 subjects, HTML-only mail, attachment names.
  auto message_text = [&](const std::string& file) {
    return Text("SELECT text FROM support_messages WHERE ticket_id = ? AND kind = 'in'",
                {ticket_of.at(file)});
  };
  auto subject = [&](const std::string& file) {
    return Text("SELECT subject FROM support_tickets WHERE id = ?", {ticket_of.at(file)});
  };
  EXPECT_EQ(subject("110-latin1.eml"), "Rechnung für Oktober");
  EXPECT_NE(message_text("110-latin1.eml").find("Grüße aus München"), std::string::npos);
  EXPECT_NE(message_text("111-latin2.eml").find("Łukasz"), std::string::npos);
  EXPECT_EQ(subject("112-latin15.eml"), "Facture: 120 €");
  EXPECT_NE(message_text("113-cp1252.eml").find("“Bandwidth”"), std::string::npos);
  EXPECT_EQ(subject("114-cp1251.eml"), "Счёт за ноябрь");
  EXPECT_NE(message_text("115-cp1250.eml").find("virtuální počítače"), std::string::npos);
  EXPECT_EQ(subject("116-shift-jis.eml"), "請求書について");
  EXPECT_NE(message_text("116-shift-jis.eml").find("今月の請求書"), std::string::npos);
  EXPECT_EQ(subject("117-iso-2022-jp.eml"), "ポータルのユーザー");
  EXPECT_NE(message_text("117-iso-2022-jp.eml").find("よろしくお願いします"), std::string::npos);
  std::string html_text = message_text("120-html-only.eml");
  EXPECT_NE(html_text.find("Our storage account returns 403 errors"), std::string::npos);
  EXPECT_EQ(html_text.find("alert"), std::string::npos) << "script content is not text";
  std::string html = Text("SELECT html FROM support_messages WHERE ticket_id = ? AND kind = 'in'",
                          {ticket_of.at("120-html-only.eml")});
  EXPECT_NE(html.find("<b>storage account</b>"), std::string::npos) << html;
  for (const char* bad : {"<script", "onclick", "javascript:", "<style", "<img"}) {
    EXPECT_EQ(html.find(bad), std::string::npos) << bad << " in " << html;
  }
  EXPECT_NE(message_text("122-html-only-latin1.eml").find("está mal"), std::string::npos);
  EXPECT_NE(message_text("160-broken-multipart.eml").find("Our invoice is wrong"),
            std::string::npos);
  auto attachment = [&](const std::string& file) {
    return Text(
        "SELECT a.name FROM support_attachments a JOIN support_messages m ON m.id = "
        "a.message_id WHERE m.ticket_id = ?",
        {ticket_of.at(file)});
  };
  EXPECT_EQ(attachment("130-attachment-2231.eml"), "Rechnung für Oktober.pdf");
  EXPECT_EQ(attachment("131-attachment-2047.eml"), "Fehlerübersicht.png");
  EXPECT_EQ(attachment("132-winmail.eml"), "winmail.dat");
  // Loops: no automatic answer.
  for (const char* f : {"150-auto-submitted.eml", "151-list.eml", "152-bounce.eml"}) {
    EXPECT_EQ(Count("SELECT COUNT(*) FROM support_messages WHERE ticket_id = ? AND auto_reply = 1",
                    {ticket_of.at(f)}),
              0)
        << f;
  }

  // What operators see: the quarantine, /metrics, replay; the customer's attachment download.
  ServerProcess server;
  server.Start({"serve", "--database", db_.url, "--set", KeyFileSetting()});
  auto ops = Login(server.BaseUrl(), "ops@partner.example").Bearer();
  auto q = Http("GET", server.BaseUrl() + "/api/v1/support/quarantine", "", ops);
  ASSERT_EQ(q.status, 200) << q.body;
  auto items = Json(q.body).at("items").as_array();
  ASSERT_EQ(items.size(), 2u) << q.body;
  auto metrics = Http("GET", server.BaseUrl() + "/metrics");
  EXPECT_NE(metrics.body.find("partnercloud_support_quarantined 2"), std::string::npos);
  std::string qid(items[0].at("id").as_string());
  auto replay =
      Http("POST", server.BaseUrl() + "/api/v1/support/quarantine/" + qid + "/replay", "", ops);
  ASSERT_EQ(replay.status, 200) << replay.body;
  std::string replayed_ticket(Json(replay.body).at("ticketId").as_string());
  EXPECT_FALSE(replayed_ticket.empty());
  EXPECT_EQ(
      Http("GET", server.BaseUrl() + "/api/v1/support/tickets/" + replayed_ticket, "", ops).status,
      200);
  auto again =
      Http("POST", server.BaseUrl() + "/api/v1/support/quarantine/" + qid + "/replay", "", ops);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(
      Http("GET", server.BaseUrl() + "/metrics").body.find("partnercloud_support_quarantined 1"),
      std::string::npos);

  auto acme = Login(server.BaseUrl(), "admin@acme.example").Bearer();
  auto brit = Login(server.BaseUrl(), "admin@brit.example").Bearer();
  auto ticket =
      Http("GET", server.BaseUrl() + "/api/v1/support/tickets/" + ticket_of["132-winmail.eml"], "",
           acme);
  ASSERT_EQ(ticket.status, 200) << ticket.body;
  auto att = Json(ticket.body).at("messages").as_array()[0].at("attachments").as_array();
  ASSERT_EQ(att.size(), 1u);
  std::string att_id(att[0].at("id").as_string());
  auto download = Http("GET", server.BaseUrl() + "/api/v1/support/attachments/" + att_id, "", acme);
  ASSERT_EQ(download.status, 200);
  EXPECT_EQ(download.body, std::string("\x78\x9f\x3e\x22"
                                       "fake tnef"));
  EXPECT_NE(download.Header("content-disposition").find("winmail.dat"), std::string::npos);
  EXPECT_EQ(
      Http("GET", server.BaseUrl() + "/api/v1/support/attachments/" + att_id, "", brit).status,
      404);
}

TEST_P(SupportMailTest, RepliesThreadAndOutsidersDoNotJoin) {
  auto first = MailIn(Corpus("018-billing-1.eml"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string ticket = TicketOf(first.out);
  ASSERT_FALSE(ticket.empty()) << first.out;
  EXPECT_NE(first.out.find("answered"), std::string::npos) << first.out;
  // What the customer received: our answer's Message-ID and the signed Reply-To.
  auto headers =
      Json(Text("SELECT headers FROM outbox_emails WHERE subject LIKE ?", {"%[#" + ticket + "]%"}));
  std::string message_id(headers.at("Message-ID").as_string());
  std::string reply_to(headers.at("Reply-To").as_string());
  ASSERT_TRUE(message_id.starts_with("<") && message_id.ends_with(">"));
  std::string token = reply_to.substr(8, reply_to.find('@') - 8);

  std::string reply = Corpus("140-reply-in-reply-to.eml");
  reply = Replace(reply, "<OURMESSAGEID>", message_id);
  reply = Replace(reply, "[#TICKET]", "(no token)");
  reply = Replace(reply, "TOKEN", "x");
  auto joined = MailIn(reply);
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  EXPECT_EQ(TicketOf(joined.out), ticket) << joined.out;
  EXPECT_NE(joined.out.find("(message-id)"), std::string::npos) << joined.out;

  // Only the subject token, inside an RFC 2047 encoded subject.
  auto by_subject = MailIn(Replace(Corpus("141-reply-subject-token.eml"), "TICKET", ticket));
  ASSERT_EQ(by_subject.exit_code, 0) << by_subject.err;
  EXPECT_EQ(TicketOf(by_subject.out), ticket) << by_subject.out;
  EXPECT_NE(by_subject.out.find("(subject-token)"), std::string::npos) << by_subject.out;

  // Only the signed plus-address; a forged token does not thread.
  std::string plus = "From: Ada Admin <admin@acme.example>\r\nTo: support+" + token +
                     "@partner.example\r\nSubject: more\r\nMessage-ID: <plus-1@acme.example>\r\n"
                     "\r\nAnother detail.\r\n";
  auto by_token = MailIn(plus);
  EXPECT_EQ(TicketOf(by_token.out), ticket) << by_token.out;
  EXPECT_NE(by_token.out.find("(reply-token)"), std::string::npos) << by_token.out;
  std::string forged = Replace(
      Replace(plus, token, token.substr(0, token.size() - 1) + (token.back() == '0' ? "1" : "0")),
      "plus-1@", "plus-2@");
  auto not_threaded = MailIn(forged);
  EXPECT_NE(TicketOf(not_threaded.out), ticket) << not_threaded.out;

  // Someone outside the organization does not join it.
  auto outsider = MailIn(Replace(Corpus("142-outsider-reply.eml"), "TICKET", ticket));
  ASSERT_EQ(outsider.exit_code, 0) << outsider.err;
  EXPECT_NE(TicketOf(outsider.out), ticket) << outsider.out;
  EXPECT_NE(outsider.out.find("refused:subject-token"), std::string::npos) << outsider.out;

  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM support_messages WHERE ticket_id = ? AND kind = 'in'", {ticket}),
      4);
  // A reply gets no automatic answer: still only the first one.
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM outbox_emails WHERE subject LIKE ?", {"%[#" + ticket + "]%"}), 1);
}

TEST_P(SupportMailTest, LoopsAndFloodsGetBoundedAnswers) {
  auto auto_reply = MailIn(Corpus("150-auto-submitted.eml"));
  ASSERT_EQ(auto_reply.exit_code, 0);
  EXPECT_NE(auto_reply.out.find("no automatic answer: Auto-Submitted: auto-replied"),
            std::string::npos)
      << auto_reply.out;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox_emails"), 0);
  // 20 messages in a minute from one sender: at most support.max_auto_replies_per_hour (3).
  for (int i = 0; i < 20; ++i) {
    std::string raw =
        "From: Brenda <admin@brit.example>\r\nTo: support@partner.example\r\n"
        "Subject: Please help " +
        std::to_string(i) + "\r\nMessage-ID: <flood-" + std::to_string(i) +
        "@brit.example>\r\n\r\nOur VM does not start.\r\n";
    auto r = MailIn(raw);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM support_tickets WHERE requester_email = ?",
                  {std::string("admin@brit.example")}),
            20);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox_emails WHERE to_address = ?",
                  {std::string("admin@brit.example")}),
            3);
  auto headers = Json(Text("SELECT headers FROM outbox_emails WHERE to_address = ?",
                           {std::string("admin@brit.example")}));
  EXPECT_EQ(headers.at("Auto-Submitted").as_string(), "auto-replied");
}

TEST_P(SupportMailTest, AFormWrittenInMailIsAStructuredRequestPendingApproval) {
  auto r = MailIn(
      "From: Dev Eloper <dev@acme.example>\r\nTo: support@partner.example\r\n"
      "Subject: Please close our Azure account\r\nMessage-ID: <close-1@acme.example>\r\n\r\n"
      "First name: Dev\r\nLast name: Eloper\r\nCompany: Acme\r\n"
      "Reason: we are consolidating on another cloud\r\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string ticket = TicketOf(r.out);
  ASSERT_FALSE(ticket.empty()) << r.out;
  EXPECT_EQ(Text("SELECT request_kind FROM support_tickets WHERE id = ?", {ticket}),
            "close-account");
  EXPECT_EQ(Text("SELECT request_state FROM support_tickets WHERE id = ?", {ticket}),
            "pending-approval");
  EXPECT_EQ(Text("SELECT topic FROM support_tickets WHERE id = ?", {ticket}),
            "subscription-management");
  auto details = Json(Text("SELECT request_details FROM support_tickets WHERE id = ?", {ticket}));
  EXPECT_EQ(details.at("reason").as_string(), "we are consolidating on another cloud");
  // The same form from someone who is not a customer's user is not a request.
  auto stranger = MailIn(
      "From: Someone <someone@elsewhere.example>\r\nTo: support@partner.example\r\n"
      "Subject: Please close our Azure account\r\nMessage-ID: <close-2@elsewhere.example>\r\n"
      "\r\nFirst name: S\r\nLast name: O\r\nCompany: E\r\nReason: none\r\n");
  ASSERT_EQ(stranger.exit_code, 0) << stranger.err;
  std::string other = TicketOf(stranger.out);
  ASSERT_FALSE(other.empty()) << stranger.out;
  EXPECT_EQ(Text("SELECT COALESCE(request_kind, '') FROM support_tickets WHERE id = ?", {other}),
            "");
  EXPECT_EQ(Text("SELECT scope FROM support_tickets WHERE id = ?", {other}), "not-customer");
}

TEST_P(SupportMailTest, DuplicatesAreStoredOnceAndOversizedMailIsRefused) {
  std::string raw = Corpus("001-portal-users-1.eml");
  auto a = MailIn(raw);
  auto b = MailIn(raw);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(b.out, "duplicate: already stored\n");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM support_raw_messages"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM support_tickets"), 1);

  // A 20 MB message (generated here, not committed): 65 with a one-line reason, nothing stored.
  std::string big =
      "From: Ada <admin@acme.example>\r\nTo: support@partner.example\r\n"
      "Subject: big\r\nMessage-ID: <big@acme.example>\r\nContent-Type: "
      "application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  std::string line(76, 'A');
  while (big.size() < 20u * 1024 * 1024) big += line + "\r\n";
  auto refused = MailIn(big);
  EXPECT_EQ(refused.exit_code, 65);
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  EXPECT_NE(refused.err.find("support.max_message_bytes"), std::string::npos) << refused.err;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM support_raw_messages"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SupportMailTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

TEST(SupportMailInTest, UnreachableDatabaseAsksTheMtaToRetry) {
  auto r =
      RunCommand({"support", "mail-in", "--database", "postgresql://postgres@127.0.0.1:1/nothing"},
                 ReadFile(kCorpus + "/001-portal-users-1.eml"));
  EXPECT_EQ(r.exit_code, 75) << r.err;
  EXPECT_NE(r.err.find("try again later"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pc::test
