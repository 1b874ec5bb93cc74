// The OpenAPI document and the router describe the same routes: every route is documented and
// every documented operation exists.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "api/api.h"
#include "core/json.h"

namespace pc::api {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(c));
  return s;
}

TEST(OpenApiTest, DocumentMatchesRouter) {
  auto dir = std::filesystem::temp_directory_path() / "pc-openapi-test";
  std::filesystem::create_directories(dir);
  auto db = store::Database::Open("sqlite:" + (dir / "db.sqlite").string());
  ASSERT_TRUE(db.ok()) << db.error().message;
  identity::IdentityService identity(**db);
  http::HttpMetrics metrics;
  ApiContext ctx{**db, identity, metrics, {}, nullptr, nullptr, nullptr, nullptr};
  http::Router router = BuildRouter(ctx);

  std::set<std::string> routed;
  for (const auto& r : router.routes()) {
    routed.insert(Lower(std::string(boost::beast::http::to_string(r.method))) + " " + r.pattern);
  }
  auto doc = ParseJson(OpenApiDocument());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(std::string(doc->at("openapi").as_string()).substr(0, 2), "3.");
  std::set<std::string> documented;
  for (const auto& [path, item] : doc->at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      if (method == "parameters") continue;
      documented.insert(std::string(method) + " " + std::string(path));
      EXPECT_TRUE(op.as_object().contains("responses")) << method << " " << path;
      EXPECT_TRUE(op.as_object().contains("summary")) << method << " " << path;
    }
  }
  for (const auto& r : routed) EXPECT_TRUE(documented.count(r)) << "undocumented route: " << r;
  for (const auto& d : documented) EXPECT_TRUE(routed.count(d)) << "documented, not routed: " << d;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pc::api
