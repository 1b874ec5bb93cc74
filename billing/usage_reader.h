// Usage readers: Microsoft's rated-usage files parsed into UsageRow values, streaming and in
// parallel chunks, in bounded memory whatever the file size.
//
// Formats (detected from the content; gzip is recognised by its magic bytes):
//   - Partner Center daily rated usage CSV (new commerce, arm-policy-cost.md §4.5): driven by
//     the header, so column order and extra columns (Benefit*, ...) do not matter.
//   - Graph billing export JSON lines (partner-center-api.md §7a): one object per line, keys
//     matched case-insensitively, PascalCase or camelCase.
//   - FOCUS 1.0 / 1.1 CSV (arm-policy-cost.md §4.1-4.2), literal "NULL" read as null.
// CSV is RFC 4180 (quotes, commas and newlines inside quoted fields), UTF-8 with or without a
// BOM, LF or CRLF. Numbers are exact decimals (never floating point).
//
// A bad row becomes a RowError (file, line, column, reason naming the value) and the other rows
// are still read; problems with the whole file (unknown header, broken gzip, read failure) are
// errors of UsageReader::Open or Next. A UsageReader is used by one thread; it runs its own
// worker threads for parsing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.h"
#include "core/result.h"

namespace pc::billing {

enum class UsageFormat { kPartnerCenterCsv, kGraphJsonLines, kFocusCsv };
// "partner_center_csv", "graph_jsonl", "focus_csv".
std::string_view UsageFormatName(UsageFormat format);

// One rated usage line, as the rollups need it.
struct UsageRow {
  int64_t line = 0;                   // 1-based line of the row's first physical line
  std::string customer_id;            // CSP customer tenant id, lower case ("" if unknown)
  std::string azure_subscription_id;  // EntitlementId / FOCUS SubAccountId GUID, lower case
  std::string meter_category;
  std::string day;       // usage day, "YYYY-MM-DD"
  std::string currency;  // BillingCurrency, upper case
  Decimal quantity;
  Decimal charge;        // customer charge at list price: UnitPrice × Quantity, exact
  Decimal partner_cost;  // BillingPreTaxTotal (FOCUS: BilledCost)
  // Identity of the line: a 64-bit hash of the row's identifying columns. Two rows with the
  // same key are the same usage line, whichever file they came from.
  uint64_t line_key = 0;
};

struct RowError {
  std::string file;
  int64_t line = 0;
  std::string column;  // "" when the problem is the row as a whole
  std::string reason;
  // `usage.csv line 17, column Quantity: "1e309" is not a plain decimal number`
  std::string ToString() const;
};

// Where the bytes come from. Read returns the number of bytes read, 0 at the end.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual Result<size_t> Read(char* buffer, size_t capacity) = 0;
};

// A file on disk. Errors name the path.
Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path);
// Bytes in memory; `bytes` must outlive the source.
std::unique_ptr<ByteSource> MemorySource(std::string_view bytes);

struct ReaderOptions {
  std::string file_name = "input";  // used in error messages
  // The container the caller declared (e.g. from Content-Type); kAuto detects it.
  enum class Container { kAuto, kCsv, kJsonLines } container = Container::kAuto;
  size_t chunk_bytes = 4 << 20;  // text per parse chunk
  int threads = 2;               // chunks parsed in parallel
};

// A batch of parsed rows and bad rows, in file order.
struct UsageBatch {
  std::vector<UsageRow> rows;
  std::vector<RowError> errors;
};

class UsageReader {
 public:
  // Reads the header (or first line) and detects the format. Errors (InvalidArgument) name the
  // file: empty file, not UTF-8, unknown or incomplete header, broken gzip.
  static Result<std::unique_ptr<UsageReader>> Open(std::unique_ptr<ByteSource> source,
                                                   ReaderOptions options);
  virtual ~UsageReader() = default;

  virtual UsageFormat format() const = 0;
  // The next batch (up to options.threads chunks), or nullopt at the end of the file. Errors:
  // the file as a whole is unreadable from here on (truncated gzip, read error).
  virtual Result<std::optional<UsageBatch>> Next() = 0;
  // SHA-256 (hex) of the raw bytes (before gunzip); complete once Next returned nullopt.
  virtual std::string Digest() const = 0;
};

// Parses a number the way usage files write it. Plain decimals always; E-notation only when
// `allow_exponent` (FOCUS, JSON), converted exactly. On failure returns the reason naming the
// value: `"1e309" is not a plain decimal number`, `"-0" is a negative zero`, ...
Result<Decimal> ParseUsageNumber(std::string_view text, bool allow_exponent);

// True if `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace pc::billing
