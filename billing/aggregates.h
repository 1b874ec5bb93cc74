// Month-to-date aggregates (issue 14): per (billing alias, month) the priced charge per day, meter
// category and Azure subscription, per currency (tables billing_mtd_months and billing_mtd,
// migration 0081), maintained in the same transaction as every change to usage_rollups and every
// pricing rule, so that the billing summary, its estimate and forecast and the month close read a
// few indexed rows instead of the month's rollups.
//
// Exactness: an aggregate row holds the exact sum, over the month's rollup rows that
// LoadPricedRollups returns (charges.h), of their charge after the pricing rule of their day, and
// how many rows of each decimal scale it sums, so that it prints with the scale the full sum has
// ("1.50" stays "1.50", "1.5" stays "1.5"). Each rollup change adds priced(new) - priced(old).
//
// Who maintains them:
//   - the usage import and the attribution of kept-aside usage, through AggregateWriter (their
//     rollup writes, in the same transaction);
//   - anything else that writes usage_rollups (SQL by hand, tests) or pricing_rules: triggers
//     (migration 0082) mark the months it touches stale; a stale month reads from the rollups
//     (the full computation) until RefreshStaleAggregates rebuilds it, which every import, every
//     pricing rule and the service's start do.
// Thread-safe; AggregateWriter is one transaction's.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/decimal.h"
#include "core/result.h"
#include "core/time.h"
#include "store/store.h"

namespace pc::billing {

// One usage_rollups row before and after a write. live: the row counts as usage (not a group a
// snapshot emptied: line_count 0 with zero quantity and charge); a row that did not exist is not
// live.
struct RollupChange {
  std::string billing_alias, azure_subscription_id, meter_category, day, currency;
  Decimal old_charge, new_charge;  // list-price charges, before pricing rules
  bool old_live = false, new_live = false;
};

// Whether a rollup row with these values is usage (LoadPricedRollups's rule).
bool RollupIsLive(int64_t line_count, const Decimal& quantity, const Decimal& charge);

// A transaction's maintenance of the aggregates: Begin before its first rollup write (its own
// writes then leave months unmarked), Record every rollup change, Finish before commit (applies
// them, then rebuilds any stale month). A transaction that fails is rolled back whole.
class AggregateWriter {
 public:
  static Result<AggregateWriter> Begin(store::Transaction& tx);
  void Record(RollupChange change) { changes_.push_back(std::move(change)); }
  Status Finish();

 private:
  AggregateWriter(store::Transaction& tx, std::string id) : tx_(&tx), id_(std::move(id)) {}
  store::Transaction* tx_;
  std::string id_;
  std::vector<RollupChange> changes_;
};

// Rebuilds every month marked stale from the rollups. Returns how many were rebuilt.
Result<int64_t> RefreshStaleAggregates(store::Transaction& tx);
// The same in its own transaction (the service's start).
Result<int64_t> RefreshStaleAggregates(store::Database& db);

// A month's aggregates, per currency: item -> exact priced charge, for each dimension.
struct MonthAggregate {
  struct Sums {
    std::map<std::string, Decimal> by_day;  // YYYY-MM-DD
    std::map<std::string, Decimal> by_meter_category;
    std::map<std::string, Decimal> by_subscription;
  };
  std::map<std::string, Sums> by_currency;
  // billing_mtd_months.generation when read: a new UUID at every change of the month's rows;
  // "" when the month has none yet (a value computed from it is then not kept).
  std::string generation;
};

// The month's aggregates of `alias`, or nullopt when the month is stale (the caller computes
// from the rollups). An alias-month without usage is an empty MonthAggregate. Costs one indexed
// row when this process read the month's rows at their current generation before (an in-memory
// copy, bounded, checked against the database on every call: never stale, on any instance).
Result<std::optional<MonthAggregate>> LoadMonthAggregate(store::Transaction& tx,
                                                         const std::string& alias, YearMonth month);

// The month's exact charges per currency of every alias with usage in it (the month close):
// from the aggregates, and from the rollups for a stale month.
Result<std::map<std::string, std::map<std::string, Decimal>>> MonthTotalsByAlias(
    store::Transaction& tx, YearMonth month);

}  // namespace pc::billing
