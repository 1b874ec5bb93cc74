// Month close: each billing alias's charges of a month become one invoice line, "Integrated
// Azure Services Usage", posted to the CenturyLink Cloud invoice sink exactly once.
//
// Exactly once, across processes and crashes:
//   1. One transaction claims the month (a row in billing_closes; a second close, here or in
//      another process, finds it and creates nothing), computes every line and records each as
//      an 'intent' with its idempotency key (alias + month + kind + currency).
//   2. Each intent is posted to the sink with that key and then marked 'posted'. The sink is
//      idempotent on the key, so a crash between the post and the mark re-posts the same key
//      and body, which the sink answers with the line it already has.
// A closed month never changes. Usage of a closed month that arrives later is billed at the
// next close as "Update to Previous Month Microsoft Azure Services" carrying exactly the
// difference between the month's total now and what its lines billed. Each line is rounded
// once, half-up, to the currency's minor unit; the exact sums are never rounded before.
// Thread-safe (no state of its own).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "core/time.h"
#include "identity/identity.h"
#include "store/store.h"

namespace pc::billing {

inline constexpr std::string_view kUsageLineDescription = "Integrated Azure Services Usage";
inline constexpr std::string_view kUpdateLineDescription =
    "Update to Previous Month Microsoft Azure Services";

struct InvoiceLine {
  std::string key;  // idempotency key
  std::string billing_alias;
  std::string invoice_month;  // YYYY-MM: the close that produced it (the CLC invoice month)
  std::string usage_month;    // YYYY-MM: the usage it bills
  std::string kind;           // "usage" or "update"
  std::string description;
  std::string currency;
  std::string amount;  // decimal text with the currency's minor-unit places
  std::string state;   // "intent" or "posted"
  std::string created_at;
  std::optional<std::string> posted_at;
};

// Posts one line to the invoice sink; must be idempotent on line.key. Errors are reported and
// the line stays an intent, posted again by the next PostPendingLines.
using LinePoster = std::function<Status(const InvoiceLine& line)>;

struct CloseReport {
  std::string month;
  bool already_closed = false;        // the month was closed before: no line was created
  std::vector<InvoiceLine> created;   // lines this close recorded
  int64_t posted = 0;                 // intents posted by this call (any month's)
  std::vector<std::string> failures;  // posts that failed (they stay intents)
  // What an operator must look at: an alias with usage in several currencies in the month
  // (its amounts are never summed across currencies: one line per currency).
  std::vector<std::string> warnings;
};

// Serializes, on PostgreSQL, the transactions that close months or change what a closed month
// is worth (pricing rules): two closes running at once would both bill the same late usage.
// Call first in the transaction. (SQLite write transactions are serialized already.)
Status LockBillingCloses(store::Transaction& tx);

// Closes `month` (operators or the system only: PermissionDenied) and posts pending lines.
// FailedPrecondition when the month has not ended at `now`. A month closed before is not
// changed (already_closed); its pending lines are still posted.
Result<CloseReport> CloseMonth(store::Database& db, const identity::Principal& who, YearMonth month,
                               Timestamp now, const LinePoster& post);

// Posts every recorded intent and marks it posted. Returns how many were posted; failures are
// appended to `failures`.
Result<int64_t> PostPendingLines(store::Database& db, const LinePoster& post,
                                 std::vector<std::string>& failures);

// The months a scheduler should close at `now`: every month that ended at least `grace` ago,
// is not closed, and is the previous month or has usage; oldest first.
Result<std::vector<YearMonth>> MonthsToClose(store::Database& db, Timestamp now,
                                             std::chrono::seconds grace);

// The invoice lines of an alias, newest invoice month first. Authorization is the caller's
// (CheckAliasAccess).
Result<std::vector<InvoiceLine>> ListInvoiceLines(store::Transaction& tx, const std::string& alias);

// The same for `who`, in its own transaction: CheckAliasAccess (charges.h) first.
Result<std::vector<InvoiceLine>> AliasInvoiceLines(store::Database& db,
                                                   const identity::Principal& who,
                                                   const std::string& alias);

json::object ToJson(const InvoiceLine& line);
json::object ToJson(const CloseReport& report);

}  // namespace pc::billing
