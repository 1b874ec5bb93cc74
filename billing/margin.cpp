#include "billing/margin.h"

#include <map>

#include "billing/charges.h"
#include "billing/csv_writer.h"
#include "core/money.h"

namespace pc::billing {

namespace {

Decimal Rounded(const Decimal& v, int places) {
  auto r = v.Rescale(std::max(v.scale(), places));
  return (r.ok() ? *r : v).RoundHalfUp(places);
}

}  // namespace

Result<std::vector<MarginLine>> MonthMargins(store::Database& db, const identity::Principal& who,
                                             YearMonth month) {
  if (who.via != identity::Principal::Via::kSystem && who.user.role != identity::Role::kOperator) {
    return PermissionDenied("Only operators can see the partner's margin");
  }
  return db.InTransaction<std::vector<MarginLine>>(
      [&](store::Transaction& tx) -> Result<std::vector<MarginLine>> {
        PC_ASSIGN_OR_RETURN(auto aliases,
                            tx.Query("SELECT DISTINCT billing_alias FROM usage_rollups WHERE "
                                     "usage_day >= ? AND usage_day < ? ORDER BY billing_alias",
                                     {month.ToString() + "-01", month.Next().ToString() + "-01"}));
        std::vector<MarginLine> out;
        for (const auto& a : aliases) {
          PC_ASSIGN_OR_RETURN(auto rows, LoadPricedRollups(tx, a.Text(0), month));
          std::map<std::string, MarginLine> by_currency;
          for (const auto& r : rows) {
            auto& m = by_currency[r.currency];
            PC_ASSIGN_OR_RETURN(m.partner_cost, m.partner_cost.Add(r.partner_cost));
            PC_ASSIGN_OR_RETURN(m.customer_price, m.customer_price.Add(r.charge));
          }
          for (auto& [currency, m] : by_currency) {
            m.billing_alias = a.Text(0);
            m.month = month.ToString();
            m.currency = currency;
            auto code = Currency::FromCode(currency);
            m.minor_unit = code.ok() ? code->minor_unit : 2;
            m.partner_cost_rounded = Rounded(m.partner_cost, m.minor_unit);
            m.customer_price_rounded = Rounded(m.customer_price, m.minor_unit);
            PC_ASSIGN_OR_RETURN(m.margin_rounded,
                                m.customer_price_rounded.Sub(m.partner_cost_rounded));
            out.push_back(std::move(m));
          }
        }
        return out;
      });
}

json::object ToJson(const MarginLine& m) {
  return json::object{{"billingAlias", m.billing_alias},
                      {"month", m.month},
                      {"currency", m.currency},
                      {"partnerCost", m.partner_cost_rounded.ToString()},
                      {"customerPrice", m.customer_price_rounded.ToString()},
                      {"margin", m.margin_rounded.ToString()},
                      {"partnerCostExact", m.partner_cost.ToString()},
                      {"customerPriceExact", m.customer_price.ToString()}};
}

std::string MarginCsv(const std::vector<MarginLine>& lines) {
  CsvWriter csv;
  csv.Header({"BillingAlias", "Month", "Currency", "PartnerCost", "CustomerPrice", "Margin",
              "PartnerCostExact", "CustomerPriceExact"});
  for (const auto& m : lines) {
    csv.Text(m.billing_alias).Text(m.month).Text(m.currency);
    csv.Number(m.partner_cost_rounded).Number(m.customer_price_rounded).Number(m.margin_rounded);
    csv.Number(m.partner_cost).Number(m.customer_price);
    csv.EndRow();
  }
  return csv.Take();
}

}  // namespace pc::billing
