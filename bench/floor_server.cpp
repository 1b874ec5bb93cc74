// The floor for bench/api.sh: a minimal Boost.Beast coroutine HTTP server that answers every
// request with the same small JSON, written the way core/http/server.cpp is (one acceptor,
// a coroutine per connection, keep-alive, N threads on one io_context). Whatever partnercloud
// does beyond this per request is the cost the benchmark shows. Benchmark tool, not a test.
//   floor_server [PORT] [THREADS]      (PORT 0: a free one; prints "port N" when listening)
#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> Session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, req, kTuple);
    if (ec) break;
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    res.body() = R"({"status":"ok"})";
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    if (wec || !res.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> Accept(asio::io_context& io, tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) continue;
    // Each connection on its own strand, as in core/http/server.cpp.
    asio::co_spawn(asio::make_strand(io), Session(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0);
  int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 8;
  asio::io_context io(threads);
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  std::cout << "port " << acceptor.local_endpoint().port() << std::endl;
  asio::co_spawn(io, Accept(io, acceptor), asio::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
}
