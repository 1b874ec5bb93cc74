// Outbound answers: an "out" message of a ticket queued in the notify outbox with the threading
// headers (Message-ID, In-Reply-To, References), a signed Reply-To and, for automatic answers,
// `Auto-Submitted: auto-replied` (RFC 3834) under a per-sender hourly bound.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/secret_box.h"
#include "store/store.h"
#include "support/ticket_store.h"

namespace pc::support {

// A new Message-ID for a message of ticket `number` (without brackets), recognisable as ours:
// "<uuid>.T<number>@support.partnercloud".
std::string NewMessageId(int64_t number);
// True for Message-IDs we made.
bool IsOurMessageId(std::string_view message_id);

// The signed reply token of a ticket number: "<number>-<8 hex>" (HMAC-SHA-256 with the
// database's token key, truncated), and its check. The token key is random, made on first use
// and kept sealed with `secrets` (support_settings.reply_token_key); a key an older version left
// in clear (migration 0130 set it aside as reply_token_key_clear) is sealed on first use.
// Errors: Internal when the stored key does not open with `secrets`.
Result<std::string> ReplyToken(store::Transaction& tx, const SecretBox& secrets, int64_t number);
Result<bool> CheckReplyToken(store::Transaction& tx, const SecretBox& secrets,
                             std::string_view token, int64_t* number_out);
// Makes the token key now, or seals one left in clear, rather than at the first email (`serve`
// calls it at start). Errors as ReplyToken's.
Status PrepareReplyTokenKey(store::Transaction& tx, const SecretBox& secrets);

// The plus-address with the token: support+<token>@domain for support@domain.
std::string PlusAddress(std::string_view address, std::string_view token);

// Whether an automatic answer to `sender` is allowed now (fewer than `max_per_hour` in the last
// hour); if so it is counted. Lower-cases the sender.
Result<bool> TakeAutoReplySlot(store::Transaction& tx, std::string_view sender,
                               int64_t max_per_hour);

// Queues the email for `message` (kind "out") of `ticket` to the requester, its Reply-To signed
// with the token key (sealed with `secrets`).
Status QueueEmail(store::Transaction& tx, const SecretBox& secrets, const Ticket& ticket,
                  const Message& message, std::string_view subject, std::string_view our_address,
                  bool automatic);

}  // namespace pc::support
