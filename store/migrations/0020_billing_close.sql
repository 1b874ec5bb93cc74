-- Billing: operator pricing rules, month closes and the invoice lines posted to CenturyLink.
-- Amounts are exact decimal TEXT (core/decimal.h), never REAL.

-- A markup (positive) or discount (negative) percent on the customer charge, applied at read
-- time to the rollups of the days it is in effect. billing_alias / meter_category NULL: any.
-- The most specific rule in effect on a usage day wins: alias+category > alias > category.
CREATE TABLE pricing_rules (
  id TEXT PRIMARY KEY,
  billing_alias TEXT,
  meter_category TEXT,
  percent TEXT NOT NULL,
  effective_from TEXT NOT NULL,  -- YYYY-MM-DD, inclusive
  effective_to TEXT,             -- YYYY-MM-DD, inclusive; NULL: open-ended
  note TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX pricing_rules_alias ON pricing_rules (billing_alias);

-- One row per closed month: inserting it is the claim that makes a close happen exactly once
-- across processes. A closed month never changes.
CREATE TABLE billing_closes (
  month TEXT PRIMARY KEY,  -- YYYY-MM
  closed_at TEXT NOT NULL,
  closed_by TEXT NOT NULL
);

-- Invoice lines for the CLC invoice sink. Recorded as 'intent' in the close's transaction,
-- then posted (the sink is idempotent on the key) and marked 'posted': a crash between the
-- post and the mark re-posts the same key and body, which the sink answers with the stored line.
CREATE TABLE invoice_lines (
  idempotency_key TEXT PRIMARY KEY,  -- ALIAS:YYYY-MM:usage:CUR or ALIAS:YYYY-MM:update:YYYY-MM:CUR
  billing_alias TEXT NOT NULL,
  invoice_month TEXT NOT NULL,       -- the month whose close produced the line
  usage_month TEXT NOT NULL,         -- the month of the usage it bills
  kind TEXT NOT NULL CHECK (kind IN ('usage', 'update')),
  description TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount TEXT NOT NULL,              -- rounded once, half-up, to the currency's minor unit
  state TEXT NOT NULL CHECK (state IN ('intent', 'posted')),
  created_at TEXT NOT NULL,
  posted_at TEXT
);
CREATE INDEX invoice_lines_alias ON invoice_lines (billing_alias, invoice_month);
CREATE INDEX invoice_lines_state ON invoice_lines (state);
