// The asynchronous Graph billing export of daily rated usage (partner-center-api.md §7a):
// POST .../usage/{unbilled|billed}/export → 202 + Location; GET .../operations/{id} (running on
// the first poll, then succeeded or failed); GET .../manifests/{id}; the manifest's blobs,
// gzipped JSON Lines, served by the sandbox itself under /blob with a SAS-like query.
#include <zlib.h>

#include <boost/algorithm/string/predicate.hpp>
#include <charconv>

#include "core/random.h"
#include "core/uuid.h"
#include "sandbox/services.h"

namespace pc::sandbox {

namespace {

constexpr std::string_view kBilling = "/graph/v1.0/reports/partners/billing";
constexpr size_t kRowsPerBlob = 5000;
constexpr std::chrono::hours kSasLifetime{1};

std::string Gzip(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper; the header's mtime stays 0, so output is deterministic.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib deflateInit2 failed");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib deflate failed");
  return out;
}

std::string Container(const UsageExport& e) {
  return e.invoice_id.empty() ? "unbilledusagefastpath" : "billedusagefastpath";
}

// The blob directory's path under the sandbox: /blob/{container}/v1/PartnerTenantId=.../
// BillingMonth=YYYYMM/{InvoiceId=...|Currency=USD}/ExportId={operation}.
std::string RootPath(const UsageExport& e) {
  char month[8];
  std::snprintf(month, sizeof month, "%04d%02d", e.month.year(), e.month.month());
  return "/blob/" + Container(e) + "/v1/PartnerTenantId=" + std::string(kPartnerTenantId) +
         "/BillingMonth=" + month + "/" +
         (e.invoice_id.empty() ? std::string("Currency=USD") : "InvoiceId=" + e.invoice_id) +
         "/ExportId=" + e.operation_id;
}

std::string BlobName(const UsageExport& e, size_t index) {
  char part[16];
  std::snprintf(part, sizeof part, "part-%05zu-", index);
  return part + e.manifest_id + ".c000.json.gz";
}

size_t BlobCount(const UsageExport& e) {
  return std::max<size_t>(1, (e.rows + kRowsPerBlob - 1) / kRowsPerBlob);
}

Timestamp SasExpiry(const UsageExport& e) { return e.created + kSasLifetime; }

std::string SasSignature(const State& state, const std::string& root, const std::string& expiry) {
  return Sha256Hex(state.clc_signing_key + "|sas|" + root + "|" + expiry).substr(0, 44);
}

std::string SasToken(const State& state, const UsageExport& e) {
  std::string se = Iso(SasExpiry(e));
  return "sv=2021-08-06&sr=d&sdd=5&sp=r&se=" + se + "&sig=" + SasSignature(state, RootPath(e), se);
}

UsageExport* FindExport(State& state, const std::string& id, bool by_manifest) {
  for (auto& e : state.exports) {
    if (boost::iequals(by_manifest ? e.manifest_id : e.operation_id, id)) return &e;
  }
  return nullptr;
}

// Azure Storage's error body: XML, with the code also in x-ms-error-code.
http::Response StorageError(http::Status status, std::string_view code, std::string_view message,
                            std::string_view detail = "") {
  std::string body = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" +
                     std::string(code) + "</Code><Message>" + std::string(message) +
                     "\nRequestId:" + Uuid::V4().ToString() +
                     "\nTime:" + FormatTimestamp(Now()).substr(0, 26) + "Z</Message>";
  if (!detail.empty()) {
    body += "<AuthenticationErrorDetail>" + std::string(detail) + "</AuthenticationErrorDetail>";
  }
  body += "</Error>";
  auto res = http::TextResponse(status, std::move(body), "application/xml");
  res.set("x-ms-error-code", code);
  res.set("x-ms-version", "2021-08-06");
  return res;
}

std::optional<http::Response> RequirePartnerToken(State& state, const http::Request& req) {
  auto token = state.Bearer(req);
  if (!token) {
    return GraphError(http::Status::unauthorized, "InvalidAuthenticationToken",
                      "Access token is empty or has expired.");
  }
  if (token->tenant_id != kPartnerTenantId) {
    return GraphError(http::Status::forbidden, "Authorization_RequestDenied",
                      "Insufficient privileges to complete the operation: billing reports need a "
                      "token for the partner tenant with PartnerBilling.Read.All.");
  }
  return std::nullopt;
}

// attributeSet: "full" (default) or "basic"; anything else is an error message.
std::optional<std::string> ReadAttributeSet(const json::object& body, bool& full) {
  const json::value* v = FindCi(body, "attributeSet");
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_string() && boost::iequals(v->as_string(), "full")) return std::nullopt;
  if (v->is_string() && boost::iequals(v->as_string(), "basic")) {
    full = false;
    return std::nullopt;
  }
  return "Invalid value for property 'attributeSet': use 'full' or 'basic'.";
}

}  // namespace

// The sandbox's invoice ids (GET /v1/invoices) encode their month: G1 + YYYYMM.
std::optional<YearMonth> InvoiceMonth(const std::string& id) {
  if (id.size() != 10 || id[0] != 'G' || id[1] != '1' || id[2] != '0' || id[3] != '0') {
    return std::nullopt;
  }
  int value = 0;
  auto [end, ec] = std::from_chars(id.data() + 4, id.data() + id.size(), value);
  if (ec != std::errc() || end != id.data() + id.size()) return std::nullopt;
  auto month = YearMonth::Of(value / 100, value % 100);
  if (!month.ok()) return std::nullopt;
  return *month;
}

namespace {

http::Response Accepted(State& state, const http::Request& req, UsageExport e) {
  e.operation_id = state.ids.Guid();
  e.manifest_id = state.ids.Guid();
  e.created = state.Now();
  e.subscriptions = state.UsageSubscriptions();
  e.rows = MonthUsage(state.seed, e.subscriptions, e.month, e.until).size();
  e.no_data = e.no_data || e.rows == 0;
  http::Response res{http::Status::accepted, 11};
  res.set("Location", BaseUrl(req) + std::string(kBilling) + "/operations/" + e.operation_id);
  if (state.exports.size() >= kMaxExports) state.exports.erase(state.exports.begin());
  state.exports.push_back(std::move(e));
  return res;
}

http::Response BadRequest(std::string_view message) {
  return GraphError(http::Status::bad_request, "BadRequest", message);
}

}  // namespace

void AddBillingExportRoutes(http::Router& router, State& state) {
  const std::string billing(kBilling);

  router.Add(
      http::Verb::post, billing + "/usage/unbilled/export", [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        if (auto denied = RequirePartnerToken(state, ctx.request)) return std::move(*denied);
        auto body = ParseJsonObject(ctx.request.body());
        if (!body.ok()) return BadRequest(body.error().message);
        const json::value* currency = FindCi(*body, "currencyCode");
        const json::value* period = FindCi(*body, "billingPeriod");
        if (!currency || !currency->is_string() || currency->as_string().empty()) {
          return BadRequest(
              "The property 'currencyCode' is required: a currency code such as USD.");
        }
        if (!period || !period->is_string() ||
            !(boost::iequals(period->as_string(), "current") ||
              boost::iequals(period->as_string(), "last"))) {
          return BadRequest("The property 'billingPeriod' is required: 'current' or 'last'.");
        }
        UsageExport e;
        if (auto error = ReadAttributeSet(*body, e.full)) return BadRequest(*error);
        e.month = YearMonth::Containing(state.Now());
        e.until = state.UsageUntil();
        if (boost::iequals(period->as_string(), "last")) e.month = e.month.Prev();
        e.no_data = !boost::iequals(currency->as_string(), "USD");  // the sandbox bills in USD
        return Accepted(state, ctx.request, std::move(e));
      });

  router.Add(
      http::Verb::post, billing + "/usage/billed/export", [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        if (auto denied = RequirePartnerToken(state, ctx.request)) return std::move(*denied);
        auto body = ParseJsonObject(ctx.request.body());
        if (!body.ok()) return BadRequest(body.error().message);
        std::string invoice = StringCi(*body, "invoiceId");
        if (invoice.empty()) return BadRequest("The property 'invoiceId' is required.");
        auto month = InvoiceMonth(invoice);
        if (!month || *month >= YearMonth::Containing(state.Now())) {
          return GraphError(http::Status::not_found, "NotFound",
                            "Invoice " + invoice + " was not found. GET /v1/invoices lists them.");
        }
        UsageExport e;
        if (auto error = ReadAttributeSet(*body, e.full)) return BadRequest(*error);
        e.invoice_id = invoice;
        e.month = *month;
        e.until = month->End();
        return Accepted(state, ctx.request, std::move(e));
      });

  router.Add(http::Verb::get, billing + "/operations/{id}", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto denied = RequirePartnerToken(state, ctx.request)) return std::move(*denied);
    UsageExport* e = FindExport(state, ctx.params["id"], false);
    if (!e) {
      return GraphError(http::Status::not_found, "NotFound",
                        "Operation " + ctx.params["id"] + " was not found.");
    }
    ++e->polls;
    json::object out{{"id", e->operation_id},
                     {"createdDateTime", Iso(e->created)},
                     {"lastActionDateTime", Iso(e->polls == 1 ? e->created : state.Now())}};
    if (e->polls == 1) {
      out["@odata.type"] = "#microsoft.graph.partners.billing.runningOperation";
      out["status"] = "running";
    } else if (e->no_data) {
      out["@odata.type"] = "#microsoft.graph.partners.billing.failedOperation";
      out["status"] = "failed";
      out["error"] = json::object{{"message", "No data available"}, {"code", "5000"}};
    } else {
      out["@odata.type"] = "#microsoft.graph.partners.billing.exportSuccessOperation";
      out["status"] = "succeeded";
      out["resourceLocation@odata.navigationLink"] =
          BaseUrl(ctx.request) + std::string(kBilling) + "/manifests/" + e->manifest_id;
    }
    return http::JsonResponse(http::Status::ok, out);
  });

  router.Add(http::Verb::get, billing + "/manifests/{id}", [&state](http::RequestContext& ctx) {
    std::lock_guard lock(state.mu);
    if (auto denied = RequirePartnerToken(state, ctx.request)) return std::move(*denied);
    UsageExport* e = FindExport(state, ctx.params["id"], true);
    if (!e || e->polls < 2 || e->no_data) {
      return GraphError(http::Status::not_found, "NotFound",
                        "Manifest " + ctx.params["id"] + " was not found.");
    }
    json::array blobs;
    for (size_t i = 0; i < BlobCount(*e); ++i) {
      blobs.push_back(json::object{{"name", BlobName(*e, i)}, {"partitionValue", "default"}});
    }
    json::object out{
        {"@odata.context",
         "https://graph.microsoft.com/v1.0/$metadata#reports/partners/billing/manifests/$entity"},
        {"id", e->manifest_id},
        {"schemaVersion", "1"},
        {"dataFormat", "compressedJSON"},
        {"createdDateTime", Iso(e->created)},
        {"eTag", Sha256Hex(e->manifest_id).substr(0, 12)},
        {"partnerTenantId", kPartnerTenantId},
        {"rootDirectory", BaseUrl(ctx.request) + RootPath(*e)},
        {"sasToken", SasToken(state, *e)},
        {"partitionType", "Default"},
        {"blobCount", BlobCount(*e)},
        {"blobs", std::move(blobs)}};
    return http::JsonResponse(http::Status::ok, out);
  });
}

void AddBlobRoutes(http::Router& router, State& state) {
  router.Add(
      http::Verb::get, "/blob/{container}/v1/{tenant}/{month}/{scope}/{export}/{name}",
      [&state](http::RequestContext& ctx) {
        std::lock_guard lock(state.mu);
        const std::string& export_segment = ctx.params["export"];
        UsageExport* e = nullptr;
        if (export_segment.starts_with("ExportId=")) {
          e = FindExport(state, export_segment.substr(9), false);
        }
        if (!e || e->polls < 2 || e->no_data) {
          return StorageError(http::Status::not_found, "ResourceNotFound",
                              "The specified resource does not exist.");
        }
        std::string root = RootPath(*e);
        std::string expected = SasSignature(state, root, ctx.query["se"]);
        if (ctx.query["sig"].empty() || ctx.query["sig"] != expected) {
          return StorageError(http::Status::forbidden, "AuthenticationFailed",
                              "Server failed to authenticate the request. Make sure the value of "
                              "Authorization header is formed correctly including the signature.",
                              "Signature did not match. Use the manifest's sasToken as the query.");
        }
        auto se = ParseTimestamp(ctx.query["se"]);
        if (!se.ok() || *se <= state.Now()) {
          return StorageError(http::Status::forbidden, "AuthenticationFailed",
                              "Server failed to authenticate the request. Make sure the value of "
                              "Authorization header is formed correctly including the signature.",
                              "Signed expiry time [" + ctx.query["se"] +
                                  "] must be after the current time; export again for a new "
                                  "manifest.");
        }
        size_t index = 0;
        for (; index < BlobCount(*e); ++index) {
          if (ctx.path == root + "/" + BlobName(*e, index)) break;
        }
        if (index == BlobCount(*e)) {
          return StorageError(http::Status::not_found, "BlobNotFound",
                              "The specified blob does not exist.");
        }
        auto lines = MonthUsage(state.seed, e->subscriptions, e->month, e->until);
        std::string text;
        for (size_t i = index * kRowsPerBlob; i < lines.size() && i < (index + 1) * kRowsPerBlob;
             ++i) {
          text += SerializeExact(UsageExportJson(lines[i], e->full, e->invoice_id));
          text += '\n';
        }
        auto res = http::TextResponse(http::Status::ok, Gzip(text), "application/octet-stream");
        res.set("x-ms-blob-type", "BlockBlob");
        res.set("x-ms-version", "2021-08-06");
        res.set("ETag", "\"0x" + Sha256Hex(ctx.path).substr(0, 15) + "\"");
        return res;
      });
}

http::Response BlobStorageError(http::Status status, std::string_view code,
                                std::string_view message) {
  if (status == http::Status::not_found) {
    return StorageError(status, "ResourceNotFound", "The specified resource does not exist.");
  }
  if (status == http::Status::method_not_allowed) {
    return StorageError(status, "UnsupportedHttpVerb",
                        "The resource doesn't support specified Http Verb.");
  }
  return StorageError(status, code, message);
}

}  // namespace pc::sandbox
