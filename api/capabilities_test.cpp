// Capabilities: wiring by name, checked at startup.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "api/api.h"

namespace pc::api {
namespace {

struct Desk {
  int tickets = 3;
};

TEST(CapabilitiesTest, ProvidedByNameFoundByNameAndType) {
  Capabilities caps;
  Desk desk;
  caps.Provide("support-desk", desk);
  EXPECT_EQ(caps.Find<Desk>("support-desk"), &desk);
  EXPECT_EQ(caps.Find<Desk>("governance"), nullptr);
  EXPECT_THROW(caps.Provide("support-desk", desk), std::logic_error);  // twice
  EXPECT_THROW(caps.Find<int>("support-desk"), std::logic_error);      // another type
}

TEST(CapabilitiesTest, CheckCompleteNamesWhatRoutesLookedUpAndNobodyProvided) {
  Capabilities caps;
  Desk desk;
  caps.Provide("support-desk", desk);
  EXPECT_TRUE(caps.CheckComplete().ok());
  caps.Find<Desk>("support-desk");
  caps.Find<Desk>("budgets");
  Status complete = caps.CheckComplete();
  ASSERT_FALSE(complete.ok());
  EXPECT_THAT(complete.error().message, testing::HasSubstr("budgets"));
  EXPECT_THAT(complete.error().message, testing::Not(testing::HasSubstr("support-desk")));
}

TEST(CapabilitiesTest, TheRouterNamesTheCapabilitiesItsRoutesNeed) {
  auto dir = std::filesystem::temp_directory_path() / "pc-capabilities-test";
  std::filesystem::create_directories(dir);
  auto db = store::Database::Open("sqlite:" + (dir / "db.sqlite").string());
  ASSERT_TRUE(db.ok()) << db.error().message;
  identity::IdentityService identity(**db);
  http::HttpMetrics metrics;
  ApiContext ctx({.db = **db, .identity = identity, .metrics = metrics});
  http::Router router = BuildRouter(ctx);
  Status complete = ctx.capabilities.CheckComplete();
  ASSERT_FALSE(complete.ok());
  for (auto name : {capability::kOnboarding, capability::kClcTokens, capability::kInvoicePoster,
                    capability::kWorkQueued}) {
    EXPECT_THAT(complete.error().message, testing::HasSubstr(std::string(name)));
  }
  Desk late;
  EXPECT_THROW(ctx.capabilities.Provide("late", late), std::logic_error);  // sealed
}

}  // namespace
}  // namespace pc::api
