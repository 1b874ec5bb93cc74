// One RFC 5322 message (as an MTA delivers it) parsed with GMime 3 into what the support desk
// keeps: addresses, subject (RFC 2047 decoded), text in UTF-8 (legacy charsets converted; from
// the HTML when there is no plain text), sanitized HTML, attachments (RFC 2231/2047 names; any
// type, winmail.dat included) and the headers that matter for threading and mail loops.
// Pure: no database. Thread-safe (GMime is initialised once).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pc::support {

struct MailAttachment {
  std::string name;
  std::string content_type;
  std::string bytes;
  int64_t size = 0;      // of the decoded content
  bool dropped = false;  // over the size bound: listed, not kept (bytes empty)
};

struct ParsedMail {
  std::string message_id;  // without brackets; "" if none
  std::string from_address;  // lower-cased
  std::string from_name;
  std::string subject;
  std::string text;                // UTF-8
  std::optional<std::string> html;  // sanitized
  std::vector<MailAttachment> attachments;
  std::string in_reply_to;              // without brackets
  std::vector<std::string> references;  // without brackets, oldest first
  std::vector<std::string> recipients;  // To, Cc, Delivered-To, X-Original-To: lower-cased
  // Mail-loop signals.
  std::string auto_submitted;  // the header's value, lower-cased ("" if none)
  bool empty_return_path = false;
  bool is_report = false;  // multipart/report (delivery status notifications)
  bool is_list = false;    // List-Id, or Precedence bulk/list/junk
};

// Errors: InvalidArgument with the reason a message cannot be used (no headers, no From address),
// for quarantine. `max_attachment_bytes` bounds each kept attachment.
Result<ParsedMail> ParseMail(std::string_view raw, int64_t max_attachment_bytes);

// Text of an HTML document: tags dropped, block elements as line breaks, entities decoded,
// script/style content left out.
std::string HtmlToText(std::string_view html);
// An allow-list sanitizer: only harmless formatting tags survive, without attributes except
// http(s)/mailto href on links; script, style and their content, comments and every other tag
// are removed; text is escaped.
std::string SanitizeHtml(std::string_view html);
// `text` as valid UTF-8: invalid bytes become U+FFFD; NUL is dropped.
std::string ValidUtf8(std::string_view text);

}  // namespace pc::support
