#include "connectors/smtp_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <ctime>

namespace pc::connectors {

namespace {

// Header values never carry CR or LF (no header injection from names or subjects).
std::string HeaderValue(std::string_view v) {
  std::string out;
  for (char c : v) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

struct Reader {
  std::string text;
  size_t offset = 0;
};

size_t Read(char* buffer, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reader*>(user);
  size_t len = std::min(size * n, r->text.size() - r->offset);
  std::copy_n(r->text.data() + r->offset, len, buffer);
  r->offset += len;
  return len;
}

}  // namespace

std::string FormatEmail(const EmailMessage& m) {
  char date[64];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string out = "Date: " + std::string(date) + "\r\n" + "From: " + HeaderValue(m.from) +
                    "\r\n" + "To: " + HeaderValue(m.to) + "\r\n" + "Message-ID: <" +
                    HeaderValue(m.message_id) + ">\r\n" + "Subject: " + HeaderValue(m.subject) +
                    "\r\n";
  for (const auto& [name, value] : m.headers) {
    out += HeaderValue(name) + ": " + HeaderValue(value) + "\r\n";
  }
  out += std::string("MIME-Version: 1.0\r\n") + "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  for (size_t i = 0; i < m.body.size(); ++i) {
    if (m.body[i] == '\n' && (i == 0 || m.body[i - 1] != '\r')) out += '\r';
    out += m.body[i];
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

Status SendEmail(const std::string& relay_url, const EmailMessage& m) {
  CURL* h = curl_easy_init();
  if (!h) return Internal("curl_easy_init failed");
  Reader reader{FormatEmail(m), 0};
  std::string from = "<" + HeaderValue(m.from) + ">";
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + HeaderValue(m.to) + ">").c_str());
  curl_easy_setopt(h, CURLOPT_URL, relay_url.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, Read);
  curl_easy_setopt(h, CURLOPT_READDATA, &reader);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK) {
    return Unavailable(std::string("SMTP relay: ") + curl_easy_strerror(rc));
  }
  return {};
}

}  // namespace pc::connectors
