// HTTPS for the sandbox: a certificate authority and a server certificate (for 127.0.0.1 and
// localhost) generated with OpenSSL on first start and kept in a folder, and a TLS front that
// terminates TLS on its own port and passes each connection, byte for byte, to the sandbox's
// plain HTTP port on loopback: at most 1024 connections at once, a TLS handshake must finish
// within 10 s, and the plain server's own timeouts and limits apply after it. Clients trust the
// sandbox by trusting the CA file (NODE_EXTRA_CA_CERTS, curl --cacert, the service's
// tls.ca_file).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"

namespace pc::sandbox {

struct TlsFiles {
  std::string ca_cert;      // DIR/tls/ca.pem: what clients trust
  std::string server_cert;  // DIR/tls/server.pem: the server certificate, then the CA's
  std::string server_key;   // DIR/tls/server-key.pem (mode 0600)
};

// The certificate files in DIR/tls, generated there first when they are missing (an ECDSA
// P-256 CA and a server certificate signed by it for DNS:localhost, IP:127.0.0.1 and IP:::1,
// both valid 10 years; the CA's key is discarded once it has signed). Safe against several
// processes starting at once on the same folder: the files are written in a temporary folder
// that is renamed into place whole. Errors: a folder that cannot be created or written, an
// OpenSSL failure.
Result<TlsFiles> EnsureTlsFiles(const std::string& dir);

// True when `port` is the port of a TLS front running in this process (the sandbox uses it to
// write https:// in the absolute URLs it returns to clients that came through it).
bool IsTlsFrontPort(uint16_t port);

class TlsFront {
 public:
  // Serves TLS on address:port (0: a free one) with `files`, forwarding to
  // 127.0.0.1:backend_port. Nothing runs until Listen().
  TlsFront(std::string address, uint16_t port, TlsFiles files, uint16_t backend_port);
  ~TlsFront();
  // Binds and starts serving on a background thread. Returns the bound port.
  Result<uint16_t> Listen();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pc::sandbox
