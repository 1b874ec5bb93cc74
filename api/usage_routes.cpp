// Usage import: the file is the request body.
#include <unistd.h>

#include <cstring>

#include "api/respond.h"
#include "api/routes.h"
#include "billing/kept_aside.h"
#include "billing/listings.h"
#include "billing/usage_import.h"
#include "budgets/evaluation.h"

namespace pc::api {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The container the Content-Type declares; an unsupported type is a 415-like 400.
Result<billing::ReaderOptions::Container> ContainerOf(const http::Request& request) {
  std::string type = Lower(request[boost::beast::http::field::content_type]);
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (type == "text/csv") return billing::ReaderOptions::Container::kCsv;
  if (type == "application/x-ndjson" || type == "application/jsonl" ||
      type == "application/x-jsonlines") {
    return billing::ReaderOptions::Container::kJsonLines;
  }
  return InvalidArgument(
      "Send the usage file with Content-Type text/csv (Partner Center or "
      "FOCUS CSV) or application/x-ndjson (Graph billing export JSON lines), "
      "optionally with Content-Encoding: gzip; got '" +
      type + "'");
}

}  // namespace

void AddUsageRoutes(http::Router& router, ApiContext& ctx) {
  router.Add(
      http::Verb::post, "/api/v1/usage/imports",
      [&ctx](http::RequestContext& req) {
        auto who = Authenticate(req, ctx);
        if (!who.ok()) return ErrorReply(who.error());
        // Who may import is ImportUsage's decision (the body policy below refuses others before
        // their body is written to disk).
        auto container = ContainerOf(req.request);
        if (!container.ok()) return ErrorReply(container.error());
        // The body is in a temporary file when the server spooled it (large bodies), else in
        // memory.
        const std::string& body = req.request.body();
        const http::SpooledBody* spooled = req.spooled.get();
        unsigned char magic[2] = {0, 0};
        if (spooled != nullptr) {
          if (spooled->size >= 2 && ::pread(spooled->fd, magic, 2, 0) != 2) magic[0] = 0;
        } else if (body.size() >= 2) {
          std::memcpy(magic, body.data(), 2);
        }
        std::string encoding = Lower(req.request[boost::beast::http::field::content_encoding]);
        bool gzip_body = magic[0] == 0x1f && magic[1] == 0x8b;
        if (encoding == "gzip" && !gzip_body) {
          return ErrorReply(
              InvalidArgument("Content-Encoding is gzip but the body is not gzip data"));
        }
        if (!encoding.empty() && encoding != "gzip" && encoding != "identity") {
          return ErrorReply(InvalidArgument("Unsupported Content-Encoding '" + encoding +
                                            "': send the file plain or gzip"));
        }
        billing::ImportOptions options;
        auto name = req.query.find("name");
        options.file_name =
            name != req.query.end() && !name->second.empty() ? name->second : "request body";
        options.container = *container;
        options.strict = req.query.count("strict") && req.query.at("strict") == "true";
        if (auto mode = req.query.find("mode"); mode != req.query.end()) {
          auto parsed = billing::ParseImportMode(mode->second);
          if (!parsed.ok()) return ErrorReply(parsed.error());
          options.mode = *parsed;
        }
        if (auto source = req.query.find("source"); source != req.query.end()) {
          if (source->second.size() > 64) {
            return ErrorReply(InvalidArgument("source: at most 64 characters"));
          }
          options.source = source->second;
        }
        options.max_reported_rejections = 100;
        options.max_expanded_bytes = ctx.options.import_max_expanded_bytes;
        options.max_expansion_ratio = ctx.options.import_max_expansion_ratio;
        options.after_import = budgets::EvaluateAfterImport;  // alerts within the import
        auto report = billing::ImportUsage(
            ctx.db, *who,
            [&]() -> Result<std::unique_ptr<billing::ByteSource>> {
              if (spooled != nullptr)
                return billing::DescriptorSource(spooled->fd, options.file_name);
              return billing::MemorySource(body);
            },
            options);
        if (!report.ok()) return ErrorReply(report.error());
        return http::JsonResponse(
            report->already_imported ? http::Status::ok : http::Status::created,
            billing::ToJson(*report));
      },
      // A usage file may be large: it goes to a temporary file, and only after the headers show an
      // operator sent it, so nobody else can make the server write to disk.
      http::BodyPolicy{
          .limit = ctx.options.import_body_limit,
          .spool = true,
          .admit = [&ctx](const http::RequestHeader& header, std::string_view client_addr,
                          std::any& admitted) -> std::optional<http::Response> {
            auto who = AuthenticateHeader(header, client_addr, ctx);
            if (!who.ok()) return ErrorReply(who.error());
            if (who->user.role != identity::Role::kOperator) {
              return ErrorReply(PermissionDenied("Only operators may import usage"));
            }
            admitted = *std::move(who);
            return std::nullopt;
          }});
  router.Add(http::Verb::get, "/api/v1/usage/imports",
             Authed(ctx, [&ctx](http::RequestContext& req, const identity::Principal& who) {
               auto limit = LimitParam(req, 100);
               if (!limit.ok()) return ErrorReply(limit.error());
               auto imports = billing::ListUsageImports(ctx.db, who, *limit);
               if (!imports.ok()) return ErrorReply(imports.error());
               json::array items;
               for (const auto& i : *imports) items.push_back(billing::ToJson(i));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));
  router.Add(http::Verb::get, "/api/v1/usage/kept-aside",
             Authed(ctx, [&ctx](http::RequestContext&, const identity::Principal& who) {
               auto kept = billing::ListKeptAsideUsage(ctx.db, who);
               if (!kept.ok()) return ErrorReply(kept.error());
               json::array items;
               for (const auto& k : *kept) items.push_back(billing::ToJson(k));
               return http::JsonResponse(http::Status::ok, json::object{{"items", items}});
             }));
  // An operator maps a kept-aside Azure subscription to a billing alias: its usage is billed
  // from then on, each line once (billing/kept_aside.h).
  router.Add(http::Verb::post, "/api/v1/usage/kept-aside/mappings",
             Authed(ctx, [&ctx](http::RequestContext& req, const identity::Principal& who) {
               auto body = JsonBody(req);
               if (!body.ok()) return ErrorReply(body.error());
               auto mapping = billing::SubscriptionMappingFromJson(*body);
               if (!mapping.ok()) return ErrorReply(mapping.error());
               auto attributed = billing::MapSubscription(ctx.db, who, *mapping);
               if (!attributed.ok()) return ErrorReply(attributed.error());
               json::array items;
               for (const auto& a : *attributed) items.push_back(billing::ToJson(a));
               return http::JsonResponse(
                   http::Status::ok,
                   json::object{{"azureSubscriptionId", mapping->azure_subscription_id},
                                {"billingAlias", mapping->billing_alias},
                                {"customerId", mapping->customer_id},
                                {"attributed", std::move(items)}});
             }));
}

}  // namespace pc::api
