// Budgets on SQLite and PostgreSQL: thresholds crossed by a usage import alert once, with the
// billing page's figures, by email (the outbox) and never again for the same usage; changes
// re-arm; the pace rule at its boundary; subscription budgets; who may do what; bad input.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "billing/charges.h"
#include "billing/usage_import.h"
#include "budgets/budget.h"
#include "budgets/evaluation.h"
#include "store/migrated_database_test.h"
#include "webhooks/webhook_service.h"

namespace pc::budgets {
namespace {

using identity::Principal;
using identity::Role;
using store::TestBackend;

const std::string kHeader =
    "PartnerId,CustomerId,EntitlementId,UsageDate,MeterCategory,ResourceURI,UnitPrice,Quantity,"
    "BillingPreTaxTotal,BillingCurrency,Tags,BenefitId\r\n";

class BudgetsTest : public store::MigratedDatabaseTest {
 protected:
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    identity_ = std::make_unique<identity::IdentityService>(*db_);
    acme_admin_ = Person("Acme", "admin@acme.example", Role::kOrgAdmin);
    acme_member_ = Person("Acme", "dev@acme.example", Role::kOrgMember);
    brit_admin_ = Person("Britannia", "admin@brit.example", Role::kOrgAdmin);
    operator_ = Person("Partner", "ops@partner.example", Role::kOperator, "partner");
    agent_ = Person("Partner", "agent@partner.example", Role::kSupportAgent, "partner");
    for (auto [alias, who] : {std::pair{"ACME", &acme_admin_}, {"BRIT", &brit_admin_}}) {
      Exec(
          "INSERT INTO billing_aliases (alias, organization_id, company_name, country, "
          "account_snapshot, created_at, updated_at) VALUES (?, ?, 'x', 'US', '{}', '', '')",
          {std::string(alias), who->organization.id});
    }
    Exec(
        "INSERT INTO azure_subscriptions_map (azure_subscription_id, customer_id, billing_alias) "
        "VALUES ('sub-a', 'cust-1', 'ACME'), ('sub-b', 'cust-1', 'ACME'), "
        "('sub-z', 'cust-2', 'BRIT')");
    month_ = YearMonth::Containing(Now());
  }

  Principal Person(const std::string& org_name, const std::string& email, Role role,
                   const std::string& kind = "customer") {
    auto org = identity_->FindOrganizationByName(org_name);
    if (!org.ok()) org = identity_->CreateOrganization(identity::SystemPrincipal(), org_name, kind);
    EXPECT_TRUE(org.ok()) << org.error().message;
    auto user = identity_->CreateUser(identity::SystemPrincipal(),
                                      identity::NewUser{org->id, email, email, role, "password-1"});
    EXPECT_TRUE(user.ok()) << user.error().message;
    Principal p;
    p.user = *user;
    p.organization = *org;
    return p;
  }

  void Exec(const std::string& sql, const std::vector<store::Param>& params = {}) {
    auto st = db_->InTransaction([&](store::Transaction& tx) -> Status {
      PC_RETURN_IF_ERROR(tx.Execute(sql, params));
      return {};
    });
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  int64_t Count(const std::string& sql, const std::vector<store::Param>& params = {}) {
    auto rows = db_->InTransaction<store::Rows>(
        [&](store::Transaction& tx) { return tx.Query(sql, params); });
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? (*rows)[0].Int(0) : -1;
  }

  std::string Day(int d) const {
    return month_.ToString() + (d < 10 ? "-0" : "-") + std::to_string(d);
  }

  // A usage line of `charge` (price × 1) on day `d`.
  std::string Line(const std::string& sub, int d, const std::string& id,
                   const std::string& charge) const {
    std::string customer = sub == "sub-z" ? "cust-2" : "cust-1";
    return "p," + customer + "," + sub + "," + Day(d) + "T00:00:00Z,Storage,/r/" + id + "," +
           charge + ",1,0,USD,,\r\n";
  }

  billing::ImportReport Import(const std::string& csv) {
    billing::ImportOptions options;
    options.file_name = "usage.csv";
    options.after_import = EvaluateAfterImport;
    auto report = billing::ImportUsage(
        *db_, identity::SystemPrincipal(),
        [&csv]() -> Result<std::unique_ptr<billing::ByteSource>> {
          return billing::MemorySource(csv);
        },
        options);
    EXPECT_TRUE(report.ok()) << report.error().message;
    return report.ok() ? *report : billing::ImportReport{};
  }

  // The billing page's figures (GET /api/v1/billing/ACME).
  json::object Page(const std::string& alias = "ACME") {
    auto s = billing::SummarizeAliasMonth(*db_, operator_, alias, month_);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? json::parse((*s)->json).as_object() : json::object{};
  }

  Budget Create(const std::string& body, const Principal& who) {
    auto parsed = BudgetFromJson(ParseJsonObject(body).value());
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    auto created = CreateBudget(*db_, who, *parsed);
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.ok() ? *created : Budget{};
  }

  std::vector<Alert> Alerts(const Budget& b) {
    auto alerts = db_->InTransaction<std::vector<Alert>>(
        [&](store::Transaction& tx) { return LoadAlerts(tx, b.id); });
    EXPECT_TRUE(alerts.ok()) << alerts.error().message;
    return alerts.ok() ? *alerts : std::vector<Alert>{};
  }

  // 70% of 1000.00 with a forecast under 100% whatever the month's length: 693.00 on the 1st,
  // then 1.00 a day from the 15th to the 21st (forecast 700 + days left after the 21st).
  std::string SeventyPercent() const {
    std::string csv = kHeader + Line("sub-a", 1, "big", "693");
    for (int d = 15; d <= 21; ++d) csv += Line("sub-a", d, "d" + std::to_string(d), "1");
    return csv;
  }
  // Then 250.00 on the 22nd: 95% actual, and a forecast above 100% (256 over the last 7 days).
  std::string NinetyFivePercent() const { return kHeader + Line("sub-a", 22, "late", "250"); }

  std::unique_ptr<identity::IdentityService> identity_;
  Principal acme_admin_, acme_member_, brit_admin_, operator_, agent_;
  YearMonth month_;
};

constexpr const char* kAcmeBudget =
    R"({"alias":"ACME","name":"Acme monthly","amount":"1000","thresholds":[
        {"percent":"80","kind":"actual"},{"percent":"100","kind":"forecast"}]})";

TEST_P(BudgetsTest, AnImportFrom70To95PercentAlertsTheTwoThresholdsOnceWithThePageFigures) {
  // Acme's endpoint for the event, as its admin subscribes one (webhooks/webhook_service.h).
  SecretBox secrets = SecretBox::Random();
  webhooks::WebhookService hooks(*db_, secrets, webhooks::TargetPolicy{});
  auto endpoint = hooks.Create(
      acme_admin_, {"https://hooks.acme.example/budgets", {"budget.threshold_crossed"}, "alerts"});
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  Budget b = Create(kAcmeBudget, acme_admin_);
  EXPECT_EQ(b.amount.ToString(), "1000.00");
  EXPECT_EQ(b.recipients, std::vector<std::string>{"admin@acme.example"});  // the creator

  auto first = Import(SeventyPercent());
  EXPECT_EQ(first.billing_aliases, std::vector<std::string>{"ACME"});
  EXPECT_EQ(std::string(Page().at("mtd").as_string()), "700.00");
  EXPECT_TRUE(Alerts(b).empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox_emails"), 0);

  Import(NinetyFivePercent());
  json::object page = Page();
  EXPECT_EQ(std::string(page.at("mtd").as_string()), "950.00");
  auto alerts = Alerts(b);
  ASSERT_EQ(alerts.size(), 2u);
  std::map<std::string, Alert> by_kind;
  for (const auto& a : alerts) by_kind[a.kind] = a;
  ASSERT_TRUE(by_kind.contains("actual") && by_kind.contains("forecast"));
  EXPECT_EQ(by_kind["actual"].percent, "80");
  EXPECT_EQ(by_kind["actual"].amount, "950.00");
  EXPECT_EQ(by_kind["forecast"].percent, "100");
  EXPECT_EQ(by_kind["forecast"].amount, std::string(page.at("forecast").as_string()));
  for (const auto& a : alerts) {
    EXPECT_EQ(a.budget_amount, "1000.00");
    EXPECT_EQ(a.as_of, std::string(page.at("asOf").as_string()));
    EXPECT_EQ(a.month, month_.ToString());
  }
  // One email per alert to the recipient, with the page's figures and their as-of time.
  auto emails = db_->InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query("SELECT to_address, subject, body FROM outbox_emails ORDER BY subject");
  });
  ASSERT_TRUE(emails.ok());
  ASSERT_EQ(emails->size(), 2u);
  for (const auto& e : *emails) {
    EXPECT_EQ(e.Text(0), "admin@acme.example");
    EXPECT_NE(e.Text(2).find("Month-to-date: 950.00 USD (95.00% of the budget)"), std::string::npos)
        << e.Text(2);
    EXPECT_NE(e.Text(2).find("Forecast for the month: " +
                             std::string(page.at("forecast").as_string()) + " USD"),
              std::string::npos);
    EXPECT_NE(e.Text(2).find("As of: " + std::string(page.at("asOf").as_string())),
              std::string::npos);
  }
  EXPECT_NE((*emails)[0].Text(1).find("is forecast to reach 100%"), std::string::npos);
  // One webhook event per alert, queued for Acme's endpoint, with the same figures.
  auto events = db_->InTransaction<store::Rows>([](store::Transaction& tx) {
    return tx.Query(
        "SELECT e.type, e.payload FROM webhook_events e JOIN webhook_deliveries d "
        "ON d.event_id = e.event_id ORDER BY e.event_id");
  });
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  std::set<std::string> event_kinds;
  for (const auto& e : *events) {
    EXPECT_EQ(e.Text(0), "budget.threshold_crossed");
    auto payload = ParseJson(e.Text(1)).value();
    const auto& alert = payload.at("data").at("alert").as_object();
    event_kinds.insert(std::string(alert.at("kind").as_string()));
    EXPECT_EQ(alert.at("actual").as_string(), "950.00");
    EXPECT_EQ(alert.at("forecast").as_string(), page.at("forecast").as_string());
    EXPECT_EQ(alert.at("asOf").as_string(), page.at("asOf").as_string());
    EXPECT_EQ(payload.at("data").at("budgetId").as_string(), b.id);
  }
  EXPECT_EQ(event_kinds, (std::set<std::string>{"actual", "forecast"}));
  EXPECT_NE((*emails)[1].Text(1).find("reached 80% of its budget (950.00 of 1000.00 USD)"),
            std::string::npos)
      << (*emails)[1].Text(1);

  // The same file again, the same lines in another file, and the hourly run: nothing more.
  EXPECT_TRUE(Import(NinetyFivePercent()).already_imported);
  std::string lf = NinetyFivePercent();  // the same lines with LF line ends: another file
  for (size_t at; (at = lf.find("\r\n")) != std::string::npos;) lf.replace(at, 2, "\n");
  EXPECT_FALSE(Import(lf).already_imported);
  auto hourly = EvaluateAllBudgets(*db_, Now());
  ASSERT_TRUE(hourly.ok()) << hourly.error().message;
  EXPECT_EQ(*hourly, 0);
  EXPECT_EQ(Alerts(b).size(), 2u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox_emails"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM webhook_deliveries"), 2);

  // The status beside the budget is the page's too.
  auto json = BudgetJson(*db_, b, Now());
  ASSERT_TRUE(json.ok());
  const auto& status = json->at("status").as_object();
  EXPECT_EQ(status.at("actual").as_string(), "950.00");
  EXPECT_EQ(status.at("percentActual").as_string(), "95.00");
  EXPECT_EQ(status.at("forecast").as_string(), page.at("forecast").as_string());
  EXPECT_EQ(json->at("alerts").as_array().size(), 2u);
}

TEST_P(BudgetsTest, AChangeOfAmountOrThresholdsReArmsAndOtherChangesDoNot) {
  Import(SeventyPercent());
  Budget b = Create(
      R"({"alias":"ACME","name":"Acme","amount":"1000","thresholds":[{"percent":"50","kind":"actual"}],
          "recipients":["a@acme.example","b@acme.example"]})",
      acme_admin_);
  // Created above what was spent: it alerts at once, to both recipients.
  ASSERT_EQ(Alerts(b).size(), 1u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox_emails"), 2);

  BudgetChanges rename;
  rename.name = "Acme renamed";
  rename.recipients = std::vector<std::string>{"c@acme.example"};
  ASSERT_TRUE(UpdateBudget(*db_, acme_admin_, b.id, rename).ok());
  EXPECT_EQ(Alerts(b).size(), 1u);

  BudgetChanges amount;
  amount.amount = Decimal::FromInt(1200);  // 700 is still above 50% of 1200: alerts again
  auto updated = UpdateBudget(*db_, acme_admin_, b.id, amount);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->arming, 2);
  auto alerts = Alerts(b);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].budget_amount, "1200.00");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox_emails WHERE to_address = 'c@acme.example'"), 1);

  BudgetChanges higher;
  higher.thresholds = std::vector<Threshold>{{Decimal::FromInt(90), ThresholdKind::kActual}};
  ASSERT_TRUE(UpdateBudget(*db_, acme_admin_, b.id, higher).ok());
  EXPECT_EQ(Alerts(b).size(), 2u);  // re-armed, not crossed
}

TEST_P(BudgetsTest, PaceAlertsOnlyAboveTheShareOfTheMonthPlusTolerance) {
  // 100.00 a day of budget, 10% tolerance, usage through the 3rd: the share is 300.00 and the
  // limit 330.00; exactly at the limit is not above it, a cent more is.
  const int d = month_.DaysInMonth();
  Budget b = Create(R"({"alias":"ACME","name":"Pace","amount":")" + std::to_string(d * 100) +
                        R"(","pace":{"enabled":true,"tolerancePercent":"10"}})",
                    acme_admin_);
  Import(kHeader + Line("sub-a", 1, "p1", "100") + Line("sub-a", 2, "p2", "100") +
         Line("sub-a", 3, "p3", "130"));
  EXPECT_TRUE(Alerts(b).empty());
  Import(kHeader + Line("sub-a", 3, "p4", "0.01"));
  auto alerts = Alerts(b);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, "pace");
  EXPECT_EQ(alerts[0].percent, "10");
  EXPECT_EQ(alerts[0].amount, "330.01");
  EXPECT_EQ(std::string(alerts[0].detail.at("expected").as_string()), "300.00");
  auto email = db_->InTransaction<store::Rows>(
      [](store::Transaction& tx) { return tx.Query("SELECT subject FROM outbox_emails"); });
  ASSERT_TRUE(email.ok() && email->size() == 1u);
  EXPECT_NE((*email)[0].Text(0).find("ahead of pace"), std::string::npos);
}

TEST_P(BudgetsTest, ASubscriptionBudgetCountsOnlyItsSubscription) {
  Budget b = Create(
      R"({"alias":"ACME","subscriptionId":"sub-b","name":"Sub B","amount":"100",
          "thresholds":[{"percent":"50","kind":"actual"}]})",
      acme_admin_);
  Import(kHeader + Line("sub-a", 1, "x1", "500") + Line("sub-b", 1, "y1", "49.99"));
  EXPECT_TRUE(Alerts(b).empty());
  Import(kHeader + Line("sub-b", 2, "y2", "0.01"));
  auto alerts = Alerts(b);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].amount, "50.00");
  // A subscription not billed to the alias is refused.
  auto other = BudgetFromJson(ParseJsonObject(R"({"alias":"ACME","subscriptionId":"sub-z",
      "name":"x","amount":"1","thresholds":[{"percent":"1","kind":"actual"}]})")
                                  .value());
  ASSERT_TRUE(other.ok());
  auto refused = CreateBudget(*db_, acme_admin_, *other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("not billed to alias ACME"), std::string::npos);
}

TEST_P(BudgetsTest, OnlyTheOrganizationSeesItsBudgetsAndOnlyAdminsAndOperatorsManage) {
  Budget b = Create(kAcmeBudget, acme_admin_);
  // Another organization: invisible, whatever it tries.
  EXPECT_EQ(GetBudget(*db_, brit_admin_, b.id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(ListBudgets(*db_, brit_admin_, std::nullopt)->empty());
  EXPECT_TRUE(ListBudgets(*db_, brit_admin_, std::string("ACME"))->empty());
  EXPECT_EQ(UpdateBudget(*db_, brit_admin_, b.id, {}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(DeleteBudget(*db_, brit_admin_, b.id).error().code, ErrorCode::kNotFound);
  auto foreign = BudgetFromJson(ParseJsonObject(kAcmeBudget).value());
  EXPECT_EQ(CreateBudget(*db_, brit_admin_, *foreign).error().code, ErrorCode::kNotFound);
  // Members read, but do not manage.
  EXPECT_TRUE(GetBudget(*db_, acme_member_, b.id).ok());
  EXPECT_EQ(ListBudgets(*db_, acme_member_, std::nullopt)->size(), 1u);
  EXPECT_EQ(UpdateBudget(*db_, acme_member_, b.id, {}).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(DeleteBudget(*db_, acme_member_, b.id).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(CreateBudget(*db_, acme_member_, *foreign).error().code, ErrorCode::kPermissionDenied);
  // The partner's staff read all; operators manage, support agents do not.
  EXPECT_EQ(ListBudgets(*db_, agent_, std::nullopt)->size(), 1u);
  EXPECT_EQ(DeleteBudget(*db_, agent_, b.id).error().code, ErrorCode::kPermissionDenied);
  auto brit = BudgetFromJson(ParseJsonObject(R"({"alias":"BRIT","name":"By ops","amount":"5",
      "thresholds":[{"percent":"80","kind":"actual"}]})")
                                 .value());
  auto by_ops = CreateBudget(*db_, operator_, *brit);
  ASSERT_TRUE(by_ops.ok()) << by_ops.error().message;
  EXPECT_EQ(by_ops->organization_id, brit_admin_.organization.id);
  EXPECT_EQ(ListBudgets(*db_, brit_admin_, std::nullopt)->size(), 1u);
  EXPECT_TRUE(DeleteBudget(*db_, acme_admin_, b.id).ok());
  EXPECT_EQ(GetBudget(*db_, acme_admin_, b.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'budget.%'"), 3);
}

TEST_P(BudgetsTest, BadBodiesAreRefusedNamingTheField) {
  auto refuse = [](const std::string& body, const std::string& says) {
    auto parsed = BudgetFromJson(ParseJsonObject(body).value());
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.error().message.find(says), std::string::npos)
        << body << " -> " << parsed.error().message;
  };
  const std::string t = R"("thresholds":[{"percent":"80","kind":"actual"}])";
  refuse(R"({"name":"x","amount":"1",)" + t + "}", "'alias' is required");
  refuse(R"({"alias":"TOO-LONG","name":"x","amount":"1",)" + t + "}", "'alias'");
  refuse(R"({"alias":"ACME","name":"x","amount":1,)" + t + "}", "not a JSON number");
  refuse(R"({"alias":"ACME","name":"x","amount":"-5",)" + t + "}", "'amount' must be above 0");
  refuse(R"({"alias":"ACME","name":"x","amount":"1e3",)" + t + "}", "'amount'");
  refuse(R"({"alias":"ACME","name":"a\nb","amount":"1",)" + t + "}", "name");
  refuse(R"({"alias":"ACME","name":"x","amount":"1"})", "at least one threshold");
  refuse(
      R"({"alias":"ACME","name":"x","amount":"1","thresholds":[{"percent":"0","kind":"actual"}]})",
      "thresholds[0].percent");
  refuse(
      R"({"alias":"ACME","name":"x","amount":"1","thresholds":[{"percent":"80","kind":"spent"}]})",
      "thresholds[0].kind");
  refuse(R"({"alias":"ACME","name":"x","amount":"1","thresholds":[{"percent":"80","kind":"actual"},
      {"percent":"80.0","kind":"actual"}]})",
         "repeats");
  refuse(R"({"alias":"ACME","name":"x","amount":"1",)" + t + R"(,"recipients":["not-an-email"]})",
         "recipients[0]");
  refuse(R"({"alias":"ACME","name":"x","amount":"1",)" + t + R"(,"pace":{"tolerancePercent":"5"}})",
         "pace.enabled");
  auto patch = BudgetChangesFromJson(ParseJsonObject(R"({"alias":"BRIT"})").value());
  ASSERT_FALSE(patch.ok());
  EXPECT_NE(patch.error().message.find("cannot change"), std::string::npos);
  // More decimals than the currency has.
  auto cents = BudgetFromJson(
      ParseJsonObject(R"({"alias":"ACME","name":"x","amount":"1.005",)" + t + "}").value());
  ASSERT_TRUE(cents.ok());
  auto refused = CreateBudget(*db_, acme_admin_, *cents);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("more decimals than USD"), std::string::npos);
  auto gbp = BudgetFromJson(
      ParseJsonObject(R"({"alias":"ACME","name":"x","amount":"1","currency":"GBP",)" + t + "}")
          .value());
  ASSERT_TRUE(gbp.ok());
  EXPECT_NE(CreateBudget(*db_, acme_admin_, *gbp).error().message.find("bills in USD"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, BudgetsTest,
                         testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace pc::budgets
