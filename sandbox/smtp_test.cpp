#include "sandbox/smtp.h"

#include <gtest/gtest.h>

namespace pc::sandbox {
namespace {

TEST(SmtpParseMessageTest, UnstuffsDotsUnfoldsSubjectAndKeepsTheBody) {
  auto m = ParseMessage(
      "From: <a@b.example>\r\nSubject: Provider ready:\r\n Microsoft.Compute\r\n"
      "To: <c@d.example>\r\n\r\nline one\r\n..hidden dot\r\n.\r\nlast\r\n");
  EXPECT_EQ(m.subject, "Provider ready: Microsoft.Compute");
  EXPECT_EQ(m.body, "line one\n.hidden dot\n\nlast\n");
}

TEST(SmtpParseMessageTest, NoHeadersOrNoBody) {
  EXPECT_EQ(ParseMessage("\r\nonly body\r\n").body, "only body\n");
  auto headers_only = ParseMessage("Subject: hi\r\n");
  EXPECT_EQ(headers_only.subject, "hi");
  EXPECT_EQ(headers_only.body, "");
  EXPECT_EQ(ParseMessage("").subject, "");
}

}  // namespace
}  // namespace pc::sandbox
