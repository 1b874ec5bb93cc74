#include "sandbox/tls.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

namespace pc::sandbox {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Connections at once, like the plain server's max_connections: more are closed on accept.
constexpr int kMaxSessions = 1024;

std::mutex front_ports_mu;
std::set<uint16_t> front_ports;

std::string OpenSslError(std::string_view what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  return "TLS certificate generation: " + std::string(what) + ": " + buf;
}

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key` named `common_name`, signed by issuer/issuer_key (itself when null).
Result<Cert> MakeCert(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                      bool ca) {
  Cert cert(X509_new());
  if (!cert) return Internal(OpenSslError("X509_new"));
  X509_set_version(cert.get(), 2);
  BIGNUM* serial = BN_new();
  BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("partnercloud sandbox"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  bool ok = AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash") &&
            AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (ca) {
    ok = ok && AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
         AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok =
        ok && AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
        AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature") &&
        AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth") &&
        AddExtension(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  }
  if (!ok) return Internal(OpenSslError("certificate extensions"));
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    return Internal(OpenSslError("X509_sign"));
  }
  return cert;
}

Status WritePem(const std::string& path, X509* a, X509* b, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Unavailable("Cannot write " + path);
  if (key) ::chmod(path.c_str(), 0600);
  bool ok = (!a || PEM_write_X509(f, a) == 1) && (!b || PEM_write_X509(f, b) == 1) &&
            (!key || PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  ok = std::fflush(f) == 0 && ok;
  std::fclose(f);
  if (!ok) return Unavailable("Cannot write " + path);
  return {};
}

Status Generate(const std::string& folder) {
  Key ca_key(EVP_EC_gen("P-256"));
  Key server_key(EVP_EC_gen("P-256"));
  if (!ca_key || !server_key) return Internal(OpenSslError("EVP_EC_gen"));
  PC_ASSIGN_OR_RETURN(Cert ca,
                      MakeCert(ca_key.get(), "partnercloud sandbox CA", nullptr, nullptr, true));
  PC_ASSIGN_OR_RETURN(Cert server,
                      MakeCert(server_key.get(), "localhost", ca.get(), ca_key.get(), false));
  PC_RETURN_IF_ERROR(WritePem(folder + "/ca.pem", ca.get(), nullptr, nullptr));
  PC_RETURN_IF_ERROR(WritePem(folder + "/server.pem", server.get(), ca.get(), nullptr));
  PC_RETURN_IF_ERROR(WritePem(folder + "/server-key.pem", nullptr, nullptr, server_key.get()));
  return {};
}

awaitable<void> Pump(auto& from, auto& to) {
  std::array<char, 16384> buf;
  for (;;) {
    auto [rec, n] = co_await from.async_read_some(asio::buffer(buf), kTuple);
    if (rec && n == 0) co_return;
    auto [wec, m] = co_await asio::async_write(to, asio::buffer(buf.data(), n), kTuple);
    if (wec || rec) co_return;
  }
}

}  // namespace

Result<TlsFiles> EnsureTlsFiles(const std::string& dir) {
  namespace fs = std::filesystem;
  std::string folder = dir + "/tls";
  TlsFiles files{folder + "/ca.pem", folder + "/server.pem", folder + "/server-key.pem"};
  std::error_code ec;
  if (fs::exists(files.server_key, ec)) return files;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("Cannot create " + dir + ": " + ec.message());
  std::string tmp = dir + "/.tls-XXXXXX";
  if (!::mkdtemp(tmp.data())) return Unavailable("Cannot create a folder in " + dir);
  Status made = Generate(tmp);
  if (made.ok()) {
    fs::rename(tmp, folder, ec);  // fails when another process got there first: use theirs
  }
  fs::remove_all(tmp, ec);
  if (!made.ok()) return made.error();
  if (!fs::exists(files.server_key, ec)) return Unavailable("Cannot create " + folder);
  return files;
}

bool IsTlsFrontPort(uint16_t port) {
  std::lock_guard lock(front_ports_mu);
  return front_ports.contains(port);
}

struct TlsFront::Impl {
  std::string address;
  uint16_t port;
  TlsFiles files;
  uint16_t backend_port;
  uint16_t bound = 0;
  int open = 0;  // sessions (only touched on the io thread)
  asio::io_context io;
  asio::ssl::context ssl{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::thread thread;

  awaitable<void> Session(tcp::socket socket) {
    asio::ssl::stream<tcp::socket> client(std::move(socket), ssl);
    asio::steady_timer timer(io);
    timer.expires_after(std::chrono::seconds(10));
    auto handshake = co_await (client.async_handshake(asio::ssl::stream_base::server, kTuple) ||
                               timer.async_wait(kTuple));
    if (handshake.index() != 0 || std::get<0>(std::get<0>(handshake))) co_return;
    tcp::socket backend(io);
    auto [cec] = co_await backend.async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), backend_port), kTuple);
    if (cec) co_return;
    co_await (Pump(client, backend) || Pump(backend, client));
    boost::system::error_code ignored;
    backend.close(ignored);
    client.lowest_layer().close(ignored);
  }

  awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;
      }
      if (open >= kMaxSessions) continue;  // the socket closes as it goes out of scope
      ++open;
      asio::co_spawn(io, Session(std::move(socket)), [this](std::exception_ptr) { --open; });
    }
  }
};

TlsFront::TlsFront(std::string address, uint16_t port, TlsFiles files, uint16_t backend_port)
    : impl_(std::make_unique<Impl>()) {
  impl_->address = std::move(address);
  impl_->port = port;
  impl_->files = std::move(files);
  impl_->backend_port = backend_port;
}

TlsFront::~TlsFront() {
  if (impl_->thread.joinable()) {
    impl_->io.stop();
    impl_->thread.join();
  }
  std::lock_guard lock(front_ports_mu);
  front_ports.erase(impl_->bound);
}

Result<uint16_t> TlsFront::Listen() {
  Impl& m = *impl_;
  boost::system::error_code ec;
  m.ssl.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                    asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  m.ssl.use_certificate_chain_file(m.files.server_cert, ec);
  if (!ec) m.ssl.use_private_key_file(m.files.server_key, asio::ssl::context::pem, ec);
  if (ec) {
    return Unavailable("Cannot load the sandbox's TLS certificate from " + m.files.server_cert +
                       ": " + ec.message());
  }
  auto addr = asio::ip::make_address(m.address == "localhost" ? "127.0.0.1" : m.address, ec);
  if (ec) return InvalidArgument("Bad listen address " + m.address);
  tcp::endpoint endpoint(addr, m.port);
  m.acceptor.open(endpoint.protocol(), ec);
  if (!ec) m.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(endpoint, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("Cannot listen for HTTPS on " + m.address + ":" + std::to_string(m.port) +
                       ": " + ec.message());
  }
  m.bound = m.acceptor.local_endpoint().port();
  {
    std::lock_guard lock(front_ports_mu);
    front_ports.insert(m.bound);
  }
  asio::co_spawn(m.io, m.Accept(), asio::detached);
  m.thread = std::thread([&m] {
    try {
      m.io.run();
    } catch (const std::exception& e) {
      spdlog::error("sandbox TLS front stopped: {}", e.what());
    }
  });
  return m.bound;
}

}  // namespace pc::sandbox
