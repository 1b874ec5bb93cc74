-- Budgets and their alerts (budgets/budget.h, budgets/evaluation.h).
-- A monthly budget of an organization for one billing alias, or one Azure subscription of it.
-- amount, percents and tolerance are decimal strings (exact); thresholds and recipients are JSON
-- arrays as the API writes them. arming counts the changes of amount, thresholds or pace: an
-- alert is sent once per (budget, month, kind, percent, arming), so a change re-arms them all.
CREATE TABLE budgets (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  billing_alias TEXT NOT NULL,
  azure_subscription_id TEXT,
  name TEXT NOT NULL,
  amount TEXT NOT NULL,
  currency TEXT NOT NULL,
  thresholds TEXT NOT NULL,
  pace_enabled INTEGER NOT NULL,
  pace_tolerance TEXT NOT NULL,
  recipients TEXT NOT NULL,
  arming INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX budgets_by_alias ON budgets (billing_alias);
CREATE INDEX budgets_by_organization ON budgets (organization_id);

-- Each alert sent: the figures it was sent with (amount: the month-to-date or forecast that
-- crossed, as the billing page shows it; budget_amount: the budget's amount then).
CREATE TABLE budget_alerts (
  id TEXT PRIMARY KEY,
  budget_id TEXT NOT NULL,
  month TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('actual', 'forecast', 'pace')),
  percent TEXT NOT NULL,
  arming INTEGER NOT NULL,
  amount TEXT NOT NULL,
  budget_amount TEXT NOT NULL,
  currency TEXT NOT NULL,
  as_of TEXT NOT NULL,
  sent_at TEXT NOT NULL,
  detail TEXT NOT NULL,
  UNIQUE (budget_id, month, kind, percent, arming)
);
CREATE INDEX budget_alerts_by_budget ON budget_alerts (budget_id, month);
