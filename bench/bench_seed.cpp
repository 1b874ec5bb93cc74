// Seeds a database for bench/api.sh and bench/month_close.sh (benchmark tool, not a test):
// a customer organization "Bench Customers" owning N billing aliases (B001, B002, ... in base
// 36), each billed for one Azure subscription, and writes a Partner Center daily rated usage CSV
// with a month of generated usage for every one of them (sandbox/usage.h), to be imported with
// `partnercloud usage import` like any other file.
//   bench_seed DATABASE_URL ALIASES RESOURCES MONTH OUT.csv
// MONTH is YYYY-MM (the whole month) or "current" (this month from the 1st to yesterday).
// RESOURCES is the lines per meter, subscription and day (2 to 6 meters a day): about
// 4 x RESOURCES x days lines per alias.
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "core/time.h"
#include "core/uuid.h"
#include "sandbox/usage.h"
#include "store/store.h"

using namespace pc;

namespace {

std::string Alias(int i) {
  const char* digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string out = "B000";
  for (int pos = 3; pos >= 1; --pos, i /= 36) out[pos] = digits[i % 36];
  return out;
}

int Fail(const std::string& message) {
  std::cerr << "bench_seed: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    return Fail("usage: bench_seed DATABASE_URL ALIASES RESOURCES MONTH|current OUT.csv");
  }
  std::string url = argv[1];
  int aliases = std::atoi(argv[2]);
  int resources = std::atoi(argv[3]);
  std::string month_arg = argv[4];
  if (aliases < 1 || aliases > 36 * 36 * 36 - 1) return Fail("ALIASES must be 1..46655");
  Timestamp first_day, until;
  if (month_arg == "current") {
    until = std::chrono::floor<std::chrono::days>(Now());
    YearMonth month = YearMonth::Containing(until);
    first_day = month.Start() < until ? month.Start() : month.Prev().Start();
  } else {
    auto month = YearMonth::Parse(month_arg);
    if (!month.ok()) return Fail(month.error().message);
    first_day = month->Start();
    until = month->End();
  }
  auto db = store::Database::Open(url);
  if (!db.ok()) return Fail(db.error().message);
  if (auto st = (*db)->Migrate(); !st.ok()) return Fail(st.error().message);

  std::string now = FormatTimestamp(Now());
  std::vector<sandbox::UsageSubscription> subs;
  Status st = (*db)->InTransaction([&](store::Transaction& tx) -> Status {
    std::string org_id = Uuid::V7().ToString();
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO organizations (id, name, kind, created_at) VALUES (?, ?, ?, ?)",
                   {org_id, std::string("Bench Customers"), std::string("customer"), now}));
    for (int i = 1; i <= aliases; ++i) {
      sandbox::UsageSubscription s;
      s.customer_id = Uuid::V4().ToString();
      s.customer_name = "Bench Customer " + std::to_string(i);
      s.customer_domain = "bench" + std::to_string(i) + ".onmicrosoft.com";
      s.customer_country = "US";
      s.plan_subscription_id = Uuid::V4().ToString();
      s.azure_subscription_id = Uuid::V4().ToString();
      s.created = first_day;
      std::string alias = Alias(i);
      PC_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
          "account_snapshot, tenant_domain, customer_id, plan_subscription_id, created_at, "
          "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {alias, org_id, s.customer_name, s.customer_country, std::string("{}"), s.customer_domain,
           s.customer_id, s.plan_subscription_id, now, now}));
      PC_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, billing_alias, "
          "organization_id, created_at) VALUES (?, ?, ?, ?, ?)",
          {s.azure_subscription_id, s.customer_id, alias, org_id, now}));
      subs.push_back(std::move(s));
    }
    return Status{};
  });
  if (!st.ok()) return Fail(st.error().message);

  std::ofstream out(argv[5]);
  int64_t rows = sandbox::GenerateUsageCsv(out, std::numeric_limits<int64_t>::max(), subs, 1,
                                           resources, first_day, until);
  out.flush();
  if (!out) return Fail(std::string("cannot write ") + argv[5]);
  std::cerr << "bench_seed: " << aliases << " aliases (" << Alias(1) << " .. " << Alias(aliases)
            << "), " << rows << " usage lines from " << FormatTimestamp(first_day).substr(0, 10)
            << " to " << FormatTimestamp(until).substr(0, 10) << " (exclusive)\n";
  return 0;
}
