// libFuzzer target for the HTTP server's request handling: each input is written, as raw bytes,
// to a real TCP connection of a real Server on 127.0.0.1 (the code path a client's socket takes:
// header parsing, admission, body limits, chunked bodies and trailers, spooling, dispatch), then
// the connection is half-closed and the answer read. A crash, a sanitizer report or a server
// that stops answering fails the run. Built with -DPARTNERCLOUD_FUZZ=ON; run by scripts/fuzz.sh.
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "core/http/router.h"
#include "core/http/server.h"

namespace {

using namespace pc::http;

struct Fixture {
  Router router;
  std::unique_ptr<Server> server;
  uint16_t port = 0;

  Fixture() {
    spdlog::set_level(spdlog::level::off);  // the /throws route logs each failure
    router.Add(Verb::get, "/healthz", [](RequestContext&) {
      return JsonResponse(Status::ok, pc::json::object{{"status", "ok"}});
    });
    router.Add(Verb::post, "/echo/{name}", [](RequestContext& req) {
      return JsonResponse(Status::ok, pc::json::object{{"name", req.params["name"]},
                                                       {"bytes", req.request.body().size()}});
    });
    router.Add(
        Verb::post, "/upload",
        [](RequestContext& req) {
          uint64_t size = req.spooled ? req.spooled->size : req.request.body().size();
          return JsonResponse(Status::ok, pc::json::object{{"bytes", size}});
        },
        BodyPolicy{.limit = 1 << 20,
                   .spool = true,
                   .admit = [](const RequestHeader& h, std::string_view,
                               std::any&) -> std::optional<Response> {
                     if (h["Authorization"] != "Bearer fuzz") {
                       return ErrorResponse(Status::unauthorized, "Unauthenticated", "no");
                     }
                     return std::nullopt;
                   }});
    router.Add(Verb::get, "/throws",
               [](RequestContext&) -> Response { throw std::runtime_error("handler failure"); });
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.body_limit = 64 << 10;
    options.header_timeout = std::chrono::seconds(2);
    options.read_timeout = std::chrono::seconds(2);
    options.idle_timeout = std::chrono::seconds(2);
    options.access_log = false;
    server = std::make_unique<Server>(options, router, nullptr);
    auto bound = server->Listen();
    if (!bound.ok()) {
      std::fprintf(stderr, "fuzz: cannot listen: %s\n", bound.error().message.c_str());
      std::abort();
    }
    port = *bound;
    std::thread([this] { server->Run(); }).detach();
  }
};

Fixture& TheFixture() {
  static Fixture* fixture = new Fixture();  // lives for the whole run
  return *fixture;
}

// Sends `data`, half-closes, and reads until the server closes (or 5 s pass).
bool Exchange(uint16_t port, const uint8_t* data, size_t size) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  size_t sent = 0;
  while (sent < size) {
    ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on purpose (limits)
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buf[4096];
  for (int waited = 0; waited < 5000;) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r == 0) {
      waited += 100;
      continue;
    }
    if (r < 0 || ::recv(fd, buf, sizeof buf, 0) <= 0) break;
  }
  ::close(fd);
  return true;
}

// The server still answers a plain request.
void CheckAlive(uint16_t port) {
  static const char kProbe[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (!Exchange(port, reinterpret_cast<const uint8_t*>(kProbe), sizeof kProbe - 1)) {
    std::fprintf(stderr, "fuzz: the server stopped accepting connections\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = TheFixture();
  Exchange(f.port, data, size);
  static unsigned runs = 0;
  if (++runs % 64 == 0) CheckAlive(f.port);
  return 0;
}
