#include "core/json.h"

#include <gtest/gtest.h>

namespace pc {
namespace {

TEST(RawArrayElementsTest, KeepsEveryDigitAndPutsEachElementOnOneLine) {
  std::string text = R"({ "continuationToken": "a,\"b]", "nested": {"items": [9]},
    "items": [
      {"unitPrice": 0.12345678901234567890123, "quantity": 1E-3,
       "tags": "{\"k\": \"x\\n]\"}"},
      {"unitPrice": -0.0000000000000000000001}
    ], "totalCount": 2 })";
  ASSERT_TRUE(ParseJson(text).ok());
  auto items = RawArrayElements(text, "items");
  ASSERT_TRUE(items.ok()) << items.error().message;
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0], R"({"unitPrice": 0.12345678901234567890123, "quantity": 1E-3,        )"
                         R"("tags": "{\"k\": \"x\\n]\"}"})");
  EXPECT_EQ((*items)[1], R"({"unitPrice": -0.0000000000000000000001})");
  // Each element is still the same JSON.
  for (const auto& item : *items) EXPECT_TRUE(ParseJson(item).ok()) << item;
}

TEST(RawArrayElementsTest, AbsentEmptyAndWrongTypes) {
  EXPECT_TRUE(RawArrayElements(R"({"value": [1]})", "items")->empty());
  EXPECT_TRUE(RawArrayElements(R"({"items": []})", "items")->empty());
  EXPECT_TRUE(RawArrayElements(R"({})", "items")->empty());
  EXPECT_FALSE(RawArrayElements(R"({"items": {"a": 1}})", "items").ok());
  EXPECT_FALSE(RawArrayElements(R"([1, 2])", "items").ok());
  EXPECT_FALSE(RawArrayElements(R"({"items": [1, )", "items").ok());
}

}  // namespace
}  // namespace pc
