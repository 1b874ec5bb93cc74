// libFuzzer target for the support desk's MIME intake (ParseMail: GMime, charset conversion,
// the HTML sanitizer and text extraction). Built and run by scripts/fuzz.sh; seeds are the
// corpus in tests/support_corpus.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "support/mime_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto parsed = pc::support::ParseMail(raw, 4096);
  if (parsed.ok()) {
    // What the intake keeps must be valid UTF-8 and sanitized.
    if (pc::support::ValidUtf8(parsed->text) != parsed->text) __builtin_trap();
    if (parsed->html && parsed->html->find("<script") != std::string::npos) __builtin_trap();
  }
  // The sanitizer and text extraction on their own, on the raw bytes as HTML.
  std::string clean = pc::support::SanitizeHtml(raw);
  if (clean.find("<script") != std::string::npos) __builtin_trap();
  (void)pc::support::HtmlToText(raw);
  return 0;
}
