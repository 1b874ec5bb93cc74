// Outbound answers: an "out" message of a ticket queued in the notify outbox with the threading
// headers (Message-ID, In-Reply-To, References), a signed Reply-To and, for automatic answers,
// `Auto-Submitted: auto-replied` (RFC 3834) under a per-sender hourly bound.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/store.h"
#include "support/ticket_store.h"

namespace pc::support {

// A new Message-ID for a message of ticket `number` (without brackets), recognisable as ours:
// "<uuid>.T<number>@support.partnercloud".
std::string NewMessageId(int64_t number);
// True for Message-IDs we made.
bool IsOurMessageId(std::string_view message_id);

// The signed reply token of a ticket number: "<number>-<8 hex>" (HMAC-SHA-256 with the
// database's token key, truncated), and its check.
Result<std::string> ReplyToken(store::Transaction& tx, int64_t number);
Result<bool> CheckReplyToken(store::Transaction& tx, std::string_view token,
                             int64_t* number_out);

// The plus-address with the token: support+<token>@domain for support@domain.
std::string PlusAddress(std::string_view address, std::string_view token);

// Whether an automatic answer to `sender` is allowed now (fewer than `max_per_hour` in the last
// hour); if so it is counted. Lower-cases the sender.
Result<bool> TakeAutoReplySlot(store::Transaction& tx, std::string_view sender,
                               int64_t max_per_hour);

// Queues the email for `message` (kind "out") of `ticket` to the requester.
Status QueueEmail(store::Transaction& tx, const Ticket& ticket, const Message& message,
                  std::string_view subject, std::string_view our_address, bool automatic);

}  // namespace pc::support
