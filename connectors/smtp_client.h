// SMTP client (libcurl): sends one plain-text message to a relay. The Message-ID is given by the
// caller (deterministic per email), so a relay or a mail client can drop a duplicate delivery.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace pc::connectors {

struct EmailMessage {
  std::string from;
  std::string to;
  std::string subject;
  std::string body;
  std::string message_id;  // without angle brackets
  // More header fields, in order (e.g. In-Reply-To, References, Reply-To, Auto-Submitted).
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// `relay_url`: "smtp://host:port" (or smtps://). Errors: Unavailable with curl's reason.
Status SendEmail(const std::string& relay_url, const EmailMessage& message);

// The RFC 5322 text of the message (CRLF line ends), as sent.
std::string FormatEmail(const EmailMessage& message);

}  // namespace pc::connectors
