// SmtpMailbox: a minimal SMTP server (RFC 5321) for the demo, enough for libcurl's SMTP client:
// EHLO/HELO, MAIL FROM (with SIZE=), RCPT TO, DATA (dot-unstuffed), RSET, NOOP, VRFY, HELP,
// QUIT. No TLS, no AUTH (neither is advertised). Every accepted message goes to `deliver`.
// Bounds: messages over max_message_bytes get 552 (the rest of the DATA is read and dropped),
// command lines over 4 KiB get 500 and the connection closes, at most max_connections at once
// (others get 421), an idle connection closes after idle_timeout.
// Runs on its own thread; Listen/Stop may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace pc::sandbox {

struct MailMessage {
  std::string from;             // envelope sender (MAIL FROM), without the angle brackets
  std::vector<std::string> to;  // envelope recipients (RCPT TO)
  std::string subject;          // the Subject header, unfolded, as sent (no MIME decoding)
  std::string body;             // after the header block; CRLF line ends become LF
};

struct SmtpOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port
  size_t max_message_bytes = 1024 * 1024;
  size_t max_recipients = 100;
  int max_connections = 16;
  std::chrono::seconds idle_timeout{60};
  std::string hostname = "mailbox.sandbox.partnercloud";
};

class SmtpMailbox {
 public:
  // Called on the server's thread for each accepted message.
  using Deliver = std::function<void(MailMessage)>;

  SmtpMailbox(SmtpOptions options, Deliver deliver);
  ~SmtpMailbox();  // Stop()
  SmtpMailbox(const SmtpMailbox&) = delete;
  SmtpMailbox& operator=(const SmtpMailbox&) = delete;

  // Binds (loopback only), starts serving on a background thread and returns the bound port.
  // Errors: a non-loopback address, or the port is taken.
  [[nodiscard]] Result<uint16_t> Listen();
  // Stops serving and joins the thread. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The message text after DATA (without the final "." line): dot-unstuffed, split into the
// Subject header and the body. Exposed for tests.
MailMessage ParseMessage(std::string_view data);

}  // namespace pc::sandbox
