// The OpenAPI document and the router describe the same routes: every route is documented and
// every documented operation exists.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "api/api.h"
#include "core/error_codes.h"
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
  ApiContext ctx({.db = **db, .identity = identity, .metrics = metrics});
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

// Every $ref resolves in the document.
void CheckRefs(const json::value& v, const json::value& doc, const std::string& where) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      if (k == "$ref") {
        std::string ref(child.as_string());
        ASSERT_TRUE(ref.starts_with("#/")) << where << ": " << ref;
        const json::value* at = &doc;
        std::string rest = ref.substr(2);
        while (!rest.empty()) {
          auto slash = rest.find('/');
          std::string part = rest.substr(0, slash);
          ASSERT_TRUE(at->is_object() && at->as_object().contains(part))
              << where << ": dangling " << ref;
          at = &at->as_object().at(part);
          rest = slash == std::string::npos ? "" : rest.substr(slash + 1);
        }
      } else {
        CheckRefs(child, doc, where + "/" + std::string(k));
      }
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) CheckRefs(child, doc, where);
  }
}

// A schema that says what is in it: a $ref, properties, items, allOf or a scalar type.
bool Described(const json::object& schema) {
  if (schema.contains("$ref") || schema.contains("allOf") || schema.contains("oneOf")) return true;
  if (schema.contains("properties")) {
    for (const auto& [name, prop] : schema.at("properties").as_object()) {
      if (prop.as_object().contains("items") &&
          !Described(prop.as_object().at("items").as_object())) {
        return false;
      }
    }
    return true;
  }
  if (schema.contains("items")) return Described(schema.at("items").as_object());
  auto type = schema.find("type");
  return type != schema.end() && type->value().as_string() != "object";
}

// The web UI's types are generated from this document, so every JSON body a route sends or
// receives is described (not a bare object), and every $ref resolves.
TEST(OpenApiTest, BodiesAreDescribed) {
  auto doc = ParseJson(OpenApiDocument());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  CheckRefs(*doc, *doc, "#");
  for (const auto& [path, item] : doc->at("paths").as_object()) {
    for (const auto& [method, op_value] : item.as_object()) {
      if (method == "parameters") continue;
      std::string where = std::string(method) + " " + std::string(path);
      const auto& op = op_value.as_object();
      if (method == "post" || method == "patch" || method == "put") {
        bool no_body = path == "/api/v1/providers/{id}/resume";
        if (!no_body) {
          ASSERT_TRUE(op.contains("requestBody")) << where << ": request body undescribed";
          for (const auto& [type, media] : op.at("requestBody").at("content").as_object()) {
            EXPECT_TRUE(Described(media.at("schema").as_object())) << where << " request " << type;
          }
        }
      }
      for (const auto& [status, response] : op.at("responses").as_object()) {
        const auto& r = response.as_object();
        if (r.contains("$ref")) continue;
        bool success = status.size() == 3 && status[0] == '2' && status != "204";
        if (!success) continue;
        EXPECT_TRUE(r.contains("content")) << where << " " << status << ": body undescribed";
        if (!r.contains("content")) continue;
        for (const auto& [type, media] : r.at("content").as_object()) {
          if (path == "/api/v1/openapi.json") continue;  // the document itself
          EXPECT_TRUE(Described(media.at("schema").as_object()))
              << where << " " << status << " " << type << ": schema says nothing";
        }
      }
    }
  }
}

// Every code the API can answer (core/error_codes.h) is in the Error schema's enum, and the
// enum lists nothing else.
TEST(OpenApiTest, ErrorCodesAreDocumented) {
  auto doc = ParseJson(OpenApiDocument());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  const auto& code = doc->at("components")
                         .at("schemas")
                         .at("Error")
                         .at("properties")
                         .at("error")
                         .at("properties")
                         .at("code")
                         .as_object();
  ASSERT_TRUE(code.contains("enum"));
  std::set<std::string> documented;
  for (const auto& v : code.at("enum").as_array()) documented.insert(std::string(v.as_string()));
  std::set<std::string> answered;
  for (auto c : codes::AllErrorCodes()) answered.insert(std::string(c));
  EXPECT_EQ(documented, answered);
}

}  // namespace
}  // namespace pc::api
