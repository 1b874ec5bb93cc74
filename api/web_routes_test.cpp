// The web app's files through the router fallback: deep links, hashed assets, the API's 404,
// path safety and the page security headers.
#include "api/web_routes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace pc::api {
namespace {

namespace fs = std::filesystem;

class WebRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("pc-web-routes-" + std::to_string(::getpid()));
    root_ = base_ / "dist";
    fs::create_directories(root_ / "assets");
    std::ofstream(root_ / "index.html") << "<!doctype html><div id=\"root\"></div>";
    std::ofstream(root_ / "assets" / "index-AbC123.js") << "console.log(1)";
    std::ofstream(root_ / "favicon.svg") << "<svg/>";
    std::ofstream(base_ / "secret.txt") << "secret";
    router_.Add(http::Verb::get, "/api/v1/me", [](http::RequestContext&) {
      return http::TextResponse(http::Status::ok, "{}", "application/json");
    });
    router_.SetFallback(WebAppHandler(root_));
  }
  void TearDown() override { fs::remove_all(base_); }

  http::Response Get(const std::string& path, http::Verb verb = http::Verb::get) {
    http::Request req{verb, path, 11};
    http::RequestContext ctx{req, "127.0.0.1", path, {}, {}, "", "test", nullptr};
    ctx.path = path;
    return router_.Dispatch(ctx);
  }

  fs::path base_, root_;
  http::Router router_;
};

TEST_F(WebRoutesTest, DeepLinksGetIndexWithSecurityHeaders) {
  for (const char* path : {"/", "/providers/123", "/billing/ACME"}) {
    auto res = Get(path);
    EXPECT_EQ(res.result(), http::Status::ok) << path;
    EXPECT_NE(res.body().find("id=\"root\""), std::string::npos) << path;
    EXPECT_EQ(res[http::beast_http::field::cache_control], "no-cache") << path;
    std::string csp(res["Content-Security-Policy"]);
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
    EXPECT_FALSE(res["Referrer-Policy"].empty());
  }
}

TEST_F(WebRoutesTest, HashedAssetsAreImmutable) {
  auto res = Get("/assets/index-AbC123.js");
  EXPECT_EQ(res.result(), http::Status::ok);
  EXPECT_EQ(res.body(), "console.log(1)");
  EXPECT_EQ(res[http::beast_http::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_NE(std::string(res[http::beast_http::field::content_type]).find("javascript"),
            std::string::npos);
  EXPECT_EQ(Get("/assets/missing.js").result(), http::Status::not_found);
  EXPECT_EQ(Get("/favicon.svg").body(), "<svg/>");
}

TEST_F(WebRoutesTest, NothingOutsideTheFolder) {
  for (const char* path :
       {"/assets/../../secret.txt", "/../secret.txt", "/assets/.hidden", "/assets/a/b.js"}) {
    auto res = Get(path);
    EXPECT_EQ(res.body().find("secret"), std::string::npos) << path;
  }
}

TEST_F(WebRoutesTest, ApiPathsKeepTheJsonErrors) {
  auto res = Get("/api/v1/no-such-thing");
  EXPECT_EQ(res.result(), http::Status::not_found);
  EXPECT_NE(res.body().find("\"NotFound\""), std::string::npos);
  EXPECT_EQ(Get("/api/v1/me").result(), http::Status::ok);
  EXPECT_EQ(Get("/api/v1/me", http::Verb::post).result(), http::Status::method_not_allowed);
  EXPECT_EQ(Get("/providers", http::Verb::post).result(), http::Status::not_found);
}

TEST(WebRoutesNotBuiltTest, RootSaysHowToBuild) {
  http::Router router;
  router.SetFallback(WebAppHandler(""));
  http::Request req{http::Verb::get, "/", 11};
  http::RequestContext ctx{req, "127.0.0.1", "/", {}, {}, "", "test", nullptr};
  ctx.path = "/";
  auto res = router.Dispatch(ctx);
  EXPECT_EQ(res.result(), http::Status::ok);
  EXPECT_NE(res.body().find("not built"), std::string::npos);
}

}  // namespace
}  // namespace pc::api
