#include "billing/usage_pull.h"

#include <cctype>
#include <filesystem>
#include <fstream>

#include "core/random.h"
#include "core/time.h"
#include "identity/identity.h"

namespace pc::billing {

namespace {

// Fetches every page of `query` (a v1 line items path with its first page's query) into a
// JSON-lines file and imports it as `name`.
Result<ImportReport> PullLineItems(store::Database& db,
                                   connectors::PartnerCenterClient& partner_center,
                                   const std::string& first_query, const std::string& next_query,
                                   const std::string& name, const std::string& temp_dir,
                                   const UsageDayFilter& keep,
                                   const AfterImport& after_import = {}) {
  std::error_code ec;
  std::filesystem::create_directories(temp_dir, ec);
  std::string path = temp_dir + "/" + RandomToken(8) + "-" + name;
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  } cleanup{path};
  {
    std::ofstream out(path, std::ios::binary);
    if (!out) return Unavailable("Cannot write " + path);
    std::string query = first_query;
    std::vector<std::pair<std::string, std::string>> headers;
    int64_t lines = 0;
    for (int page = 0; page < 100000; ++page) {
      connectors::PcCall call{connectors::NameBasedId("usage-pull:" + RandomToken(12)), ""};
      PC_ASSIGN_OR_RETURN(connectors::PcResult r,
                          partner_center.Call("GET", query, std::nullopt, call, headers));
      if (!r.ok()) {
        return Unavailable("Partner Center usage line items: " + r.fault->message);
      }
      if (!r.body.is_object()) return Unavailable("Partner Center answered an unexpected body");
      const auto& o = r.body.as_object();
      // The items as Partner Center wrote them: parsed, their prices and quantities would be
      // doubles (and lose digits); the import reads the numbers' text exactly.
      auto items = RawArrayElements(r.raw, "items");
      if (!items.ok())
        return Unavailable("Partner Center usage line items: " + items.error().message);
      for (const auto& item : *items) {
        if (keep) {
          // usageDate as Partner Center writes it: "2026-11-03T00:00:00Z".
          auto at = item.find("\"usageDate\":\"");
          std::string day = at == std::string::npos ? std::string() : item.substr(at + 13, 10);
          if (!keep(day)) continue;
        }
        out << item << '\n';
        ++lines;
      }
      const auto* token = o.if_contains("continuationToken");
      if (!token || !token->is_string() || token->as_string().empty()) break;
      query = next_query;
      headers = {{"MS-ContinuationToken", std::string(token->as_string())}};
    }
    if (!out.flush()) return Unavailable("Cannot write " + path);
    if (lines == 0) {  // nothing billed yet in this period: nothing to import
      ImportReport empty;
      empty.file_name = name;
      empty.already_imported = true;
      return empty;
    }
  }
  ImportOptions options;
  options.file_name = name;
  options.container = ReaderOptions::Container::kJsonLines;
  // Partner Center's daily rated usage is the whole state of its period: restated lines replace.
  options.mode = ImportMode::kSnapshot;
  options.source = "partner-center";
  options.after_import = after_import;
  return ImportUsageFile(db, identity::SystemPrincipal(), path, options);
}

}  // namespace

Result<ImportReport> PullUnbilledUsage(store::Database& db,
                                       connectors::PartnerCenterClient& partner_center,
                                       std::string_view period, const std::string& temp_dir,
                                       const AfterImport& after_import) {
  std::string query =
      "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype="
      "usagelineitems&currencycode=usd&period=" +
      std::string(period) + "&size=2000";
  return PullLineItems(db, partner_center, query, query + "&seekOperation=Next",
                       "partner-center-unbilled-" + std::string(period) + "-" +
                           FormatTimestamp(Now()).substr(0, 10) + ".jsonl",
                       temp_dir, {}, after_import);
}

Result<ImportReport> PullBilledUsage(store::Database& db,
                                     connectors::PartnerCenterClient& partner_center,
                                     const std::string& invoice_id, const std::string& temp_dir,
                                     const UsageDayFilter& keep) {
  for (char c : invoice_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return InvalidArgument("An invoice id has letters, digits and dashes only");
    }
  }
  std::string query = "/v1/invoices/" + invoice_id +
                      "/lineitems?provider=onetime&invoicelineitemtype=usagelineitems&"
                      "currencycode=usd&size=2000";
  return PullLineItems(db, partner_center, query, query + "&seekOperation=Next",
                       "partner-center-billed-" + invoice_id + ".jsonl", temp_dir, keep);
}

}  // namespace pc::billing
