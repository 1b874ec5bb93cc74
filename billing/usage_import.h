// Usage import: a rated-usage file into the billing rollups, in one transaction per file.
//
// Importing a file already imported changes nothing (SHA-256 of the file, usage_imports), and a
// line already counted from another file is not counted again. Line identity is kept per
// (Azure subscription, usage day) partition, not per line: usage_partitions holds the set of
// 64-bit line hashes (UsageRow::line_key, keyed per installation: line_identity.h and
// billing_keys) counted for each partition. An import reads the file
// once, grouping it and collecting each partition's hashes, then claims its partitions:
//   - a partition nobody held: all its lines count (each distinct line once);
//   - a partition held whose set contains every line of the file: nothing counts;
//   - otherwise the file is read a second time and only its lines outside the held set count
//     (each once); the partition then holds the union.
// So the rollups always equal the sums over the union of distinct lines ever imported: the same
// file twice, the same lines in another file (CRLF/BOM), an overlapping file or a file split in
// parts all count each line exactly once. A restated line (same usage, new quantity) is a new
// line, as it was with one row per line.
// Snapshot mode (ImportMode::kSnapshot; Partner Center's unbilled and billed daily rated usage and
// the Graph billing export deliver the whole state of a period): the file is what its source
// says now about every (subscription, day) partition it covers. What the same source's earlier
// snapshot counted for such a partition is taken back out of the rollups and the file's lines
// are counted instead (usage_snapshots, usage_snapshot_groups), so a restated line replaces the
// line it restates. A partition whose counted lines are the same as the source's last snapshot
// is not touched (the same snapshot twice changes nothing). Lines of the partition counted by
// other imports (additive files, other sources) stay theirs and are not counted again. A
// partition the file does not cover is left as it is. All in the import's one transaction.
// Usage of Azure subscriptions no billing alias is mapped to (azure_subscriptions_map) is kept
// aside in usage_unknown_rollups and never billed. A crash mid-import commits nothing.
// Thread-safe: concurrent imports (even of overlapping files) are safe on both backends (the
// partition claim is an INSERT ... ON CONFLICT in key order; a held partition is read FOR UPDATE).
// Memory: a few 1 MiB chunks per parsing thread, the file's groups and partitions (as many as
// its distinct (subscription, day, customer, category, currency) values, not its lines), up to
// ImportOptions::hash_memory_bytes of line hashes (the rest in a temporary file), and, while
// partitions are claimed, the hashes of 100 partitions at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "billing/usage_reader.h"
#include "core/result.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::billing {

enum class ImportMode {
  kAdditive,  // the file adds lines (each line counted once ever): hand-imported files' default
  kSnapshot,  // the file replaces what its source said for each partition it covers
};
std::string_view ImportModeName(ImportMode mode);  // "additive", "snapshot"
// "additive" or "snapshot" (any case); InvalidArgument naming the allowed values.
Result<ImportMode> ParseImportMode(std::string_view text);

struct ImportReport;
// Work run in an import's transaction once its rollups are written (ImportOptions::after_import).
using AfterImport = std::function<Status(store::Transaction&, const ImportReport&)>;

struct ImportOptions {
  std::string file_name = "input";  // for messages and the import record
  ImportMode mode = ImportMode::kAdditive;
  // Whose snapshot this is (snapshot mode). Empty: by format, "partner-center" for Partner
  // Center CSV and JSON lines (the pull's files), "focus" for FOCUS exports.
  std::string source;
  ReaderOptions::Container container = ReaderOptions::Container::kAuto;
  bool strict = false;  // the first bad row rejects the whole file
  size_t max_reported_rejections = 100;
  int threads = 2;
  // Line hashes (8 bytes a line) kept in memory during the first pass; beyond it they go to an
  // unnamed temporary file, so memory does not grow with the file.
  size_t hash_memory_bytes = 64 << 20;
  // Limits on gzip files (ReaderOptions): larger or more expanding files fail PayloadTooLarge.
  uint64_t max_expanded_bytes = ReaderOptions{}.max_expanded_bytes;
  uint64_t max_expansion_ratio = ReaderOptions{}.max_expansion_ratio;
  // Run in the import's transaction once its rollups are written (not for a file imported
  // before): work that must exist if and only if the usage does, such as budget alerts
  // (budgets/evaluation.h). Its error fails the import.
  AfterImport after_import;
};

struct ImportReport {
  std::string import_id;  // "" when the file was already imported
  std::string file_name;
  std::string format;
  std::string digest;
  bool already_imported = false;
  int64_t rows_imported = 0;  // billed: counted into usage_rollups
  int64_t rows_rejected = 0;
  int64_t rows_unknown = 0;    // of unknown customers: counted into usage_unknown_rollups
  int64_t rows_duplicate = 0;  // lines already counted (this file or an earlier one)
  ImportMode mode = ImportMode::kAdditive;
  std::string source;                // snapshot mode: the source whose snapshot this is
  int64_t partitions_replaced = 0;   // snapshot mode: partitions whose earlier state was replaced
  int64_t partitions_unchanged = 0;  // snapshot mode: partitions equal to the source's last one
  std::vector<RowError> rejections;  // the first max_reported_rejections
  // The billing aliases whose charges this import changed (sorted, distinct).
  std::vector<std::string> billing_aliases;
};

// Opens the bytes to import; called again when the transaction is retried.
using SourceFactory = std::function<Result<std::unique_ptr<ByteSource>>()>;

// Imports one file. Only operators (and the system principal) may import: PermissionDenied.
// Errors: InvalidArgument for a file that cannot be read as usage (message names the file),
// PayloadTooLarge for gzip data past the limits of ImportOptions, or
// in strict mode for its first bad row (message as RowError::ToString); OutOfRange if a sum
// overflows; store errors. Nothing is written unless the whole file is imported.
Result<ImportReport> ImportUsage(store::Database& db, const identity::Principal& who,
                                 const SourceFactory& source, const ImportOptions& options);

// The same for a file on disk.
Result<ImportReport> ImportUsageFile(store::Database& db, const identity::Principal& who,
                                     const std::string& path, ImportOptions options);

// Usage kept aside that has become known (issue 17 item 2): every group of usage_unknown_rollups
// whose Azure subscription is now mapped to a billing alias (azure_subscriptions_map, customer
// matching when the mapping names one) is moved into usage_rollups, in `tx`, so it is counted
// exactly once: in the open month's charges, or, for a closed month, in the next close's
// reconciliation line (its rollups carry updated_at = now). Snapshots' records follow it.
// Called at the start of every import (and so by the scheduled pull), by every month close and
// by the operator's manual mapping. Returns the groups moved.
struct Attribution {
  std::string billing_alias, customer_id, azure_subscription_id, month, currency;
  Decimal charge, quantity;
  int64_t lines = 0;
};
Result<std::vector<Attribution>> AttributeKeptAside(store::Transaction& tx);

// The report as the API answers it.
json::object ToJson(const ImportReport& report);

}  // namespace pc::billing
