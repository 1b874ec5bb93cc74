#include "core/text.h"

#include <gtest/gtest.h>

namespace pc {
namespace {

TEST(TextTest, Utf8LengthCountsCodePointsAndRejectsInvalidUtf8) {
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("Zoë Ünal 株式会社 🙂"), 15u);
  EXPECT_EQ(Utf8Length("\xC0\xAF"), std::string_view::npos);          // overlong '/'
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), std::string_view::npos);      // surrogate
  EXPECT_EQ(Utf8Length("\xF4\x90\x80\x80"), std::string_view::npos);  // above U+10FFFF
  EXPECT_EQ(Utf8Length("ab\xE2\x82"), std::string_view::npos);        // truncated
}

TEST(TextTest, LineTextRefusesControlAndBidiCharacters) {
  EXPECT_TRUE(CheckLineText("name", "Acme Corp — Zoë (株式会社)", 200).ok());
  for (std::string bad : {std::string("a\0b", 3), std::string("a\nb"), std::string("a\rb"),
                          std::string("a\tb"), std::string("a\x7f"), std::string("a\xC2\x85"),
                          std::string("evil\xE2\x80\xAEtxt.exe"), std::string("\xE2\x81\xA6x"),
                          std::string("\xE2\x80\x8F")}) {
    auto st = CheckLineText("name", bad, 200);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.error().message.find("Field 'name'"), std::string::npos);
  }
  auto bidi = CheckLineText("name", "invoice\xE2\x80\xAEtxt.exe", 200);
  ASSERT_FALSE(bidi.ok());
  EXPECT_NE(bidi.error().message.find("U+202E at character 8"), std::string::npos)
      << bidi.error().message;
}

TEST(TextTest, LengthIsCountedInCharactersNotBytes) {
  std::string ten_umlauts;
  for (int i = 0; i < 10; ++i) ten_umlauts += "ü";  // 20 bytes
  EXPECT_TRUE(CheckLineText("name", ten_umlauts, 10).ok());
  auto st = CheckLineText("name", ten_umlauts + "x", 10);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("at most 10 characters"), std::string::npos);
}

TEST(TextTest, MultilineTextAllowsLineBreaksButNotOtherControls) {
  EXPECT_TRUE(CheckMultilineText("description", "line one\r\nline two\tend", 100).ok());
  EXPECT_FALSE(CheckMultilineText("description", std::string("a\0b", 3), 100).ok());
  EXPECT_FALSE(CheckMultilineText("description", "a\x1b[31mred", 100).ok());
}

}  // namespace
}  // namespace pc
