#include "support/mail_intake.h"

#include <regex>

#include "core/random.h"
#include "core/time.h"
#include "core/uuid.h"
#include "support/base64.h"
#include "support/mime_parse.h"
#include "support/outbound.h"
#include "support/request_recognition.h"
#include "support/sla.h"
#include "support/topics.h"

namespace pc::support {

namespace {

constexpr size_t kMaxSubjectBytes = 300;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// At most `max` bytes, cut at a UTF-8 character boundary.
std::string Cut(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// The local part and domain of our address, e.g. {"support", "partner.example"}.
std::pair<std::string, std::string> SplitAddress(std::string_view address) {
  std::string a = Lower(address);
  size_t at = a.rfind('@');
  if (at == std::string::npos) return {a, ""};
  return {a.substr(0, at), a.substr(at + 1)};
}

// True for our address and its plus-addresses.
bool IsOurAddress(std::string_view candidate, std::string_view ours) {
  auto [local, domain] = SplitAddress(ours);
  auto [c_local, c_domain] = SplitAddress(candidate);
  if (c_domain != domain) return false;
  return c_local == local || c_local.starts_with(local + "+");
}

// Why no automatic answer may go to this message ("" if one may).
std::string LoopReason(const ParsedMail& m, std::string_view ours) {
  if (!m.auto_submitted.empty() && m.auto_submitted != "no") {
    return "Auto-Submitted: " + m.auto_submitted;
  }
  if (m.empty_return_path) return "empty Return-Path (a bounce)";
  if (m.is_report) return "multipart/report (a delivery report)";
  if (m.is_list) return "mailing list (List-Id or Precedence)";
  if (IsOurAddress(m.from_address, ours)) return "sent from our own address";
  return "";
}

struct SenderOrg {
  std::optional<std::string> organization_id;
  std::optional<std::string> billing_alias;
  bool csp_customer = false;
  std::string user_name;
};

Result<SenderOrg> SenderOrganization(store::Transaction& tx, std::string_view email) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT u.organization_id, u.name FROM users u JOIN organizations "
                               "o ON o.id = u.organization_id WHERE u.email = ? AND o.kind = "
                               "'customer' AND u.disabled = 0",
                               {Lower(email)}));
  SenderOrg s;
  if (rows.empty()) return s;
  s.organization_id = rows[0].Text(0);
  s.user_name = rows[0].Text(1);
  PC_ASSIGN_OR_RETURN(s.billing_alias, ReadyAliasOfOrganization(tx, *s.organization_id));
  s.csp_customer = s.billing_alias.has_value();
  return s;
}

struct Candidate {
  std::string ticket_id;
  std::string how;
};

// The tickets this message names, in the order of trust.
Result<std::vector<Candidate>> Candidates(store::Transaction& tx, const SecretBox& secrets,
                                          const ParsedMail& m, std::string_view ours) {
  std::vector<Candidate> out;
  std::vector<std::string> ids;
  if (!m.in_reply_to.empty()) ids.push_back(m.in_reply_to);
  for (auto it = m.references.rbegin(); it != m.references.rend(); ++it) ids.push_back(*it);
  for (const auto& id : ids) {
    PC_ASSIGN_OR_RETURN(auto ticket, TicketOfMessageId(tx, id));
    if (ticket) {
      out.push_back({*ticket, "message-id"});
      break;
    }
  }
  auto [local, domain] = SplitAddress(ours);
  for (const auto& r : m.recipients) {
    auto [r_local, r_domain] = SplitAddress(r);
    if (r_domain != domain || !r_local.starts_with(local + "+")) continue;
    std::string token = r_local.substr(local.size() + 1);
    int64_t number = 0;
    PC_ASSIGN_OR_RETURN(bool good, CheckReplyToken(tx, secrets, token, &number));
    if (good) {
      out.push_back({"T-" + std::to_string(number), "reply-token"});
      break;
    }
  }
  static const std::regex kSubjectToken(R"(\[#(T-[0-9]{1,15})\])");
  std::smatch match;
  if (std::regex_search(m.subject, match, kSubjectToken)) {
    out.push_back({match[1].str(), "subject-token"});
  }
  return out;
}

std::string AnswerTemplate(const Ticket& t) {
  if (t.scope == "not-customer") return "not-customer";
  if (t.scope == "out") return t.topic == "managed-os" ? "managed-os" : "out-of-scope";
  return "received";
}

Status StoreAttachments(store::Transaction& tx, const std::string& message_id,
                        const ParsedMail& m) {
  for (const auto& a : m.attachments) {
    if (a.dropped) continue;
    PC_RETURN_IF_ERROR(AttachFile(tx, message_id, a.name, a.content_type, a.bytes));
  }
  return Status::Ok();
}

std::string TextWithDroppedNotes(const ParsedMail& m, int64_t bound) {
  std::string text = m.text;
  for (const auto& a : m.attachments) {
    if (!a.dropped) continue;
    text += "\n\n[Attachment \"" + a.name + "\" (" + std::to_string(a.size) +
            " bytes) was not kept: larger than support.max_attachment_bytes (" +
            std::to_string(bound) + ")]";
  }
  return text;
}

// Everything a parsed message leads to, in the intake's transaction.
Result<IntakeResult> Process(store::Transaction& tx, SupportService& support, const ParsedMail& m,
                             const Decision& decision, const std::string& raw_id) {
  const SupportOptions& options = support.options();
  IntakeResult result;
  result.raw_id = raw_id;
  auto record = [&](const IntakeResult& r) -> Status {
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE support_raw_messages SET ticket_id = ?, thread_match = ? WHERE id = ?",
                   {r.ticket_id ? store::Param(*r.ticket_id) : store::Param(nullptr),
                    r.thread_match, raw_id}));
    return Status::Ok();
  };
  // Our own mail coming back (a loop through a forwarder): kept, nothing else.
  if (IsOurAddress(m.from_address, options.address) ||
      (!m.message_id.empty() && IsOurMessageId(m.message_id))) {
    result.outcome = IntakeResult::Outcome::kIgnored;
    result.thread_match = "own-mail";
    result.reason = "sent by us";
    PC_RETURN_IF_ERROR(record(result));
    return result;
  }
  PC_ASSIGN_OR_RETURN(auto sender, SenderOrganization(tx, m.from_address));
  std::string loop = LoopReason(m, options.address);
  std::string text = TextWithDroppedNotes(m, options.max_attachment_bytes);
  NewMessage message{
      .kind = "in",
      .from = m.from_name.empty() ? m.from_address : m.from_name + " <" + m.from_address + ">",
      .text = text,
      .html = m.html,
      .message_id = m.message_id.empty() ? std::optional<std::string>()
                                         : std::optional<std::string>(m.message_id),
      .raw_id = raw_id};

  PC_ASSIGN_OR_RETURN(auto candidates, Candidates(tx, support.secrets(), m, options.address));
  std::string refused;
  for (const auto& c : candidates) {
    auto ticket = LoadTicket(tx, c.ticket_id, false);
    if (!ticket.ok()) {
      if (ticket.error().code == ErrorCode::kNotFound) continue;
      return ticket.error();
    }
    bool belongs = ticket->organization_id ? sender.organization_id == ticket->organization_id
                                           : Lower(ticket->requester_email) == m.from_address;
    if (!belongs) {
      if (refused.empty()) refused = "refused:" + c.how;
      continue;
    }
    if (ticket->status == "closed") {
      if (refused.empty()) refused = "closed:" + c.how;
      continue;
    }
    PC_ASSIGN_OR_RETURN(auto added, AppendMessage(tx, ticket->id, message));
    PC_RETURN_IF_ERROR(StoreAttachments(tx, added.id, m));
    if (ticket->status == "waiting-on-customer" || ticket->status == "resolved") {
      PC_RETURN_IF_ERROR(ChangeStatus(tx, ticket->id, "open", m.from_address));
    }
    result.ticket_id = ticket->id;
    result.thread_match = c.how;
    result.reason = "a reply: no automatic answer";
    PC_RETURN_IF_ERROR(record(result));
    return result;
  }

  // A new ticket.
  NewTicket n;
  // Another ticket's token in the subject (a reply that did not join it) is not kept.
  static const std::regex kAnyToken(R"(\s*\[#T-[0-9]{1,15}\]\s*)");
  std::string subject = std::regex_replace(m.subject, kAnyToken, " ");
  subject.erase(0, subject.find_first_not_of(' '));
  subject.erase(subject.find_last_not_of(' ') + 1);
  n.subject = Cut(subject.empty() ? std::string("(no subject)") : subject, kMaxSubjectBytes);
  n.requester_email = m.from_address;
  n.requester_name = !m.from_name.empty() ? m.from_name : sender.user_name;
  n.organization_id = sender.organization_id;
  n.billing_alias = sender.billing_alias;
  n.scope = decision.scope;
  n.topic = decision.topic;
  n.classification = decision.classification;
  // A message that reads like one of the structured forms (request_recognition.h) becomes that
  // request, pending an operator's approval, as from the web form; only from a person of a
  // customer organization.
  if (sender.csp_customer && loop.empty()) {
    if (auto request = RecognizeRequest(m.subject, text, YearMonth::Containing(Now()))) {
      n.scope = "in";
      n.topic = std::string(TopicOfRequest(request->kind));
      n.classification = {"rule", "structured request " + request->kind + " recognised in email",
                          std::nullopt, false};
      n.request = std::move(request);
    }
  }
  if (!sender.csp_customer) {
    n.scope = "not-customer";
    n.classification.reason =
        std::string(sender.organization_id ? "the sender's organization has no Azure "
                                             "customer account of the platform; "
                                           : "the sender is not a user of a customer; ") +
        n.classification.reason;
  }
  SetDueTimes(n, Now(), options);
  PC_ASSIGN_OR_RETURN(auto ticket, CreateTicket(tx, n));
  PC_ASSIGN_OR_RETURN(auto first, AppendMessage(tx, ticket.id, message));
  PC_RETURN_IF_ERROR(StoreAttachments(tx, first.id, m));
  result.ticket_id = ticket.id;
  result.thread_match = refused.empty() ? "new" : refused;
  if (!loop.empty()) {
    result.reason = "no automatic answer: " + loop;
  } else {
    PC_ASSIGN_OR_RETURN(bool slot,
                        TakeAutoReplySlot(tx, m.from_address, options.max_auto_replies_per_hour));
    if (!slot) {
      result.reason = "no automatic answer: support.max_auto_replies_per_hour reached";
    } else {
      PC_ASSIGN_OR_RETURN(auto answer, RenderTemplate(tx, AnswerTemplate(ticket), ticket));
      NewMessage out{.kind = "out",
                     .from = options.address,
                     .text = answer.text,
                     .message_id = NewMessageId(ticket.number),
                     .auto_reply = true};
      PC_ASSIGN_OR_RETURN(auto sent, AppendMessage(tx, ticket.id, out));
      PC_RETURN_IF_ERROR(
          QueueEmail(tx, support.secrets(), ticket, sent, answer.subject, options.address, true));
      result.auto_answered = true;
    }
  }
  PC_RETURN_IF_ERROR(record(result));
  return result;
}

Result<IntakeResult> Quarantine(store::Database& db, std::string_view raw,
                                const std::string& dedup_key, const std::string& reason) {
  return db.InTransaction<IntakeResult>([&](store::Transaction& tx) -> Result<IntakeResult> {
    IntakeResult r;
    r.outcome = IntakeResult::Outcome::kQuarantined;
    r.raw_id = Uuid::V7().ToString();
    r.reason = reason;
    PC_ASSIGN_OR_RETURN(
        auto n, tx.Execute("INSERT INTO support_raw_messages (id, dedup_key, received_at, size, "
                           "raw, state, reason) VALUES (?, ?, ?, ?, ?, 'quarantined', ?) ON "
                           "CONFLICT (dedup_key) DO NOTHING",
                           {r.raw_id, dedup_key, FormatTimestamp(Now()),
                            static_cast<int64_t>(raw.size()), Base64Encode(raw), reason}));
    if (n == 0) r.outcome = IntakeResult::Outcome::kDuplicate;
    return r;
  });
}

}  // namespace

Result<IntakeResult> ReceiveMail(SupportService& support, std::string_view raw) {
  const SupportOptions& options = support.options();
  if (static_cast<int64_t>(raw.size()) > options.max_message_bytes) {
    return Error(ErrorCode::kPayloadTooLarge, "message of " + std::to_string(raw.size()) +
                                                  " bytes is over support.max_message_bytes (" +
                                                  std::to_string(options.max_message_bytes) + ")");
  }
  auto parsed = ParseMail(raw, options.max_attachment_bytes);
  std::string dedup_key = parsed.ok() && !parsed->message_id.empty()
                              ? "message-id:" + parsed->message_id
                              : "sha256:" + Sha256Hex(raw);
  if (dedup_key.size() > 1000) dedup_key = "sha256:" + Sha256Hex(dedup_key);
  if (!parsed.ok()) return Quarantine(support.db(), raw, dedup_key, parsed.error().message);
  Decision decision = support.Classify(parsed->subject, parsed->text);
  std::string encoded = Base64Encode(raw);
  auto stored =
      support.db().InTransaction<IntakeResult>([&](store::Transaction& tx) -> Result<IntakeResult> {
        IntakeResult r;
        r.raw_id = Uuid::V7().ToString();
        PC_ASSIGN_OR_RETURN(
            auto n, tx.Execute("INSERT INTO support_raw_messages (id, dedup_key, received_at, "
                               "size, raw, state) VALUES (?, ?, ?, ?, ?, 'stored') ON CONFLICT "
                               "(dedup_key) DO NOTHING",
                               {r.raw_id, dedup_key, FormatTimestamp(Now()),
                                static_cast<int64_t>(raw.size()), encoded}));
        if (n == 0) {
          r.outcome = IntakeResult::Outcome::kDuplicate;
          return r;
        }
        return Process(tx, support, *parsed, decision, r.raw_id);
      });
  if (stored.ok()) return stored;
  // Processing failed: keep the message whole, quarantined with the reason. If that fails too the
  // database is the problem; the caller asks the MTA to retry.
  auto kept =
      Quarantine(support.db(), raw, dedup_key, "could not be processed: " + stored.error().message);
  if (!kept.ok()) return stored.error();
  return kept;
}

Result<IntakeResult> ReplayMail(SupportService& support, std::string_view raw_id) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      support.db().InTransaction<store::Rows>([&](store::Transaction& tx) {
                        return tx.Query("SELECT raw, state FROM support_raw_messages WHERE id = ?",
                                        {std::string(raw_id)});
                      }));
  if (rows.empty()) return NotFound("No quarantined message " + std::string(raw_id));
  if (rows[0].Text(1) != "quarantined") {
    return FailedPrecondition("Message " + std::string(raw_id) + " is " + rows[0].Text(1) +
                              ", not quarantined");
  }
  PC_ASSIGN_OR_RETURN(auto raw, Base64Decode(rows[0].Text(0)));
  auto parsed = ParseMail(raw, support.options().max_attachment_bytes);
  Decision decision;
  if (parsed.ok()) decision = support.Classify(parsed->subject, parsed->text);
  return support.db().InTransaction<IntakeResult>(
      [&](store::Transaction& tx) -> Result<IntakeResult> {
        PC_ASSIGN_OR_RETURN(auto n, tx.Execute("UPDATE support_raw_messages SET state = "
                                               "'replayed' WHERE id = ? AND state = "
                                               "'quarantined'",
                                               {std::string(raw_id)}));
        if (n == 0) return Conflict("Message " + std::string(raw_id) + " was replayed already");
        if (parsed.ok()) return Process(tx, support, *parsed, decision, std::string(raw_id));
        // Still unparseable: a ticket for staff with the text as received.
        NewTicket t;
        t.subject = "(unparseable message)";
        t.requester_email = "unknown";
        t.scope = "not-customer";
        t.topic = std::string(kFallbackTopic);
        t.classification = {"rule",
                            "replayed from quarantine without parsing: " + parsed.error().message,
                            std::nullopt, true};
        PC_ASSIGN_OR_RETURN(auto ticket, CreateTicket(tx, t));
        PC_RETURN_IF_ERROR(AppendMessage(tx, ticket.id,
                                         {.kind = "in",
                                          .from = "unknown",
                                          .text = Cut(ValidUtf8(raw), 1 << 20),
                                          .raw_id = std::string(raw_id)}));
        IntakeResult r;
        r.raw_id = std::string(raw_id);
        r.ticket_id = ticket.id;
        r.thread_match = "replayed-unparsed";
        PC_RETURN_IF_ERROR(tx.Execute(
            "UPDATE support_raw_messages SET ticket_id = ?, thread_match = ? WHERE id = ?",
            {ticket.id, r.thread_match, std::string(raw_id)}));
        return r;
      });
}

}  // namespace pc::support
