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
// errors of UsageReader::Open or Next (or ScanUsage).
//
// Two ways to read: ScanUsage, the fast path the import uses (one thread reads, digests and
// gunzips; worker threads find the CSV structure 64 bytes at a time and hand each row, as views,
// to their own sink), and UsageReader, which hands out rows as values in file order (tests,
// small files). Both parse with the same code.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/line_identity.h"
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
  // PCToBCExchangeRate, canonical ("1" when Partner Center sends none: the same currency; ""
  // for FOCUS, which has no such column).
  std::string exchange_rate;
  // Identity of the line: a 64-bit keyed hash of the row's identifying columns (see
  // line_identity.h). Two rows with the same key are the same usage line, whichever file they
  // came from.
  uint64_t line_key = 0;
};

// A row as ScanUsage hands it to a sink: the text views are valid only during the call.
struct UsageRowView {
  int64_t line = 0;
  std::string_view customer_id;            // lower case
  std::string_view azure_subscription_id;  // lower case
  std::string_view meter_category;
  std::string_view currency;  // upper case
  int32_t day = 0;            // yyyymmdd
  Decimal quantity;
  Decimal charge;
  Decimal partner_cost;
  std::optional<Decimal> exchange_rate;  // PCToBCExchangeRate (Partner Center rows: 1 if absent)
  uint64_t line_key = 0;
};

// "YYYY-MM-DD" of a yyyymmdd day.
std::string FormatDay(int32_t day);

// The row as a value.
UsageRow ToUsageRow(const UsageRowView& row);

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
// An open file, read with pread from offset 0 (each source from the start); `fd` must stay open
// while the source is used. `name` is for messages.
std::unique_ptr<ByteSource> DescriptorSource(int fd, std::string name);

struct ReaderOptions {
  std::string file_name = "input";  // used in error messages
  // The container the caller declared (e.g. from Content-Type); kAuto detects it.
  enum class Container { kAuto, kCsv, kJsonLines } container = Container::kAuto;
  size_t chunk_bytes = 1 << 20;  // text per parse chunk (it and its masks fit in L2)
  int threads = 2;               // chunks parsed in parallel
  // The installation's key of UsageRow::line_key (the import reads it from billing_keys).
  LineIdentityKey line_identity = LineIdentityKey::Public();
  // Gzip input (a compression bomb costs the reader time, not memory): the decoded bytes may be
  // at most max_expanded_bytes, and, once kRatioFloorBytes are decoded, at most
  // max_expansion_ratio times the compressed bytes read so far. Beyond either the read stops at
  // once with PayloadTooLarge naming the limit (configuration keys
  // billing.import_max_expanded_bytes and billing.import_max_expansion_ratio).
  static constexpr uint64_t kRatioFloorBytes = 16 << 20;
  uint64_t max_expanded_bytes = uint64_t{16} << 30;
  uint64_t max_expansion_ratio = 200;
  // The usage days accepted (yyyymmdd, inclusive): from min_day through max_day; max_day 0 is
  // the last day of the month after the current one (UTC, when the file is opened). Rows
  // outside are rejected: Partner Center rates usage of the past, never of the far future.
  int32_t min_day = 20000101;
  int32_t max_day = 0;
};

// Receives the rows of the chunks one ScanUsage worker parses, on that worker's thread only.
class UsageSink {
 public:
  virtual ~UsageSink() = default;
  // A non-OK status stops the scan and becomes its result (a sum that overflows, say).
  virtual Status Row(const UsageRowView& row) = 0;
  virtual void Reject(RowError error) = 0;
};

struct ScanResult {
  UsageFormat format = UsageFormat::kPartnerCenterCsv;
  std::string digest;  // SHA-256 (hex) of the raw bytes, as `sha256sum` prints it
};

// Reads the whole source with one reading thread and sinks.size() parsing threads, each handing
// its rows to its own sink (a sink sees its chunks in file order; chunks are shared out in
// turn). Memory: two chunks per worker plus one, whatever the file size. With stop_on_reject
// the scan stops reading after the first rejected row; the chunks already handed out are
// finished, so the file's first bad row is among those rejected. Errors as UsageReader's.
Result<ScanResult> ScanUsage(std::unique_ptr<ByteSource> source, const ReaderOptions& options,
                             const std::vector<UsageSink*>& sinks, bool stop_on_reject = false);

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

// The bounds of what Partner Center (or a FOCUS export) can send, checked on every row; a value
// outside is a RowError naming the value and the bound:
//   Quantity / PricingQuantity: |q| < 10^12; negative only on a credit or refund row (Partner
//     Center: ChargeType naming a refund, credit, cancellation, correction or adjustment; FOCUS:
//     ChargeClass Correction or ChargeCategory Credit or Adjustment).
//   UnitPrice / ListUnitPrice: 0 <= p < 10^9.
//   BillingPreTaxTotal, BilledCost, ListCost: |c| < 10^15.
//   Every number: at most 20 digits after the point.
//   UsageDate / ChargePeriodStart: a real date and time (see ParseUsageDay), within
//     ReaderOptions::min_day..max_day.
inline constexpr int kMaxQuantityDigits = 12;
inline constexpr int kMaxUnitPriceDigits = 9;
inline constexpr int kMaxCostDigits = 15;
inline constexpr int kMaxUsageScale = 20;

// The usage day (yyyymmdd) of a date as usage files write it: "2024-09-01", RFC 3339
// "2024-09-01T00:00:00Z" (with an offset: the UTC day), "2024-09-01 00:00:00" (FOCUS samples),
// or US "9/2/2024" with an optional time "12:00:00 AM" / "13:05:00". 0 when it is not a real
// date and time ("2026-11-20T25:61:61Z"), with the reason in `why`.
int32_t ParseUsageDay(std::string_view text, std::string* why = nullptr);

// Parses a number the way usage files write it. Plain decimals always; E-notation only when
// `allow_exponent` (FOCUS, JSON), converted exactly. On failure returns the reason naming the
// value: `"1e309" is not a plain decimal number`, `"-0" is a negative zero`, ...
Result<Decimal> ParseUsageNumber(std::string_view text, bool allow_exponent);

// True if `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace pc::billing
