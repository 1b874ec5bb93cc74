#include "billing/aggregates.h"

#include <algorithm>
#include <memory>
#include <set>

#include "billing/charges.h"
#include "billing/pricing.h"
#include "core/uuid.h"
#include "core/versioned_cache.h"

namespace pc::billing {

namespace {

constexpr std::string_view kDay = "day", kCategory = "category", kSubscription = "subscription";

// (dimension, item, currency)
using AggKey = std::tuple<std::string, std::string, std::string>;

// An aggregate row: the exact sum, and how many rollup rows of each decimal scale it sums.
struct AggSums {
  Decimal charge;
  std::map<int, int64_t> scales;
  int64_t rollups = 0;
  bool changed = false;
};

std::string ScalesText(const std::map<int, int64_t>& scales) {
  std::string out;
  for (const auto& [scale, n] : scales) {
    if (n == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::to_string(scale) + ":" + std::to_string(n);
  }
  return out;
}

Result<std::map<int, int64_t>> ParseScales(const std::string& text) {
  std::map<int, int64_t> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = std::min(text.find(' ', at), text.size());
    size_t colon = text.find(':', at);
    if (colon == std::string::npos || colon >= end) {
      return Internal("billing_mtd.scales is malformed: " + text);
    }
    out[std::stoi(text.substr(at, colon - at))] = std::stoll(text.substr(colon + 1, end - colon));
    at = end + 1;
  }
  return out;
}

// The largest scale with rows (0 when none): the scale of the full sum.
int MaxScale(const std::map<int, int64_t>& scales) {
  for (auto it = scales.rbegin(); it != scales.rend(); ++it) {
    if (it->second > 0) return it->first;
  }
  return 0;
}

// The sum printed with the scale the sum of its rows has: exact (the digits beyond are zeros).
Result<Decimal> WithScale(const Decimal& sum, int scale) { return sum.Rescale(scale); }

Status AddPriced(std::map<AggKey, AggSums>& sums, const std::string& sub,
                 const std::string& category, const std::string& day, const std::string& currency,
                 const Decimal& priced, int sign) {
  for (const AggKey& key : {AggKey{std::string(kDay), day, currency},
                            AggKey{std::string(kCategory), category, currency},
                            AggKey{std::string(kSubscription), sub, currency}}) {
    AggSums& s = sums[key];
    PC_ASSIGN_OR_RETURN(s.charge, sign > 0 ? s.charge.Add(priced) : s.charge.Sub(priced));
    s.scales[priced.scale()] += sign;
    s.rollups += sign;
    s.changed = true;
  }
  return {};
}

std::vector<store::Param> AliasMonth(const std::string& alias, const std::string& month) {
  return {alias, month};
}

Status MarkStale(store::Transaction& tx, const std::string& alias, const std::string& month) {
  PC_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO billing_mtd_months (billing_alias, month, stale) VALUES (?, ?, 1) "
                 "ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 1",
                 AliasMonth(alias, month)));
  return {};
}

// Writes the changed rows of `sums` (a row that sums nothing any more is deleted).
Status WriteSums(store::Transaction& tx, const std::string& alias, const std::string& month,
                 const std::map<AggKey, AggSums>& sums) {
  std::string sql;
  std::vector<store::Param> params;
  size_t in_batch = 0;
  auto flush = [&]() -> Status {
    if (in_batch == 0) return {};
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO billing_mtd (billing_alias, month, dimension, item, currency, charge, "
        "rollups, scales) VALUES " +
            sql +
            " ON CONFLICT (billing_alias, month, dimension, item, currency) DO UPDATE SET "
            "charge = excluded.charge, rollups = excluded.rollups, scales = excluded.scales",
        params));
    sql.clear();
    params.clear();
    in_batch = 0;
    return {};
  };
  for (const auto& [key, s] : sums) {
    if (!s.changed) continue;
    const auto& [dimension, item, currency] = key;
    if (s.rollups == 0) {
      PC_RETURN_IF_ERROR(tx.Execute(
          "DELETE FROM billing_mtd WHERE billing_alias = ? AND month = ? AND dimension = ? AND "
          "item = ? AND currency = ?",
          {alias, month, dimension, item, currency}));
      continue;
    }
    sql += in_batch == 0 ? "(?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?)";
    for (store::Param p : std::initializer_list<store::Param>{alias, month, dimension, item,
                                                              currency, s.charge.ToString(),
                                                              s.rollups, ScalesText(s.scales)}) {
      params.push_back(std::move(p));
    }
    if (++in_batch == 100) PC_RETURN_IF_ERROR(flush());
  }
  PC_RETURN_IF_ERROR(flush());
  // The rows changed: a copy any process keeps of them is no longer the month's.
  PC_RETURN_IF_ERROR(tx.Execute(
      "UPDATE billing_mtd_months SET generation = ? WHERE billing_alias = ? AND month = ?",
      {Uuid::V7().ToString(), alias, month}));
  return {};
}

// Rebuilds one month's aggregates from its rollups.
Status Rebuild(store::Transaction& tx, const std::string& alias, const std::string& month) {
  PC_ASSIGN_OR_RETURN(YearMonth ym, YearMonth::Parse(month));
  PC_ASSIGN_OR_RETURN(auto rows, LoadPricedRollups(tx, alias, ym));
  std::map<AggKey, AggSums> sums;
  for (const auto& r : rows) {
    PC_RETURN_IF_ERROR(
        AddPriced(sums, r.azure_subscription_id, r.meter_category, r.day, r.currency, r.charge, 1));
  }
  PC_RETURN_IF_ERROR(tx.Execute("DELETE FROM billing_mtd WHERE billing_alias = ? AND month = ?",
                                AliasMonth(alias, month)));
  PC_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO billing_mtd_months (billing_alias, month, stale) VALUES (?, ?, 0) "
                 "ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 0",
                 AliasMonth(alias, month)));
  return WriteSums(tx, alias, month, sums);  // after the month's row: it sets the generation
}

// The parsed aggregates of the months read last, by "alias|month", at the generation they were
// read at (billing_mtd_months.generation, a UUID: equal generations are equal rows, whatever the
// database).
VersionedCache<MonthAggregate>& Cache() {
  static VersionedCache<MonthAggregate> cache(4096);
  return cache;
}

Result<MonthAggregate> ReadMonthAggregate(store::Transaction& tx, const std::string& alias,
                                          const std::string& month) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT dimension, item, currency, charge, scales FROM billing_mtd "
                               "WHERE billing_alias = ? AND month = ?",
                               AliasMonth(alias, month)));
  MonthAggregate out;
  for (const auto& r : rows) {
    PC_ASSIGN_OR_RETURN(Decimal charge, Decimal::Parse(r.Text(3)));
    PC_ASSIGN_OR_RETURN(auto scales, ParseScales(r.Text(4)));
    PC_ASSIGN_OR_RETURN(charge, WithScale(charge, MaxScale(scales)));
    auto& sums = out.by_currency[r.Text(2)];
    const std::string& dimension = r.Text(0);
    auto& into = dimension == kDay        ? sums.by_day
                 : dimension == kCategory ? sums.by_meter_category
                                          : sums.by_subscription;
    into[r.Text(1)] = charge;
  }
  return out;
}

}  // namespace

bool RollupIsLive(int64_t line_count, const Decimal& quantity, const Decimal& charge) {
  return !(line_count == 0 && quantity.IsZero() && charge.IsZero());
}

Result<AggregateWriter> AggregateWriter::Begin(store::Transaction& tx) {
  std::string id = Uuid::V7().ToString();
  PC_RETURN_IF_ERROR(tx.Execute("INSERT INTO billing_mtd_writers (id) VALUES (?)", {id}));
  return AggregateWriter(tx, std::move(id));
}

Status AggregateWriter::Finish() {
  store::Transaction& tx = *tx_;
  // Per (alias, month), in key order (PostgreSQL locks the months' rows in that order).
  std::map<std::pair<std::string, std::string>, std::vector<const RollupChange*>> months;
  for (const auto& c : changes_) {
    if (c.old_live || c.new_live) months[{c.billing_alias, c.day.substr(0, 7)}].push_back(&c);
  }
  const std::string lock = tx.dialect() == store::Dialect::kPostgres ? " FOR UPDATE" : "";
  std::string rules_alias;
  std::vector<PricingRule> rules;
  for (const auto& [alias_month, changes] : months) {
    const auto& [alias, month] = alias_month;
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO billing_mtd_months (billing_alias, month, stale) VALUES (?, ?, 0) "
                   "ON CONFLICT (billing_alias, month) DO NOTHING",
                   AliasMonth(alias, month)));
    PC_ASSIGN_OR_RETURN(auto header, tx.Query("SELECT stale FROM billing_mtd_months WHERE "
                                              "billing_alias = ? AND month = ?" +
                                                  lock,
                                              AliasMonth(alias, month)));
    if (header.empty()) return Internal("billing_mtd_months row vanished inside the transaction");
    if (header[0].Int(0) != 0) continue;  // rebuilt below
    if (alias != rules_alias) {
      PC_ASSIGN_OR_RETURN(rules, LoadRulesFor(tx, alias));
      rules_alias = alias;
    }
    PC_ASSIGN_OR_RETURN(auto stored, tx.Query("SELECT dimension, item, currency, charge, scales, "
                                              "rollups FROM billing_mtd WHERE billing_alias = ? "
                                              "AND month = ?",
                                              AliasMonth(alias, month)));
    std::map<AggKey, AggSums> sums;
    for (const auto& r : stored) {
      AggSums& s = sums[{r.Text(0), r.Text(1), r.Text(2)}];
      PC_ASSIGN_OR_RETURN(s.charge, Decimal::Parse(r.Text(3)));
      PC_ASSIGN_OR_RETURN(s.scales, ParseScales(r.Text(4)));
      s.rollups = r.Int(5);
    }
    for (const RollupChange* c : changes) {
      const PricingRule* rule = RuleInEffect(rules, alias, c->meter_category, c->day);
      if (c->old_live) {
        PC_ASSIGN_OR_RETURN(Decimal priced, ApplyRule(c->old_charge, rule));
        PC_RETURN_IF_ERROR(AddPriced(sums, c->azure_subscription_id, c->meter_category, c->day,
                                     c->currency, priced, -1));
      }
      if (c->new_live) {
        PC_ASSIGN_OR_RETURN(Decimal priced, ApplyRule(c->new_charge, rule));
        PC_RETURN_IF_ERROR(AddPriced(sums, c->azure_subscription_id, c->meter_category, c->day,
                                     c->currency, priced, 1));
      }
    }
    bool consistent = true;
    for (const auto& [key, s] : sums) {
      bool scales_ok = std::all_of(s.scales.begin(), s.scales.end(),
                                   [](const auto& e) { return e.second >= 0; });
      if (s.rollups < 0 || !scales_ok || (s.rollups == 0 && !s.charge.IsZero())) {
        consistent = false;
      }
    }
    if (!consistent) {  // not what the rollups say: rebuilt from them below
      PC_RETURN_IF_ERROR(MarkStale(tx, alias, month));
      continue;
    }
    PC_RETURN_IF_ERROR(WriteSums(tx, alias, month, sums));
  }
  changes_.clear();
  PC_RETURN_IF_ERROR(tx.Execute("DELETE FROM billing_mtd_writers WHERE id = ?", {id_}));
  PC_ASSIGN_OR_RETURN(int64_t rebuilt, RefreshStaleAggregates(tx));
  (void)rebuilt;
  return {};
}

Result<int64_t> RefreshStaleAggregates(store::Transaction& tx) {
  const std::string lock = tx.dialect() == store::Dialect::kPostgres ? " FOR UPDATE" : "";
  PC_ASSIGN_OR_RETURN(auto stale, tx.Query("SELECT billing_alias, month FROM billing_mtd_months "
                                           "WHERE stale = 1 ORDER BY billing_alias, month" +
                                           lock));
  for (const auto& r : stale) PC_RETURN_IF_ERROR(Rebuild(tx, r.Text(0), r.Text(1)));
  return static_cast<int64_t>(stale.size());
}

Result<int64_t> RefreshStaleAggregates(store::Database& db) {
  return db.InTransaction<int64_t>(
      [](store::Transaction& tx) { return RefreshStaleAggregates(tx); });
}

Result<std::optional<MonthAggregate>> LoadMonthAggregate(store::Transaction& tx,
                                                         const std::string& alias,
                                                         YearMonth month) {
  const std::string month_text = month.ToString();
  PC_ASSIGN_OR_RETURN(auto header, tx.Query("SELECT stale, generation FROM billing_mtd_months "
                                            "WHERE billing_alias = ? AND month = ?",
                                            AliasMonth(alias, month_text)));
  if (header.empty()) return std::optional<MonthAggregate>(MonthAggregate{});
  if (header[0].Int(0) != 0) return std::optional<MonthAggregate>();
  const std::string& generation = header[0].Text(1);
  const std::string key = alias + "|" + month_text;
  if (!generation.empty()) {
    if (auto cached = Cache().Find(key, generation)) return std::optional<MonthAggregate>(*cached);
  }
  PC_ASSIGN_OR_RETURN(MonthAggregate read, ReadMonthAggregate(tx, alias, month_text));
  read.generation = generation;
  if (!generation.empty()) Cache().Put(key, generation, std::make_shared<MonthAggregate>(read));
  return std::optional<MonthAggregate>(std::move(read));
}

Result<std::map<std::string, std::map<std::string, Decimal>>> MonthTotalsByAlias(
    store::Transaction& tx, YearMonth month) {
  std::map<std::string, std::map<std::string, Decimal>> out;
  PC_ASSIGN_OR_RETURN(auto stale, tx.Query("SELECT billing_alias FROM billing_mtd_months WHERE "
                                           "month = ? AND stale = 1",
                                           {month.ToString()}));
  std::set<std::string> stale_aliases;
  for (const auto& r : stale) stale_aliases.insert(r.Text(0));
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT billing_alias, currency, charge FROM billing_mtd "
                                          "WHERE month = ? AND dimension = 'day'",
                                          {month.ToString()}));
  for (const auto& r : rows) {
    if (stale_aliases.contains(r.Text(0))) continue;
    PC_ASSIGN_OR_RETURN(Decimal charge, Decimal::Parse(r.Text(2)));
    Decimal& total = out[r.Text(0)][r.Text(1)];
    PC_ASSIGN_OR_RETURN(total, total.Add(charge));
  }
  for (const auto& alias : stale_aliases) {
    PC_ASSIGN_OR_RETURN(auto priced, LoadPricedRollups(tx, alias, month));
    for (const auto& p : priced) {
      Decimal& total = out[alias][p.currency];
      PC_ASSIGN_OR_RETURN(total, total.Add(p.charge));
    }
  }
  return out;
}

}  // namespace pc::billing
