-- Billing: imported usage files, usage line identity, daily rollups and usage kept aside.
-- Money and quantities are exact decimal TEXT (core/decimal.h canonical form), never REAL;
-- sums are computed in C++ with Decimal and written back inside the import's transaction.

-- Which billing alias an Azure subscription is billed to. Filled by onboarding when it creates
-- an Azure subscription (tests insert rows directly). Ids are lower-case GUID text.
-- customer_id is the CSP customer (tenant) id; when it is not '' a usage row must carry the same
-- CustomerId to be billed, else the row is kept aside as of an unknown customer.
CREATE TABLE azure_subscriptions_map (
  azure_subscription_id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL DEFAULT '',
  billing_alias TEXT NOT NULL,
  organization_id TEXT,
  created_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX azure_subscriptions_map_alias ON azure_subscriptions_map (billing_alias);

-- One row per imported file; digest is the SHA-256 of the file's bytes as received.
CREATE TABLE usage_imports (
  id TEXT PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  file_name TEXT NOT NULL,
  format TEXT NOT NULL,
  rows_imported BIGINT NOT NULL,
  rows_rejected BIGINT NOT NULL,
  rows_unknown BIGINT NOT NULL,
  rows_duplicate BIGINT NOT NULL,
  imported_at TEXT NOT NULL,
  imported_by TEXT NOT NULL
);

-- Identity of every usage line ever counted (billing/usage_reader.h UsageRow::line_key), so a
-- line in a re-imported or overlapping file is not counted twice.
CREATE TABLE usage_lines (
  line_key TEXT PRIMARY KEY,
  import_id TEXT NOT NULL
);

-- Billed usage per (alias, customer, Azure subscription, meter category, day, currency).
-- charge = sum of UnitPrice × Quantity (exact, unrounded); partner_cost = sum of
-- BillingPreTaxTotal.
CREATE TABLE usage_rollups (
  billing_alias TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  azure_subscription_id TEXT NOT NULL,
  meter_category TEXT NOT NULL,
  usage_day TEXT NOT NULL,
  currency TEXT NOT NULL,
  quantity TEXT NOT NULL,
  charge TEXT NOT NULL,
  partner_cost TEXT NOT NULL,
  line_count BIGINT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (billing_alias, customer_id, azure_subscription_id, meter_category, usage_day,
               currency)
);

-- Usage of subscriptions no alias is mapped to: kept aside for operators, never billed.
CREATE TABLE usage_unknown_rollups (
  customer_id TEXT NOT NULL,
  azure_subscription_id TEXT NOT NULL,
  meter_category TEXT NOT NULL,
  usage_day TEXT NOT NULL,
  currency TEXT NOT NULL,
  quantity TEXT NOT NULL,
  charge TEXT NOT NULL,
  partner_cost TEXT NOT NULL,
  line_count BIGINT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (customer_id, azure_subscription_id, meter_category, usage_day, currency)
);
