// Which network addresses a webhook may be delivered to (no server-side request forgery into
// the partner's own network): public unicast addresses only, unless an allowlist says so.
// Refused by default, IPv4 and IPv6 alike (an IPv4-mapped, IPv4-compatible or NAT64 IPv6
// address is judged by the IPv4 address inside it): unspecified (0.0.0.0/8, ::), loopback
// (127.0.0.0/8, ::1), private (10/8, 172.16/12, 192.168/16, 100.64/10 shared, fc00::/7 unique
// local, fec0::/10 site-local), link-local (169.254/16, fe80::/10), multicast (224/4, ff00::/8),
// and the reserved, benchmark and documentation ranges (240/4, 255.255.255.255, 192.0.0/24,
// 192.0.2/24, 198.18/15, 198.51.100/24, 203.0.113/24, 2001:db8::/32).
// The check is made on the address the connection is actually opened to (webhooks/sender.h),
// after name resolution, so a name that resolves differently later cannot get around it.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pc::webhooks {

// An IPv4 or IPv6 address as 16 bytes (IPv4 as ::ffff:a.b.c.d).
using Address = std::array<uint8_t, 16>;

// A CIDR block, e.g. 10.1.0.0/16 or fd00::/8 (IPv4 blocks are kept as ::ffff:0:0/96 + prefix).
struct Network {
  Address base{};
  int prefix = 128;
  bool Contains(const Address& address) const;
};

// Parses a comma-separated list of CIDR blocks ("10.0.0.0/8, ::1/128"; a bare address is a
// single host). Errors: InvalidArgument naming the bad entry.
Result<std::vector<Network>> ParseNetworks(std::string_view list);
// The address of `sa` (AF_INET or AF_INET6), or nullopt for another family.
std::optional<Address> AddressOf(const sockaddr* sa);
// Parses "1.2.3.4" or "::1" (no brackets, no zone).
std::optional<Address> ParseAddress(std::string_view text);
// "1.2.3.4" for IPv4 (and IPv4-mapped), else the IPv6 text.
std::string AddressText(const Address& address);

// Why `address` is refused ("loopback", "private", "link-local", "multicast", "unspecified",
// "reserved"), or nullopt when it is public unicast or inside one of `allowed`.
std::optional<std::string> RefusalReason(const Address& address,
                                         const std::vector<Network>& allowed);
// True for 127.0.0.0/8, ::1 and their mapped forms.
bool IsLoopback(const Address& address);

}  // namespace pc::webhooks
