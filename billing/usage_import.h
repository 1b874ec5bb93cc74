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

struct ImportOptions {
  std::string file_name = "input";  // for messages and the import record
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
};

struct ImportReport {
  std::string import_id;  // "" when the file was already imported
  std::string file_name;
  std::string format;
  std::string digest;
  bool already_imported = false;
  int64_t rows_imported = 0;  // billed: counted into usage_rollups
  int64_t rows_rejected = 0;
  int64_t rows_unknown = 0;          // of unknown customers: counted into usage_unknown_rollups
  int64_t rows_duplicate = 0;        // lines already counted (this file or an earlier one)
  std::vector<RowError> rejections;  // the first max_reported_rejections
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

// The report as the API answers it.
json::object ToJson(const ImportReport& report);

}  // namespace pc::billing
