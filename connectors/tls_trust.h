// Which certificate authorities the upstream connectors trust (tls.ca_file): one setting for
// the whole process, read by every HttpClient on each request. HttpClient always verifies the
// server's certificate and host name; this only chooses the CA store.
#pragma once

#include <string>

namespace pc::connectors {

// A PEM file of the CA certificates to verify upstream servers with instead of the system's
// store, e.g. the sandbox's DATA/tls/ca.pem; "" (the default) = the system's store.
// Thread-safe; set it at start, before the first request.
void SetUpstreamCaFile(std::string path);
std::string UpstreamCaFile();

}  // namespace pc::connectors
