-- A generation per month-to-date aggregate (issue 14): a new UUID in the transaction of every
-- write to the month's billing_mtd rows (billing/aggregates.cpp), so that a process may keep the
-- parsed rows in memory and reuse them while the generation it read with them is still the
-- month's. '' (older rows, a month not yet rebuilt) is never reused.
ALTER TABLE billing_mtd_months ADD COLUMN generation TEXT NOT NULL DEFAULT '';
