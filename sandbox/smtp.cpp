#include "sandbox/smtp.h"

#include <atomic>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <thread>

namespace pc::sandbox {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr size_t kMaxCommandLine = 4096;

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// "FROM:<a@b> SIZE=10" after the verb: the address (without brackets) and the parameters.
// False when the path is malformed.
bool ParsePath(std::string_view arg, std::string_view keyword, std::string& address,
               std::string& params) {
  if (!boost::istarts_with(arg, keyword)) return false;
  std::string rest = Trim(arg.substr(keyword.size()));
  if (rest.empty()) return false;
  if (rest.front() == '<') {
    size_t close = rest.find('>');
    if (close == std::string::npos) return false;
    address = rest.substr(1, close - 1);
    params = Trim(std::string_view(rest).substr(close + 1));
  } else {
    size_t space = rest.find(' ');
    address = rest.substr(0, space);
    params = space == std::string::npos ? "" : Trim(std::string_view(rest).substr(space));
  }
  return address.find_first_of(" <>\r\n") == std::string::npos;
}

}  // namespace

MailMessage ParseMessage(std::string_view data) {
  // Dot-unstuffing (RFC 5321 §4.5.2) and CRLF → LF, line by line.
  std::string text;
  text.reserve(data.size());
  size_t i = 0;
  while (i < data.size()) {
    size_t end = data.find('\n', i);
    std::string_view line =
        data.substr(i, end == std::string_view::npos ? data.size() - i : end - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() == '.') line.remove_prefix(1);
    text.append(line);
    if (end != std::string_view::npos) text += '\n';
    i = end == std::string_view::npos ? data.size() : end + 1;
  }
  MailMessage m;
  size_t header_end = text.starts_with("\n") ? 0 : text.find("\n\n");
  std::string_view headers(text.data(), header_end == std::string::npos ? text.size() : header_end);
  if (header_end != std::string::npos) m.body = text.substr(header_end + (header_end == 0 ? 1 : 2));
  // Unfold (a line starting with space or tab continues the previous one), find Subject.
  std::string current;
  auto take = [&](const std::string& field) {
    if (boost::istarts_with(field, "subject:")) m.subject = Trim(std::string_view(field).substr(8));
  };
  size_t p = 0;
  while (p < headers.size()) {
    size_t end = headers.find('\n', p);
    std::string_view line =
        headers.substr(p, end == std::string_view::npos ? headers.size() - p : end - p);
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      current += " " + Trim(line);
    } else {
      take(current);
      current = std::string(line);
    }
    p = end == std::string_view::npos ? headers.size() : end + 1;
  }
  take(current);
  return m;
}

struct SmtpMailbox::Impl {
  SmtpOptions options;
  Deliver deliver;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::atomic<int> connections{0};
  std::once_flag stopped;

  Impl(SmtpOptions o, Deliver d) : options(std::move(o)), deliver(std::move(d)) {}

  awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      asio::co_spawn(ioc, Session(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> Session(tcp::socket socket) {
    boost::beast::tcp_stream stream(std::move(socket));
    struct Count {
      std::atomic<int>& n;
      ~Count() { --n; }
    } count{connections};
    auto send = [&](std::string reply) -> awaitable<bool> {
      stream.expires_after(options.idle_timeout);
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(reply), kTuple);
      co_return !ec;
    };
    if (++connections > options.max_connections) {
      co_await send("421 4.3.2 " + options.hostname + " Too many connections, try again later\r\n");
      co_return;
    }
    if (!co_await send("220 " + options.hostname + " ESMTP partnercloud sandbox mailbox\r\n")) {
      co_return;
    }

    std::string in;  // received, not yet consumed
    char chunk[16 * 1024];
    auto read_more = [&]() -> awaitable<bool> {
      stream.expires_after(options.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(chunk), kTuple);
      if (ec) co_return false;
      in.append(chunk, n);
      co_return true;
    };

    bool greeted = false, in_transaction = false;
    std::string from;
    std::vector<std::string> to;
    for (;;) {
      size_t eol;
      while ((eol = in.find('\n')) == std::string::npos) {
        if (in.size() > kMaxCommandLine) {
          co_await send("500 5.5.6 Line too long\r\n");
          co_return;
        }
        if (!co_await read_more()) co_return;
      }
      if (eol > kMaxCommandLine) {
        co_await send("500 5.5.6 Line too long\r\n");
        co_return;
      }
      std::string line = in.substr(0, eol);
      in.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::string verb = line.substr(0, line.find(' '));
      std::string arg =
          line.size() > verb.size() ? Trim(std::string_view(line).substr(verb.size())) : "";
      auto is = [&](const char* v) { return boost::iequals(verb, v); };
      auto reset = [&] {
        in_transaction = false;
        from.clear();
        to.clear();
      };

      if (is("EHLO") || is("HELO")) {
        if (arg.empty()) {
          if (!co_await send("501 5.5.4 Syntax: " + verb + " hostname\r\n")) co_return;
          continue;
        }
        greeted = true;
        reset();
        std::string reply = is("HELO")
                                ? "250 " + options.hostname + "\r\n"
                                : "250-" + options.hostname + " greets " + arg + "\r\n" +
                                      "250-SIZE " + std::to_string(options.max_message_bytes) +
                                      "\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
        if (!co_await send(reply)) co_return;
      } else if (is("NOOP")) {
        if (!co_await send("250 2.0.0 Ok\r\n")) co_return;
      } else if (is("RSET")) {
        reset();
        if (!co_await send("250 2.0.0 Ok\r\n")) co_return;
      } else if (is("QUIT")) {
        co_await send("221 2.0.0 Bye\r\n");
        co_return;
      } else if (is("VRFY")) {
        if (!co_await send("252 2.0.0 Cannot VRFY user, but will accept message\r\n")) co_return;
      } else if (is("HELP")) {
        if (!co_await send("214 2.0.0 EHLO HELO MAIL RCPT DATA RSET NOOP VRFY QUIT\r\n")) co_return;
      } else if (is("MAIL")) {
        std::string address, params;
        std::string reply;
        if (!greeted) {
          reply = "503 5.5.1 Send EHLO or HELO first\r\n";
        } else if (in_transaction) {
          reply = "503 5.5.1 Sender already given; RSET first\r\n";
        } else if (!ParsePath(arg, "FROM:", address, params)) {
          reply = "501 5.5.4 Syntax: MAIL FROM:<address>\r\n";
        } else {
          size_t size = 0;
          if (auto at = boost::ifind_first(params, "SIZE="); !at.empty()) {
            size = std::strtoull(params.c_str() + (at.end() - params.begin()), nullptr, 10);
          }
          if (size > options.max_message_bytes) {
            reply = "552 5.3.4 Message size exceeds fixed maximum message size\r\n";
          } else {
            in_transaction = true;
            from = address;
            reply = "250 2.1.0 Ok\r\n";
          }
        }
        if (!co_await send(reply)) co_return;
      } else if (is("RCPT")) {
        std::string address, params;
        std::string reply;
        if (!in_transaction) {
          reply = "503 5.5.1 Need MAIL before RCPT\r\n";
        } else if (!ParsePath(arg, "TO:", address, params) || address.empty()) {
          reply = "501 5.5.4 Syntax: RCPT TO:<address>\r\n";
        } else if (to.size() >= options.max_recipients) {
          reply = "452 4.5.3 Too many recipients\r\n";
        } else {
          to.push_back(address);
          reply = "250 2.1.5 Ok\r\n";
        }
        if (!co_await send(reply)) co_return;
      } else if (is("DATA")) {
        if (!in_transaction || to.empty()) {
          if (!co_await send("503 5.5.1 Need RCPT before DATA\r\n")) co_return;
          continue;
        }
        if (!co_await send("354 End data with <CR><LF>.<CR><LF>\r\n")) co_return;
        // Scan for CRLF "." CRLF, as if the data were preceded by CRLF (an empty message).
        static constexpr std::string_view kEnd = "\r\n.\r\n";
        size_t matched = 2;
        std::string data;
        bool too_big = false, done = false;
        while (!done) {
          size_t i = 0;
          for (; i < in.size() && !done; ++i) {
            char c = in[i];
            if (c == kEnd[matched]) {
              ++matched;
            } else {
              matched = c == '\r' ? 1 : 0;
            }
            if (matched == kEnd.size()) done = true;
            if (!too_big) {
              data += c;
              if (data.size() > options.max_message_bytes + kEnd.size()) {
                too_big = true;
                data.clear();
                data.shrink_to_fit();
              }
            }
          }
          in.erase(0, i);
          if (!done && !co_await read_more()) co_return;
        }
        std::string reply;
        if (too_big) {
          reply = "552 5.3.4 Message size exceeds fixed maximum message size\r\n";
        } else {
          data.resize(data.size() - 3);  // drop ".\r\n", keep the last line's CRLF
          MailMessage m = ParseMessage(data);
          m.from = from;
          m.to = to;
          deliver(std::move(m));
          reply = "250 2.0.0 Ok: queued\r\n";
        }
        reset();
        if (!co_await send(reply)) co_return;
      } else if (line.empty()) {
        if (!co_await send("500 5.5.2 Error: bad syntax\r\n")) co_return;
      } else {
        if (!co_await send("502 5.5.2 Error: command not recognized\r\n")) co_return;
      }
    }
  }
};

SmtpMailbox::SmtpMailbox(SmtpOptions options, Deliver deliver)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(deliver))) {}

SmtpMailbox::~SmtpMailbox() { Stop(); }

Result<uint16_t> SmtpMailbox::Listen() {
  boost::system::error_code ec;
  std::string text = impl_->options.address == "localhost" ? "127.0.0.1" : impl_->options.address;
  auto address = asio::ip::make_address(text, ec);
  if (ec || !address.is_loopback()) {
    return InvalidArgument("The SMTP mailbox binds loopback only; got '" + impl_->options.address +
                           "'");
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("Cannot listen for SMTP on " + impl_->options.address + ":" +
                       std::to_string(impl_->options.port) + ": " + ec.message());
  }
  uint16_t port = acceptor.local_endpoint().port();
  asio::co_spawn(impl_->ioc, impl_->Accept(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
  return port;
}

void SmtpMailbox::Stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->ioc.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
  });
}

}  // namespace pc::sandbox
