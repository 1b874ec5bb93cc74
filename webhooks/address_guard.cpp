#include "webhooks/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace pc::webhooks {

namespace {

constexpr Address kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};

Address FromV4(const uint8_t* v4) {
  Address a = kMappedPrefix;
  std::memcpy(a.data() + 12, v4, 4);
  return a;
}

bool IsMapped(const Address& a) {
  return std::equal(a.begin(), a.begin() + 12, kMappedPrefix.begin());
}

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// The IPv4 address an IPv6 address stands for: IPv4-mapped (::ffff:0:0/96), IPv4-compatible
// (::/96, deprecated) and NAT64 (64:ff9b::/96, 64:ff9b:1::/48).
std::optional<Address> EmbeddedV4(const Address& a) {
  if (IsMapped(a)) return a;
  if (AllZero(a.data(), 12) && !AllZero(a.data() + 12, 3)) return FromV4(a.data() + 12);
  const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a.data(), nat64, 12) == 0) return FromV4(a.data() + 12);
  if (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4] == 0 && a[5] == 1) {
    return FromV4(a.data() + 12);
  }
  return std::nullopt;
}

std::optional<std::string> V4Reason(const uint8_t* b) {
  uint8_t a0 = b[0], a1 = b[1], a2 = b[2];
  if (a0 == 0) return "unspecified";
  if (a0 == 127) return "loopback";
  if (a0 == 10 || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168) ||
      (a0 == 100 && (a1 & 0xc0) == 64)) {
    return "private";
  }
  if (a0 == 169 && a1 == 254) return "link-local";
  if ((a0 & 0xf0) == 224) return "multicast";
  if ((a0 & 0xf0) == 240) return "reserved";  // includes 255.255.255.255
  if (a0 == 192 && a1 == 0 && (a2 == 0 || a2 == 2)) return "reserved";
  if (a0 == 198 && (a1 & 0xfe) == 18) return "reserved";
  if ((a0 == 198 && a1 == 51 && a2 == 100) || (a0 == 203 && a1 == 0 && a2 == 113)) {
    return "reserved";
  }
  return std::nullopt;
}

std::optional<std::string> V6Reason(const Address& a) {
  if (AllZero(a.data(), 16)) return "unspecified";
  if (AllZero(a.data(), 15) && a[15] == 1) return "loopback";
  if ((a[0] & 0xfe) == 0xfc) return "private";                     // fc00::/7
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return "private";     // fec0::/10
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
  if (a[0] == 0xff) return "multicast";
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return "reserved";
  // Anything outside global unicast 2000::/3 is not a place a webhook goes.
  if ((a[0] & 0xe0) != 0x20) return "reserved";
  return std::nullopt;
}

}  // namespace

bool Network::Contains(const Address& address) const {
  int full = prefix / 8;
  if (std::memcmp(base.data(), address.data(), full) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (base[full] & mask) == (address[full] & mask);
}

std::optional<Address> ParseAddress(std::string_view text) {
  std::string s(text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return FromV4(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    Address a;
    std::memcpy(a.data(), buf, 16);
    return a;
  }
  return std::nullopt;
}

std::optional<Address> AddressOf(const sockaddr* sa) {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return FromV4(reinterpret_cast<const uint8_t*>(&in->sin_addr));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    Address a;
    std::memcpy(a.data(), &in6->sin6_addr, 16);
    return a;
  }
  return std::nullopt;
}

std::string AddressText(const Address& address) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (IsMapped(address)) {
    inet_ntop(AF_INET, address.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, address.data(), buf, sizeof buf);
  }
  return buf;
}

Result<std::vector<Network>> ParseNetworks(std::string_view list) {
  std::vector<Network> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view entry = list.substr(start, comma - start);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    start = comma + 1;
    if (entry.empty()) continue;
    auto bad = [&] {
      return InvalidArgument("'" + std::string(entry) +
                             "' is not an address or CIDR block (e.g. 10.0.0.0/8 or fd00::/8)");
    };
    size_t slash = entry.find('/');
    auto address = ParseAddress(entry.substr(0, slash));
    if (!address) return bad();
    bool v4 = entry.substr(0, slash).find(':') == std::string_view::npos;
    int prefix = v4 ? 32 : 128;
    if (slash != std::string_view::npos) {
      std::string_view digits = entry.substr(slash + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
          prefix > (v4 ? 32 : 128)) {
        return bad();
      }
    }
    Network n{*address, v4 ? prefix + 96 : prefix};
    out.push_back(n);
    if (list.size() == comma) break;
  }
  return out;
}

bool IsLoopback(const Address& address) {
  if (auto v4 = EmbeddedV4(address)) return (*v4)[12] == 127;
  return AllZero(address.data(), 15) && address[15] == 1;
}

std::optional<std::string> RefusalReason(const Address& address,
                                         const std::vector<Network>& allowed) {
  for (const auto& n : allowed) {
    if (n.Contains(address)) return std::nullopt;
  }
  if (auto v4 = EmbeddedV4(address)) {
    // An allowlisted IPv4 block also covers the address written as IPv6.
    for (const auto& n : allowed) {
      if (n.Contains(*v4)) return std::nullopt;
    }
    return V4Reason(v4->data() + 12);
  }
  return V6Reason(address);
}

}  // namespace pc::webhooks
