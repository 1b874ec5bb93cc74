-- Month-to-date aggregates (issue 14): what the billing summary, the estimate, the forecast and
-- the month close read, maintained in the transaction of every change to the rollups or the
-- pricing rules (billing/aggregates.h), so that a read is a few indexed rows, never a scan of the
-- month.
--
-- billing_mtd_months: one row per (alias, month) with usage. stale = 1 when the month's
-- aggregates may not match the rollups (a change made other than through billing/aggregates.h,
-- e.g. by hand in SQL, or a pricing rule): reads then compute from usage_rollups, and the next
-- maintenance (every import, every pricing rule, the service's start) rebuilds them.
-- billing_mtd: the month's priced charge (after the pricing rule of each rollup's day) and count
-- of rollup rows per day, meter category and Azure subscription, per currency.
-- billing_mtd_writers: a row while a transaction maintains the aggregates itself (its own rollup
-- writes do not mark months stale).
CREATE TABLE billing_mtd_months (
  billing_alias TEXT NOT NULL,
  month TEXT NOT NULL,  -- YYYY-MM
  stale BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (billing_alias, month)
);
CREATE INDEX billing_mtd_months_stale ON billing_mtd_months (stale);
CREATE INDEX billing_mtd_months_month ON billing_mtd_months (month);

CREATE TABLE billing_mtd (
  billing_alias TEXT NOT NULL,
  month TEXT NOT NULL,      -- YYYY-MM
  dimension TEXT NOT NULL,  -- 'day' (item YYYY-MM-DD), 'category', 'subscription'
  item TEXT NOT NULL,
  currency TEXT NOT NULL,
  charge TEXT NOT NULL,     -- exact decimal, after pricing rules
  rollups BIGINT NOT NULL,  -- usage_rollups rows summed into it
  scales TEXT NOT NULL,     -- how many of them per decimal scale: "2:5 4:1"
  PRIMARY KEY (billing_alias, month, dimension, item, currency)
);
CREATE INDEX billing_mtd_month ON billing_mtd (month, dimension);

CREATE TABLE billing_mtd_writers (
  id TEXT PRIMARY KEY
);

-- Existing usage: every month is built by the next maintenance (the service builds them when
-- it starts); until then its reads compute from the rollups, as before.
INSERT INTO billing_mtd_months (billing_alias, month, stale)
SELECT DISTINCT billing_alias, substr(usage_day, 1, 7), 1 FROM usage_rollups;
