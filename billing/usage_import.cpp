#include "billing/usage_import.h"

#include <array>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/time.h"
#include "core/uuid.h"

namespace pc::billing {

namespace {

// Lines are checked against usage_lines this many at a time.
constexpr size_t kKeysPerStatement = 250;

struct Sums {
  Decimal quantity, charge, partner_cost;
  int64_t lines = 0;
};

// (billing alias, customer, Azure subscription, meter category, day, currency)
using GroupKey = std::array<std::string, 6>;
using Groups = std::map<GroupKey, Sums>;

Status AddTo(Sums& sums, const Decimal& quantity, const Decimal& charge, const Decimal& cost,
             int64_t lines) {
  PC_ASSIGN_OR_RETURN(sums.quantity, sums.quantity.Add(quantity));
  PC_ASSIGN_OR_RETURN(sums.charge, sums.charge.Add(charge));
  PC_ASSIGN_OR_RETURN(sums.partner_cost, sums.partner_cost.Add(cost));
  sums.lines += lines;
  return {};
}

struct Mapping {
  std::string customer_id;
  std::string billing_alias;
};

class MappingCache {
 public:
  explicit MappingCache(store::Transaction& tx) : tx_(tx) {}
  // The alias billed for the row, or nullopt when the customer is unknown.
  Result<std::optional<std::string>> AliasFor(const UsageRow& row) {
    auto it = cache_.find(row.azure_subscription_id);
    if (it == cache_.end()) {
      PC_ASSIGN_OR_RETURN(auto rows, tx_.Query("SELECT customer_id, billing_alias FROM "
                                               "azure_subscriptions_map WHERE "
                                               "azure_subscription_id = ?",
                                               {row.azure_subscription_id}));
      std::optional<Mapping> m;
      if (!rows.empty()) m = Mapping{rows[0].Text(0), rows[0].Text(1)};
      it = cache_.emplace(row.azure_subscription_id, std::move(m)).first;
    }
    if (!it->second || row.azure_subscription_id.empty()) return std::optional<std::string>();
    const Mapping& m = *it->second;
    if (!m.customer_id.empty() && m.customer_id != row.customer_id) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(m.billing_alias);
  }

 private:
  store::Transaction& tx_;
  std::unordered_map<std::string, std::optional<Mapping>> cache_;
};

// Records the rows' line keys; sets is_new[i] for the rows not counted before.
Status RecordLines(store::Transaction& tx, const std::string& import_id,
                   const std::vector<UsageRow>& rows, std::vector<bool>& is_new) {
  is_new.assign(rows.size(), false);
  for (size_t start = 0; start < rows.size(); start += kKeysPerStatement) {
    size_t end = std::min(rows.size(), start + kKeysPerStatement);
    std::string sql = "INSERT INTO usage_lines (line_key, import_id) VALUES ";
    std::vector<store::Param> params;
    for (size_t i = start; i < end; ++i) {
      sql += i == start ? "(?, ?)" : ", (?, ?)";
      params.emplace_back(rows[i].line_key);
      params.emplace_back(import_id);
    }
    sql += " ON CONFLICT (line_key) DO NOTHING RETURNING line_key";
    PC_ASSIGN_OR_RETURN(auto inserted, tx.Query(sql, params));
    std::unordered_set<std::string> fresh;
    for (const auto& r : inserted) fresh.insert(r.Text(0));
    for (size_t i = start; i < end; ++i) {
      // Only the first of identical lines within the file is new.
      if (fresh.erase(rows[i].line_key) > 0) is_new[i] = true;
    }
  }
  return {};
}

// Adds the groups' sums to the stored rollups: read-modify-write under the transaction (row
// locked with FOR UPDATE on PostgreSQL; SQLite write transactions are serialized).
Status AddToRollups(store::Transaction& tx, const Groups& groups, bool billed,
                    const std::string& now) {
  const std::string table = billed ? "usage_rollups" : "usage_unknown_rollups";
  const std::string key_cols =
      billed ? "billing_alias, customer_id, azure_subscription_id, meter_category, usage_day, "
               "currency"
             : "customer_id, azure_subscription_id, meter_category, usage_day, currency";
  const std::string where =
      billed ? "billing_alias = ? AND customer_id = ? AND azure_subscription_id = ? AND "
               "meter_category = ? AND usage_day = ? AND currency = ?"
             : "customer_id = ? AND azure_subscription_id = ? AND meter_category = ? AND "
               "usage_day = ? AND currency = ?";
  const std::string placeholders = billed ? "?, ?, ?, ?, ?, ?" : "?, ?, ?, ?, ?";
  const std::string lock = tx.dialect() == store::Dialect::kPostgres ? " FOR UPDATE" : "";
  for (const auto& [key, sums] : groups) {
    std::vector<store::Param> key_params;
    for (size_t i = billed ? 0 : 1; i < key.size(); ++i) key_params.emplace_back(key[i]);
    std::vector<store::Param> insert_params = key_params;
    insert_params.emplace_back(now);
    PC_RETURN_IF_ERROR(tx.Execute("INSERT INTO " + table + " (" + key_cols +
                                      ", quantity, charge, partner_cost, line_count, updated_at) "
                                      "VALUES (" + placeholders + ", '0', '0', '0', 0, ?) "
                                      "ON CONFLICT (" + key_cols + ") DO NOTHING",
                                  insert_params));
    PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT quantity, charge, partner_cost, line_count "
                                            "FROM " + table + " WHERE " + where + lock,
                                            key_params));
    if (rows.size() != 1) return Internal("rollup row vanished inside the transaction");
    Sums total;
    for (int i = 0; i < 3; ++i) {
      auto stored = Decimal::Parse(rows[0].Text(i));
      if (!stored.ok()) return Internal("a stored rollup is not a decimal: " + rows[0].Text(i));
      (i == 0 ? total.quantity : i == 1 ? total.charge : total.partner_cost) = *stored;
    }
    total.lines = rows[0].Int(3);
    PC_RETURN_IF_ERROR(AddTo(total, sums.quantity, sums.charge, sums.partner_cost, sums.lines));
    std::vector<store::Param> update_params = {total.quantity.ToString(), total.charge.ToString(),
                                               total.partner_cost.ToString(), total.lines, now};
    update_params.insert(update_params.end(), key_params.begin(), key_params.end());
    PC_RETURN_IF_ERROR(tx.Execute("UPDATE " + table +
                                      " SET quantity = ?, charge = ?, partner_cost = ?, "
                                      "line_count = ?, updated_at = ? WHERE " + where,
                                  update_params));
  }
  return {};
}

bool MayImport(const identity::Principal& who) {
  return who.via == identity::Principal::Via::kSystem ||
         who.user.role == identity::Role::kOperator;
}

}  // namespace

Result<ImportReport> ImportUsage(store::Database& db, const identity::Principal& who,
                                 const SourceFactory& source, const ImportOptions& options) {
  if (!MayImport(who)) return PermissionDenied("Only operators may import usage");
  bool already_imported = false;
  std::string digest;
  auto run = [&](store::Transaction& tx) -> Result<ImportReport> {
    ImportReport report;
    report.file_name = options.file_name;
    report.import_id = Uuid::V7().ToString();
    PC_ASSIGN_OR_RETURN(auto bytes, source());
    ReaderOptions reader_options;
    reader_options.file_name = options.file_name;
    reader_options.container = options.container;
    reader_options.threads = options.threads;
    PC_ASSIGN_OR_RETURN(auto reader, UsageReader::Open(std::move(bytes), reader_options));
    report.format = std::string(UsageFormatName(reader->format()));
    Groups billed, unknown;
    MappingCache mapping(tx);
    std::vector<bool> is_new;
    while (true) {
      PC_ASSIGN_OR_RETURN(auto batch, reader->Next());
      if (!batch) break;
      if (!batch->errors.empty()) {
        if (options.strict) {
          return InvalidArgument(batch->errors.front().ToString() +
                                 " (strict mode: the file was not imported)");
        }
        report.rows_rejected += static_cast<int64_t>(batch->errors.size());
        for (auto& e : batch->errors) {
          if (report.rejections.size() >= options.max_reported_rejections) break;
          report.rejections.push_back(std::move(e));
        }
      }
      PC_RETURN_IF_ERROR(RecordLines(tx, report.import_id, batch->rows, is_new));
      for (size_t i = 0; i < batch->rows.size(); ++i) {
        const UsageRow& row = batch->rows[i];
        if (!is_new[i]) {
          ++report.rows_duplicate;
          continue;
        }
        PC_ASSIGN_OR_RETURN(auto alias, mapping.AliasFor(row));
        GroupKey key{alias.value_or(""), row.customer_id, row.azure_subscription_id,
                     row.meter_category, row.day, row.currency};
        PC_RETURN_IF_ERROR(AddTo(alias ? billed[key] : unknown[key], row.quantity, row.charge,
                                 row.partner_cost, 1));
        ++(alias ? report.rows_imported : report.rows_unknown);
      }
    }
    report.digest = reader->Digest();
    digest = report.digest;
    std::string now = FormatTimestamp(Now());
    std::string by = who.via == identity::Principal::Via::kSystem ? "cli" : who.user.email;
    PC_ASSIGN_OR_RETURN(
        int64_t recorded,
        tx.Execute("INSERT INTO usage_imports (id, digest, file_name, format, rows_imported, "
                   "rows_rejected, rows_unknown, rows_duplicate, imported_at, imported_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                   {report.import_id, report.digest, report.file_name, report.format,
                    report.rows_imported, report.rows_rejected, report.rows_unknown,
                    report.rows_duplicate, now, by}));
    if (recorded == 0) {  // the same bytes were imported before: roll everything back
      already_imported = true;
      return FailedPrecondition("already imported");
    }
    PC_RETURN_IF_ERROR(AddToRollups(tx, billed, true, now));
    PC_RETURN_IF_ERROR(AddToRollups(tx, unknown, false, now));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, std::nullopt, "usage.import", "usage_import", report.import_id,
        json::object{{"file", report.file_name},
                     {"digest", report.digest},
                     {"rowsImported", report.rows_imported},
                     {"rowsRejected", report.rows_rejected},
                     {"rowsUnknownCustomer", report.rows_unknown},
                     {"rowsDuplicate", report.rows_duplicate}}));
    return report;
  };
  auto result = db.InTransaction<ImportReport>(run);
  if (result.ok() || !already_imported) return result;
  ImportReport report;
  report.file_name = options.file_name;
  report.digest = digest;
  report.already_imported = true;
  auto previous = db.InTransaction<store::Rows>([&](store::Transaction& tx) {
    return tx.Query("SELECT format FROM usage_imports WHERE digest = ?", {digest});
  });
  if (previous.ok() && !previous->empty()) report.format = (*previous)[0].Text(0);
  return report;
}

Result<ImportReport> ImportUsageFile(store::Database& db, const identity::Principal& who,
                                     const std::string& path, ImportOptions options) {
  options.file_name = path;
  return ImportUsage(
      db, who, [&path] { return OpenFileSource(path); }, options);
}

json::object ToJson(const ImportReport& report) {
  json::array rejections;
  for (const auto& e : report.rejections) {
    rejections.push_back(json::object{{"line", e.line},
                                      {"column", e.column},
                                      {"reason", e.reason},
                                      {"message", e.ToString()}});
  }
  json::object out{{"fileName", report.file_name},
                   {"format", report.format},
                   {"digest", report.digest},
                   {"alreadyImported", report.already_imported},
                   {"rowsImported", report.rows_imported},
                   {"rowsRejected", report.rows_rejected},
                   {"rowsUnknownCustomer", report.rows_unknown},
                   {"rowsDuplicate", report.rows_duplicate},
                   {"rejections", std::move(rejections)},
                   {"rejectionsTruncated",
                    static_cast<int64_t>(report.rejections.size()) < report.rows_rejected}};
  if (!report.import_id.empty()) out["importId"] = report.import_id;
  return out;
}

}  // namespace pc::billing
