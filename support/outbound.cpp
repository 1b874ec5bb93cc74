#include "support/outbound.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>

#include "core/json.h"
#include "core/random.h"
#include "core/time.h"
#include "core/uuid.h"

namespace pc::support {

namespace {

constexpr std::string_view kOurDomain = "@support.partnercloud";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The token key: random, made once per database and stored sealed. It only signs reply
// addresses, so that a guessed ticket number alone does not thread a message into a ticket.
Result<std::string> TokenKey(store::Transaction& tx, const SecretBox& secrets) {
  auto sealed = [&]() -> Result<store::Rows> {
    return tx.Query("SELECT value FROM support_settings WHERE key = 'reply_token_key'");
  };
  PC_ASSIGN_OR_RETURN(auto rows, sealed());
  if (rows.empty()) {
    // The first use, or the first since an upgrade: the key an older version kept in clear
    // (set aside by migration 0130) is sealed and the clear copy deleted; else a new key.
    PC_ASSIGN_OR_RETURN(auto clear, tx.Query("SELECT value FROM support_settings WHERE key = "
                                             "'reply_token_key_clear'"));
    std::string key = clear.empty() ? RandomToken(32) : clear[0].Text(0);
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO support_settings (key, value, updated_at) VALUES ('reply_token_key', ?, ?) "
        "ON CONFLICT (key) DO NOTHING",
        {secrets.Seal(key), FormatTimestamp(Now())}));
    PC_RETURN_IF_ERROR(
        tx.Execute("DELETE FROM support_settings WHERE key = 'reply_token_key_clear'"));
    PC_ASSIGN_OR_RETURN(rows, sealed());
    if (rows.empty()) return Internal("The reply token key is missing");
  }
  auto key = secrets.Open(rows[0].Text(0));
  if (!key.ok()) {
    return Internal(
        "The reply token key does not open with this installation's secret key "
        "(security.secret_key_file)");
  }
  return std::move(key).value();
}

std::string Sign(const std::string& key, int64_t number) {
  std::string msg = "ticket:" + std::to_string(number);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()),
                                msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[9];
  for (int i = 0; i < 4; ++i) std::snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  return std::string(hex, 8);
}

}  // namespace

std::string NewMessageId(int64_t number) {
  return Uuid::V4().ToString() + ".T" + std::to_string(number) + std::string(kOurDomain);
}

bool IsOurMessageId(std::string_view message_id) { return Lower(message_id).ends_with(kOurDomain); }

Result<std::string> ReplyToken(store::Transaction& tx, const SecretBox& secrets, int64_t number) {
  PC_ASSIGN_OR_RETURN(auto key, TokenKey(tx, secrets));
  return std::to_string(number) + "-" + Sign(key, number);
}

Result<bool> CheckReplyToken(store::Transaction& tx, const SecretBox& secrets,
                             std::string_view token, int64_t* number_out) {
  size_t dash = token.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 18 || token.size() != dash + 9) {
    return false;
  }
  int64_t number = 0;
  for (char c : token.substr(0, dash)) {
    if (c < '0' || c > '9') return false;
    number = number * 10 + (c - '0');
  }
  PC_ASSIGN_OR_RETURN(auto key, TokenKey(tx, secrets));
  std::string expected = Sign(key, number);
  std::string given = Lower(token.substr(dash + 1));
  if (sodium_memcmp(expected.data(), given.data(), expected.size()) != 0) return false;
  if (number_out != nullptr) *number_out = number;
  return true;
}

Status PrepareReplyTokenKey(store::Transaction& tx, const SecretBox& secrets) {
  PC_ASSIGN_OR_RETURN(auto key, TokenKey(tx, secrets));
  (void)key;
  return Status::Ok();
}

std::string PlusAddress(std::string_view address, std::string_view token) {
  size_t at = address.find('@');
  if (at == std::string_view::npos) return std::string(address);
  return std::string(address.substr(0, at)) + "+" + std::string(token) +
         std::string(address.substr(at));
}

Result<bool> TakeAutoReplySlot(store::Transaction& tx, std::string_view sender,
                               int64_t max_per_hour) {
  std::string who = Lower(sender);
  std::string since = FormatTimestamp(Now() - std::chrono::hours(1));
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT COUNT(*) FROM support_auto_replies WHERE sender = ? AND "
                               "at > ?",
                               {who, since}));
  if (!rows.empty() && rows[0].Int(0) >= max_per_hour) return false;
  PC_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO support_auto_replies (id, sender, at) VALUES (?, ?, ?)",
                 {Uuid::V7().ToString(), who, FormatTimestamp(Now())}));
  return true;
}

Status QueueEmail(store::Transaction& tx, const SecretBox& secrets, const Ticket& ticket,
                  const Message& message, std::string_view subject, std::string_view our_address,
                  bool automatic) {
  if (ticket.requester_email.find('@') == std::string::npos) return Status::Ok();
  // The thread: every Message-ID of the conversation, oldest first; In-Reply-To is the last one
  // the customer sent.
  PC_ASSIGN_OR_RETURN(auto ids, tx.Query("SELECT message_id, kind FROM support_messages WHERE "
                                         "ticket_id = ? AND message_id IS NOT NULL AND id <> ? "
                                         "ORDER BY at, id",
                                         {ticket.id, message.id}));
  std::string references;
  std::string in_reply_to;
  for (const auto& r : ids) {
    references += (references.empty() ? "" : " ") + ("<" + r.Text(0) + ">");
    if (r.Text(1) == "in") in_reply_to = "<" + r.Text(0) + ">";
  }
  PC_ASSIGN_OR_RETURN(auto token, ReplyToken(tx, secrets, ticket.number));
  json::object headers{{"Message-ID", "<" + message.message_id.value_or("") + ">"},
                       {"Reply-To", PlusAddress(our_address, token)}};
  if (!in_reply_to.empty()) headers["In-Reply-To"] = in_reply_to;
  if (!references.empty()) headers["References"] = references;
  if (automatic) headers["Auto-Submitted"] = "auto-replied";
  std::string subject_line(subject);
  std::string tag = "[#" + ticket.id + "]";
  if (subject_line.find(tag) == std::string::npos) subject_line = tag + " " + subject_line;
  PC_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO outbox_emails (id, to_address, subject, body, created_at, headers) VALUES (?, "
      "?, ?, ?, ?, ?)",
      {Uuid::V7().ToString(), ticket.requester_email, subject_line, message.text,
       FormatTimestamp(Now()), pc::ToJson(json::value(headers))}));
  return Status::Ok();
}

}  // namespace pc::support
