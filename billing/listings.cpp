#include "billing/listings.h"

#include <map>
#include <set>
#include <tuple>

namespace pc::billing {

using identity::Principal;
using identity::Role;

namespace {

Status OperatorsOnly(const Principal& who, std::string_view what) {
  if (who.user.role == Role::kOperator || who.via == Principal::Via::kSystem) return {};
  return PermissionDenied("Only operators can see " + std::string(what));
}

}  // namespace

Result<std::vector<AliasEntry>> ListBillingAliases(store::Database& db, const Principal& who) {
  std::string sql =
      "SELECT b.alias, b.organization_id, b.company_name, o.name AS organization_name, "
      "(SELECT COUNT(*) FROM providers p WHERE p.billing_alias = b.alias AND p.deleted_at IS "
      "NULL) AS provider_count FROM billing_aliases b JOIN organizations o ON o.id = "
      "b.organization_id";
  std::vector<store::Param> params;
  if (!identity::IsPartnerStaff(who.user.role)) {
    sql += " WHERE b.organization_id = ?";
    params.emplace_back(who.organization.id);
  }
  sql += " ORDER BY b.alias";
  PC_ASSIGN_OR_RETURN(auto tx, db.Begin());
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, params));
  std::vector<AliasEntry> out;
  for (const auto& r : rows) {
    out.push_back({r.Text("alias"), r.Text("organization_id"), r.Text("organization_name"),
                   r.Text("company_name"), r.Int("provider_count")});
  }
  return out;
}

Result<std::vector<InvoiceLine>> ListClosedLines(store::Database& db, const Principal& who,
                                                 std::optional<YearMonth> month) {
  PC_RETURN_IF_ERROR(OperatorsOnly(who, "month closes"));
  std::string sql =
      "SELECT idempotency_key, billing_alias, invoice_month, usage_month, kind, description, "
      "currency, amount, state, created_at, posted_at FROM invoice_lines";
  std::vector<store::Param> params;
  if (month) {
    sql += " WHERE invoice_month = ?";
    params.emplace_back(month->ToString());
  }
  sql +=
      " ORDER BY invoice_month DESC, billing_alias, kind, usage_month DESC, currency LIMIT 10000";
  PC_ASSIGN_OR_RETURN(auto tx, db.Begin());
  PC_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, params));
  std::vector<InvoiceLine> out;
  for (const auto& r : rows) {
    InvoiceLine l{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4),   r.Text(5),
                  r.Text(6), r.Text(7), r.Text(8), r.Text(9), std::nullopt};
    if (!r.IsNull(10)) l.posted_at = r.Text(10);
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<ImportRecord>> ListUsageImports(store::Database& db, const Principal& who,
                                                   int64_t limit) {
  PC_RETURN_IF_ERROR(OperatorsOnly(who, "usage imports"));
  if (limit < 1 || limit > 500) {
    return InvalidArgument("Query parameter 'limit' must be between 1 and 500");
  }
  PC_ASSIGN_OR_RETURN(auto tx, db.Begin());
  PC_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query("SELECT id, digest, file_name, format, rows_imported, rows_rejected, "
                "rows_unknown, rows_duplicate, imported_at, imported_by, rejections, "
                "mode, source FROM usage_imports ORDER BY imported_at DESC, id DESC LIMIT ?",
                {limit}));
  std::vector<ImportRecord> out;
  for (const auto& r : rows) {
    ImportRecord rec;
    rec.import_id = r.Text("id");
    rec.digest = r.Text("digest");
    rec.file_name = r.Text("file_name");
    rec.format = r.Text("format");
    rec.rows_imported = r.Int("rows_imported");
    rec.rows_rejected = r.Int("rows_rejected");
    rec.rows_unknown = r.Int("rows_unknown");
    rec.rows_duplicate = r.Int("rows_duplicate");
    rec.created_at = r.Text("imported_at");
    rec.mode = r.Text("mode");
    rec.source = r.Text("source");
    const std::string& by = r.Text("imported_by");
    if (by.find('@') != std::string::npos) rec.created_by = by;
    auto rejections = ParseJson(r.Text("rejections"));
    if (rejections.ok() && rejections->is_array()) rec.rejections = rejections->as_array();
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::vector<KeptAside>> ListKeptAsideUsage(store::Database& db, const Principal& who) {
  PC_RETURN_IF_ERROR(OperatorsOnly(who, "usage kept aside"));
  PC_ASSIGN_OR_RETURN(auto tx, db.Begin());
  PC_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT customer_id, azure_subscription_id, meter_category, usage_day, "
                           "currency, quantity, charge, line_count FROM usage_unknown_rollups "
                           "WHERE line_count <> 0"));
  // Summed exactly in C++ (amounts are decimal text), newest month first.
  using Key = std::tuple<std::string, std::string, std::string, std::string>;  // month desc
  std::map<Key, KeptAside> sums;
  std::map<Key, std::set<std::string>> categories;
  for (const auto& r : rows) {
    std::string month = r.Text("usage_day").substr(0, 7);
    Key key{month, r.Text("customer_id"), r.Text("azure_subscription_id"), r.Text("currency")};
    auto& k = sums[key];
    if (k.month.empty()) {
      k.customer_id = std::get<1>(key);
      k.subscription_id = std::get<2>(key);
      k.month = month;
      k.currency = std::get<3>(key);
    }
    PC_ASSIGN_OR_RETURN(Decimal charge, Decimal::Parse(r.Text("charge")));
    PC_ASSIGN_OR_RETURN(Decimal quantity, Decimal::Parse(r.Text("quantity")));
    PC_ASSIGN_OR_RETURN(k.amount, k.amount.Add(charge));
    PC_ASSIGN_OR_RETURN(k.quantity, k.quantity.Add(quantity));
    k.lines += r.Int("line_count");
    categories[key].insert(r.Text("meter_category"));
  }
  std::vector<KeptAside> out;
  out.reserve(sums.size());
  for (auto it = sums.rbegin(); it != sums.rend(); ++it) {
    KeptAside k = it->second;
    const auto& cats = categories[it->first];
    k.meter_categories.assign(cats.begin(), cats.end());
    out.push_back(std::move(k));
  }
  return out;
}

json::object ToJson(const AliasEntry& e) {
  return {{"billingAlias", e.billing_alias},
          {"organizationId", e.organization_id},
          {"organizationName", e.organization_name},
          {"companyName", e.company_name},
          {"providerCount", e.provider_count}};
}

json::object ToJson(const ImportRecord& r) {
  return {{"importId", r.import_id},
          {"fileName", r.file_name},
          {"format", r.format},
          {"digest", r.digest},
          {"rowsImported", r.rows_imported},
          {"rowsRejected", r.rows_rejected},
          {"rowsUnknownCustomer", r.rows_unknown},
          {"rowsDuplicate", r.rows_duplicate},
          {"rejections", r.rejections},
          {"rejectionsTruncated", static_cast<int64_t>(r.rejections.size()) < r.rows_rejected},
          {"createdAt", r.created_at},
          {"createdBy", r.created_by ? json::value(*r.created_by) : json::value(nullptr)},
          {"mode", r.mode},
          {"source", r.source}};
}

json::object ToJson(const KeptAside& k) {
  json::array cats;
  for (const auto& c : k.meter_categories) cats.push_back(json::value(c));
  return {{"customerId", k.customer_id},
          {"subscriptionId", k.subscription_id},
          {"month", k.month},
          {"currency", k.currency},
          {"amount", k.amount.ToString()},
          {"quantity", k.quantity.ToString()},
          {"lines", k.lines},
          {"meterCategories", std::move(cats)}};
}

}  // namespace pc::billing
