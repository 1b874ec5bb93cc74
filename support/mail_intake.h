// Mail intake: one RFC 5322 message, as an MTA pipe transport delivers it, becomes a ticket or a
// message of one. The raw bytes are stored first, in the same transaction as everything parsed
// from them, so a message is either wholly stored or not at all (and the MTA retries); a second
// delivery of the same Message-ID (or, without one, the same bytes) is stored once. A message
// that cannot be parsed is kept whole as quarantined, for operators to replay.
//
// Threading, in order (the one that matched is recorded): our own Message-IDs and the
// In-Reply-To / References chain; the signed token of the plus-address we reply from
// (support+<token>@...); the subject token "[#T-1234]" (RFC 2047 subjects are decoded first).
// A message from someone outside the ticket's organization (or, for a ticket without one, other
// than its requester) does not join it and opens a ticket of its own.
//
// Mail loops: no automatic answer to Auto-Submitted (other than "no"), bounces (empty
// Return-Path, multipart/report), lists (List-Id, Precedence bulk/list/junk) or mail from our
// own address; automatic answers carry Auto-Submitted: auto-replied and are bounded per sender
// per hour.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "support/support_service.h"

namespace pc::support {

struct IntakeResult {
  enum class Outcome { kStored, kDuplicate, kQuarantined, kIgnored } outcome = Outcome::kStored;
  std::string raw_id;
  std::optional<std::string> ticket_id;
  std::string thread_match;  // message-id | reply-token | subject-token | new | refused:<how>
  bool auto_answered = false;
  std::string reason;  // quarantine reason, or why no automatic answer was sent
};

// Errors: PayloadTooLarge when `raw` is over support.max_message_bytes (nothing stored);
// Unavailable or Internal when the database failed (nothing stored: retry).
Result<IntakeResult> ReceiveMail(SupportService& support, std::string_view raw);

// Parses the quarantined message `raw_id` again; if it still cannot be parsed it becomes a
// ticket for staff anyway (requester unknown, text as received), so nothing stays stuck.
Result<IntakeResult> ReplayMail(SupportService& support, std::string_view raw_id);

}  // namespace pc::support
