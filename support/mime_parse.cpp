#include "support/mime_parse.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>

namespace pc::support {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

void InitGmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Owns a GObject reference.
template <class T>
struct GRef {
  T* p = nullptr;
  explicit GRef(T* v) : p(v) {}
  ~GRef() {
    if (p != nullptr) g_object_unref(p);
  }
  GRef(const GRef&) = delete;
  GRef& operator=(const GRef&) = delete;
};

std::string StripBrackets(std::string_view id) {
  std::string s = Trim(id);
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  return s;
}

// The decoded bytes of a part's content (transfer encoding undone, no charset conversion).
std::string PartBytes(GMimePart* part, int64_t limit, int64_t* size) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  *size = 0;
  if (content == nullptr) return {};
  GRef<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.p);
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.p));
  *size = static_cast<int64_t>(array->len);
  if (limit >= 0 && *size > limit) return {};
  return std::string(reinterpret_cast<const char*>(array->data), array->len);
}

// A text part as UTF-8 (GMime converts from the declared charset with iconv).
std::string PartText(GMimePart* part) {
  if (!GMIME_IS_TEXT_PART(part)) {
    int64_t size = 0;
    return ValidUtf8(PartBytes(part, -1, &size));
  }
  char* text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
  if (text == nullptr) return {};
  std::string out = ValidUtf8(text);
  g_free(text);
  return out;
}

struct Walk {
  int64_t max_attachment_bytes;
  std::string plain;
  std::string html;
  std::vector<MailAttachment> attachments;
  bool report = false;
};

void WalkPart(GMimeObject* object, Walk& w, int depth) {
  if (object == nullptr || depth > 20) return;
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  if (GMIME_IS_MULTIPART(object)) {
    if (ct != nullptr && g_mime_content_type_is_type(ct, "multipart", "report")) w.report = true;
    GMimeMultipart* mp = GMIME_MULTIPART(object);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n && i < 500; ++i) WalkPart(g_mime_multipart_get_part(mp, i), w, depth + 1);
    return;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    // An attached message: kept whole as an .eml attachment.
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (inner == nullptr) return;
    GRef<GMimeStream> mem(g_mime_stream_mem_new());
    g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.p);
    GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.p));
    MailAttachment a;
    const char* subject = g_mime_message_get_subject(inner);
    a.name = ValidUtf8(subject != nullptr && *subject ? std::string(subject) + ".eml"
                                                     : std::string("message.eml"));
    a.content_type = "message/rfc822";
    a.size = static_cast<int64_t>(array->len);
    if (a.size > w.max_attachment_bytes) {
      a.dropped = true;
    } else {
      a.bytes.assign(reinterpret_cast<const char*>(array->data), array->len);
    }
    w.attachments.push_back(std::move(a));
    return;
  }
  if (!GMIME_IS_PART(object)) return;
  GMimePart* part = GMIME_PART(object);
  std::string type = "application/octet-stream";
  if (ct != nullptr) {
    char* mime = g_mime_content_type_get_mime_type(ct);
    if (mime != nullptr) {
      type = Lower(mime);
      g_free(mime);
    }
  }
  const char* filename = g_mime_part_get_filename(part);
  bool is_text_body = !g_mime_part_is_attachment(part) && filename == nullptr &&
                      (type == "text/plain" || type == "text/html");
  if (is_text_body) {
    std::string text = PartText(part);
    std::string& into = type == "text/plain" ? w.plain : w.html;
    if (!into.empty()) into += "\n";
    into += text;
    return;
  }
  MailAttachment a;
  a.name = ValidUtf8(filename != nullptr ? filename : "");
  if (a.name.empty()) {
    a.name = type == "application/ms-tnef" ? "winmail.dat" : "attachment";
  }
  // Names are shown and offered for download: no path, no control characters.
  for (auto& c : a.name) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
  }
  if (a.name.size() > 200) a.name = a.name.substr(0, 200);
  a.content_type = type;
  a.bytes = PartBytes(part, w.max_attachment_bytes, &a.size);
  a.dropped = a.size > w.max_attachment_bytes;
  w.attachments.push_back(std::move(a));
}

std::string HeaderValue(GMimeObject* object, const char* name) {
  const char* v = g_mime_object_get_header(object, name);
  return v != nullptr ? ValidUtf8(v) : std::string();
}

// The raw value of a header as it appeared (for Return-Path: "<>").
bool HasEmptyReturnPath(std::string_view raw) {
  size_t end = raw.find("\r\n\r\n");
  size_t end2 = raw.find("\n\n");
  size_t headers_end = std::min(end, end2);
  std::string head = Lower(raw.substr(0, headers_end == std::string_view::npos ? raw.size()
                                                                               : headers_end));
  for (size_t pos = head.find("return-path:"); pos != std::string::npos;
       pos = head.find("return-path:", pos + 1)) {
    if (pos != 0 && head[pos - 1] != '\n') continue;
    size_t eol = head.find('\n', pos);
    std::string value = Trim(head.substr(pos + 12, eol == std::string::npos ? std::string::npos
                                                                             : eol - pos - 12));
    if (value == "<>" || value.empty()) return true;
  }
  return false;
}

void AddAddresses(InternetAddressList* list, std::vector<std::string>& out) {
  if (list == nullptr) return;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n && i < 200; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      if (addr != nullptr) out.push_back(Lower(addr));
    } else if (INTERNET_ADDRESS_IS_GROUP(a)) {
      AddAddresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out);
    }
  }
}

// --- HTML ---

const std::set<std::string>& AllowedTags() {
  static const std::set<std::string> tags = {
      "p",  "br", "div",   "span",  "b",     "strong", "i",  "em", "u",  "ul", "ol",
      "li", "a",  "blockquote", "pre", "code", "table", "thead", "tbody", "tr", "td", "th",
      "h1", "h2", "h3",    "h4",    "h5",    "h6",     "hr", "font", "small", "sub", "sup"};
  return tags;
}

const std::set<std::string>& BlockTags() {
  static const std::set<std::string> tags = {"p",  "br", "div", "li", "tr", "h1", "h2", "h3",
                                             "h4", "h5", "h6",  "hr", "blockquote", "pre",
                                             "table", "ul", "ol"};
  return tags;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string DecodeEntities(std::string_view s) {
  static const std::pair<const char*, uint32_t> kNamed[] = {
      {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
      {"apos", '\''},    {"nbsp", 0xA0},    {"copy", 0xA9},    {"reg", 0xAE},
      {"euro", 0x20AC},  {"mdash", 0x2014}, {"ndash", 0x2013}, {"hellip", 0x2026},
      {"rsquo", 0x2019}, {"lsquo", 0x2018}, {"rdquo", 0x201D}, {"ldquo", 0x201C},
      {"uuml", 0xFC},    {"ouml", 0xF6},    {"auml", 0xE4},    {"szlig", 0xDF},
      {"eacute", 0xE9},  {"egrave", 0xE8},  {"agrave", 0xE0},  {"ccedil", 0xE7}};
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += '&';
      continue;
    }
    std::string_view name = s.substr(i + 1, semi - i - 1);
    bool done = false;
    if (!name.empty() && name[0] == '#') {
      uint32_t cp = 0;
      bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
      std::string_view digits = name.substr(hex ? 2 : 1);
      bool ok = !digits.empty();
      for (char c : digits) {
        int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : hex && std::isxdigit(static_cast<unsigned char>(c))
                    ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                    : -1;
        if (v < 0 || cp > 0x10FFFF) {
          ok = false;
          break;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
      }
      if (ok) {
        AppendUtf8(out, cp);
        done = true;
      }
    } else {
      for (const auto& [n, cp] : kNamed) {
        if (name == n) {
          AppendUtf8(out, cp);
          done = true;
          break;
        }
      }
    }
    if (done) {
      i = semi;
    } else {
      out += '&';
    }
  }
  return out;
}

std::string EscapeHtml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Tag {
  std::string name;  // lower-case
  bool closing = false;
  std::vector<std::pair<std::string, std::string>> attributes;  // lower-case names, raw values
};

// Walks an HTML document: `on_text` for text (entities still encoded), `on_tag` for tags;
// comments, doctypes and the content of script/style/head/title/noscript are skipped.
void Tokenize(std::string_view html, const std::function<void(std::string_view)>& on_text,
              const std::function<void(const Tag&)>& on_tag) {
  size_t i = 0;
  while (i < html.size()) {
    size_t lt = html.find('<', i);
    if (lt == std::string_view::npos) {
      on_text(html.substr(i));
      return;
    }
    if (lt > i) on_text(html.substr(i, lt - i));
    if (html.substr(lt, 4) == "<!--") {
      size_t end = html.find("-->", lt + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    if (lt + 1 < html.size() && (html[lt + 1] == '!' || html[lt + 1] == '?')) {
      size_t end = html.find('>', lt);
      i = end == std::string_view::npos ? html.size() : end + 1;
      continue;
    }
    size_t p = lt + 1;
    Tag tag;
    if (p < html.size() && html[p] == '/') {
      tag.closing = true;
      ++p;
    }
    while (p < html.size() && std::isalnum(static_cast<unsigned char>(html[p]))) {
      tag.name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[p])));
      ++p;
    }
    if (tag.name.empty()) {
      on_text("<");
      i = lt + 1;
      continue;
    }
    // Attributes up to '>' (quotes respected).
    while (p < html.size() && html[p] != '>') {
      while (p < html.size() && (std::isspace(static_cast<unsigned char>(html[p])) ||
                                 html[p] == '/')) {
        ++p;
      }
      std::string name;
      while (p < html.size() && !std::isspace(static_cast<unsigned char>(html[p])) &&
             html[p] != '=' && html[p] != '>' && html[p] != '/') {
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[p])));
        ++p;
      }
      std::string value;
      while (p < html.size() && std::isspace(static_cast<unsigned char>(html[p]))) ++p;
      if (p < html.size() && html[p] == '=') {
        ++p;
        while (p < html.size() && std::isspace(static_cast<unsigned char>(html[p]))) ++p;
        if (p < html.size() && (html[p] == '"' || html[p] == '\'')) {
          char q = html[p++];
          size_t end = html.find(q, p);
          if (end == std::string_view::npos) end = html.size();
          value = std::string(html.substr(p, end - p));
          p = end + 1;
        } else {
          while (p < html.size() && !std::isspace(static_cast<unsigned char>(html[p])) &&
                 html[p] != '>') {
            value += html[p++];
          }
        }
      }
      if (!name.empty()) tag.attributes.push_back({name, value});
      if (name.empty() && p < html.size() && html[p] != '>') ++p;
    }
    i = p < html.size() ? p + 1 : html.size();
    static const std::set<std::string> kSkipContent = {"script", "style", "head", "title",
                                                       "noscript", "template", "xml"};
    if (!tag.closing && kSkipContent.count(tag.name)) {
      std::string lower_rest;
      std::string close = "</" + tag.name;
      // Case-insensitive search for the closing tag.
      size_t found = std::string_view::npos;
      for (size_t k = i; k + close.size() <= html.size(); ++k) {
        if (html[k] == '<' && Lower(html.substr(k, close.size())) == close) {
          found = k;
          break;
        }
      }
      if (found == std::string_view::npos) return;
      size_t end = html.find('>', found);
      i = end == std::string_view::npos ? html.size() : end + 1;
      continue;
    }
    on_tag(tag);
  }
}

}  // namespace

std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) {
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    int len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (c >= 0xF5) len = 0;
    bool ok = len > 0 && i + len <= s.size();
    uint32_t cp = 0;
    if (ok) {
      cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
      for (int k = 1; k < len; ++k) {
        auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
    }
    if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
               (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))) {
      ok = false;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string HtmlToText(std::string_view html) {
  std::string out;
  Tokenize(
      html,
      [&](std::string_view text) {
        // Whitespace collapses as a browser would.
        std::string decoded = DecodeEntities(text);
        for (char c : decoded) {
          if (std::isspace(static_cast<unsigned char>(c))) {
            if (!out.empty() && out.back() != ' ' && out.back() != '\n') out += ' ';
          } else {
            out += c;
          }
        }
      },
      [&](const Tag& tag) {
        if (BlockTags().count(tag.name)) {
          while (!out.empty() && out.back() == ' ') out.pop_back();
          if (!out.empty() && out.back() != '\n') out += '\n';
          if (tag.name == "p" && tag.closing) out += '\n';
        }
      });
  // At most one blank line in a row; no trailing space.
  std::string clean;
  int newlines = 0;
  for (char c : out) {
    if (c == '\n') {
      if (++newlines > 2) continue;
    } else {
      newlines = 0;
    }
    clean += c;
  }
  return ValidUtf8(Trim(clean));
}

std::string SanitizeHtml(std::string_view html) {
  std::string out;
  Tokenize(
      html, [&](std::string_view text) { out += EscapeHtml(DecodeEntities(text)); },
      [&](const Tag& tag) {
        if (!AllowedTags().count(tag.name)) return;
        if (tag.closing) {
          if (tag.name != "br" && tag.name != "hr") out += "</" + tag.name + ">";
          return;
        }
        out += "<" + tag.name;
        if (tag.name == "a") {
          for (const auto& [name, value] : tag.attributes) {
            if (name != "href") continue;
            std::string href = Trim(DecodeEntities(value));
            std::string lower = Lower(href);
            if (lower.starts_with("http://") || lower.starts_with("https://") ||
                lower.starts_with("mailto:")) {
              out += " href=\"" + EscapeHtml(href) + "\" rel=\"noopener noreferrer nofollow\"";
            }
          }
        }
        out += ">";
      });
  return ValidUtf8(out);
}

Result<ParsedMail> ParseMail(std::string_view raw, int64_t max_attachment_bytes) {
  InitGmime();
  if (raw.empty()) return InvalidArgument("The message is empty");
  // The header block must start with a header field: "Name: value".
  size_t colon = raw.find(':');
  size_t eol = raw.find('\n');
  if (colon == std::string_view::npos || (eol != std::string_view::npos && colon > eol)) {
    if (!raw.starts_with("From ")) return InvalidArgument("The message has no header fields");
  }
  GRef<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GRef<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
  g_mime_parser_set_format(parser.p,
                           raw.starts_with("From ") ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
  GRef<GMimeMessage> message(g_mime_parser_construct_message(parser.p, nullptr));
  if (message.p == nullptr) return InvalidArgument("GMime could not parse the message");
  ParsedMail m;
  InternetAddressList* from = g_mime_message_get_from(message.p);
  std::vector<std::string> from_addresses;
  AddAddresses(from, from_addresses);
  if (from_addresses.empty() || from_addresses[0].find('@') == std::string::npos) {
    return InvalidArgument("The message has no usable From address");
  }
  m.from_address = ValidUtf8(from_addresses[0]);
  InternetAddress* first = internet_address_list_get_address(from, 0);
  const char* name = first != nullptr ? internet_address_get_name(first) : nullptr;
  m.from_name = ValidUtf8(name != nullptr ? name : "");
  const char* subject = g_mime_message_get_subject(message.p);
  m.subject = ValidUtf8(subject != nullptr ? subject : "");
  for (auto& c : m.subject) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  const char* id = g_mime_message_get_message_id(message.p);
  m.message_id = id != nullptr ? ValidUtf8(StripBrackets(id)) : "";
  GMimeObject* top = GMIME_OBJECT(message.p);
  std::string in_reply_to = HeaderValue(top, "In-Reply-To");
  if (!in_reply_to.empty()) {
    GMimeReferences* refs = g_mime_references_parse(nullptr, in_reply_to.c_str());
    if (refs != nullptr) {
      if (g_mime_references_length(refs) > 0) {
        m.in_reply_to = ValidUtf8(g_mime_references_get_message_id(refs, 0));
      }
      g_mime_references_free(refs);
    }
  }
  std::string references = HeaderValue(top, "References");
  if (!references.empty()) {
    GMimeReferences* refs = g_mime_references_parse(nullptr, references.c_str());
    if (refs != nullptr) {
      int n = g_mime_references_length(refs);
      for (int i = 0; i < n && i < 100; ++i) {
        m.references.push_back(ValidUtf8(g_mime_references_get_message_id(refs, i)));
      }
      g_mime_references_free(refs);
    }
  }
  AddAddresses(g_mime_message_get_to(message.p), m.recipients);
  AddAddresses(g_mime_message_get_cc(message.p), m.recipients);
  for (const char* header : {"Delivered-To", "X-Original-To"}) {
    std::string v = Lower(Trim(HeaderValue(top, header)));
    if (!v.empty()) m.recipients.push_back(StripBrackets(v));
  }
  m.auto_submitted = Lower(Trim(HeaderValue(top, "Auto-Submitted")));
  m.empty_return_path = HasEmptyReturnPath(raw);
  std::string precedence = Lower(Trim(HeaderValue(top, "Precedence")));
  m.is_list = !HeaderValue(top, "List-Id").empty() || precedence == "bulk" ||
              precedence == "list" || precedence == "junk";
  Walk walk{max_attachment_bytes, {}, {}, {}, false};
  WalkPart(g_mime_message_get_mime_part(message.p), walk, 0);
  m.is_report = walk.report;
  m.attachments = std::move(walk.attachments);
  if (!walk.html.empty()) m.html = SanitizeHtml(walk.html);
  m.text = !Trim(walk.plain).empty() ? walk.plain : HtmlToText(walk.html);
  // Line ends as LF.
  std::string text;
  for (size_t i = 0; i < m.text.size(); ++i) {
    if (m.text[i] == '\r') {
      if (i + 1 < m.text.size() && m.text[i + 1] == '\n') continue;
      text += '\n';
    } else {
      text += m.text[i];
    }
  }
  m.text = Trim(text);
  return m;
}

}  // namespace pc::support
