// Configuration: defaults, then a TOML file (--config), then PARTNERCLOUD_* environment
// variables, then command-line flags; each later source overrides the earlier ones.
// Every key has the form "section.name" in TOML ([section] name = ...), the environment
// variable PARTNERCLOUD_SECTION_NAME, and the flag --set section.name=VALUE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace pc::cli {

struct Config {
  std::string database = "sqlite:data/partnercloud.db";  // database.url
  std::string address = "127.0.0.1";                     // server.address
  int64_t port = 8080;                                   // server.port
  int64_t threads = 8;                                   // server.threads
  int64_t body_limit = 1024 * 1024;                      // server.body_limit (bytes)
  int64_t header_timeout = 10;                           // server.header_timeout (s)
  int64_t read_timeout = 60;                             // server.read_timeout (s)
  int64_t idle_timeout = 30;                             // server.idle_timeout (s)
  std::string log_level = "info";                        // log.level
  int64_t session_ttl = 12 * 3600;                       // security.session_ttl (s)
  bool secure_cookies = false;                           // security.secure_cookies
  int64_t login_max_failures_per_account = 5;            // security.login_max_failures_per_account
  int64_t login_max_failures_per_address = 20;           // security.login_max_failures_per_address
  int64_t login_failure_window = 900;                    // security.login_failure_window (s)
  int64_t login_base_lockout = 30;                       // security.login_base_lockout (s)
};

// The documented keys, for the README and for error messages.
std::vector<std::string> ConfigKeys();

// Reads a TOML file into `config`. Unknown keys and wrong types are errors naming the key.
Status LoadConfigFile(const std::string& path, Config& config);
// Applies PARTNERCLOUD_* variables from the environment.
Status ApplyEnvironment(Config& config);
// Applies one "key=value" override (from --set or a dedicated flag).
Status ApplyOverride(std::string_view assignment, Config& config);
// Checks ranges (port, threads, limits); errors name the key.
Status Validate(const Config& config);

}  // namespace pc::cli
