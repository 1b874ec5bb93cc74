// Which addresses a webhook may be delivered to (no server-side request forgery).
#include "webhooks/address_guard.h"

#include <gtest/gtest.h>

#include "webhooks/sender.h"

namespace pc::webhooks {
namespace {

std::string Reason(const std::string& address, const std::string& allowed = "") {
  auto a = ParseAddress(address);
  EXPECT_TRUE(a.has_value()) << address;
  if (!a) return "unparsed";
  auto networks = ParseNetworks(allowed);
  EXPECT_TRUE(networks.ok());
  return RefusalReason(*a, *networks).value_or("allowed");
}

TEST(AddressGuardTest, RefusesNonPublicAddressesOfBothFamilies) {
  EXPECT_EQ(Reason("127.0.0.1"), "loopback");
  EXPECT_EQ(Reason("127.8.9.10"), "loopback");
  EXPECT_EQ(Reason("10.0.0.1"), "private");
  EXPECT_EQ(Reason("172.16.0.1"), "private");
  EXPECT_EQ(Reason("172.31.255.255"), "private");
  EXPECT_EQ(Reason("192.168.1.1"), "private");
  EXPECT_EQ(Reason("100.64.0.1"), "private");
  EXPECT_EQ(Reason("169.254.169.254"), "link-local");  // cloud metadata
  EXPECT_EQ(Reason("224.0.0.1"), "multicast");
  EXPECT_EQ(Reason("0.0.0.0"), "unspecified");
  EXPECT_EQ(Reason("255.255.255.255"), "reserved");
  EXPECT_EQ(Reason("::1"), "loopback");
  EXPECT_EQ(Reason("::"), "unspecified");
  EXPECT_EQ(Reason("fd00::1"), "private");
  EXPECT_EQ(Reason("fe80::1"), "link-local");
  EXPECT_EQ(Reason("ff02::1"), "multicast");
  // IPv4 inside IPv6 is judged by the IPv4 address.
  EXPECT_EQ(Reason("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(Reason("::ffff:10.0.0.1"), "private");
  EXPECT_EQ(Reason("::ffff:169.254.169.254"), "link-local");
  EXPECT_EQ(Reason("64:ff9b::a00:1"), "private");
  // Public addresses pass.
  EXPECT_EQ(Reason("8.8.8.8"), "allowed");
  EXPECT_EQ(Reason("172.32.0.1"), "allowed");
  EXPECT_EQ(Reason("::ffff:8.8.8.8"), "allowed");
  EXPECT_EQ(Reason("2606:4700:4700::1111"), "allowed");
}

TEST(AddressGuardTest, AnAllowlistOpensExactlyItsBlocks) {
  EXPECT_EQ(Reason("10.1.2.3", "10.1.0.0/16"), "allowed");
  EXPECT_EQ(Reason("::ffff:10.1.2.3", "10.1.0.0/16"), "allowed");
  EXPECT_EQ(Reason("10.2.0.1", "10.1.0.0/16"), "private");
  EXPECT_EQ(Reason("127.0.0.1", "127.0.0.1"), "allowed");
  EXPECT_EQ(Reason("127.0.0.2", "127.0.0.1"), "loopback");
  EXPECT_EQ(Reason("fd12:3456::9", "fd12::/16, 10.0.0.0/8"), "allowed");
  EXPECT_FALSE(ParseNetworks("10.0.0.0/33").ok());
  EXPECT_FALSE(ParseNetworks("example.com").ok());
  EXPECT_FALSE(ParseNetworks("10.0.0.0/x").ok());
  EXPECT_TRUE(ParseNetworks("").ok());
}

TEST(AddressGuardTest, EndpointUrlsAreHttpsToPublicHostsUnlessConfigured) {
  TargetPolicy strict;
  EXPECT_TRUE(CheckTargetUrl("https://hooks.example.com/in", strict).ok());
  EXPECT_TRUE(CheckTargetUrl("https://8.8.8.8/in", strict).ok());
  EXPECT_FALSE(CheckTargetUrl("http://hooks.example.com/in", strict).ok());
  EXPECT_FALSE(CheckTargetUrl("https://127.0.0.1/in", strict).ok());
  EXPECT_FALSE(CheckTargetUrl("https://10.0.0.1/in", strict).ok());
  EXPECT_FALSE(CheckTargetUrl("https://[::1]/in", strict).ok());
  EXPECT_FALSE(CheckTargetUrl("https://localhost/in", strict).ok());
  EXPECT_FALSE(CheckTargetUrl("https://user:pw@hooks.example.com/in", strict).ok());
  EXPECT_FALSE(CheckTargetUrl("ftp://hooks.example.com/in", strict).ok());
  EXPECT_FALSE(CheckTargetUrl("hooks.example.com/in", strict).ok());
  TargetPolicy demo;
  demo.allow_http_loopback = true;
  EXPECT_TRUE(CheckTargetUrl("http://127.0.0.1:9000/in", demo).ok());
  EXPECT_TRUE(CheckTargetUrl("http://localhost:9000/in", demo).ok());
  EXPECT_FALSE(CheckTargetUrl("http://hooks.example.com/in", demo).ok());
  EXPECT_FALSE(CheckTargetUrl("http://10.0.0.1/in", demo).ok());
}

TEST(AddressGuardTest, ADeliveryToARefusedAddressNeverConnects) {
  TargetPolicy strict;
  strict.timeout = std::chrono::milliseconds(3000);
  Attempt a = Post("https://127.0.0.1:1/in", {}, "{}", strict);
  EXPECT_EQ(a.status, 0);
  EXPECT_NE(a.error.find("127.0.0.1 refused (loopback)"), std::string::npos) << a.error;
  // A name is checked where it resolves: localhost is loopback.
  a = Post("https://localhost:1/in", {}, "{}", strict);
  EXPECT_NE(a.error.find("refused (loopback)"), std::string::npos) << a.error;
  a = Post("http://8.8.8.8/in", {}, "{}", strict);
  EXPECT_NE(a.error.find("http is not allowed"), std::string::npos) << a.error;
}

}  // namespace
}  // namespace pc::webhooks
