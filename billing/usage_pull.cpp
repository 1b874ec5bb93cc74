#include "billing/usage_pull.h"

#include <filesystem>
#include <fstream>

#include "core/random.h"
#include "core/time.h"
#include "identity/identity.h"

namespace pc::billing {

Result<ImportReport> PullUnbilledUsage(store::Database& db,
                                       connectors::PartnerCenterClient& partner_center,
                                       std::string_view period, const std::string& temp_dir) {
  std::error_code ec;
  std::filesystem::create_directories(temp_dir, ec);
  std::string name = "partner-center-unbilled-" + std::string(period) + "-" +
                     FormatTimestamp(Now()).substr(0, 10) + ".jsonl";
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
    std::string query =
        "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype="
        "usagelineitems&currencycode=usd&period=" +
        std::string(period) + "&size=2000";
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
        out << item << '\n';
        ++lines;
      }
      const auto* token = o.if_contains("continuationToken");
      if (!token || !token->is_string() || token->as_string().empty()) break;
      query =
          "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype="
          "usagelineitems&currencycode=usd&period=" +
          std::string(period) + "&size=2000&seekOperation=Next";
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
  return ImportUsageFile(db, identity::SystemPrincipal(), path, options);
}

}  // namespace pc::billing
