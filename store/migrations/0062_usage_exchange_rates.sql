-- The rate recorded with the usage (issue 17 item 3): the PCToBCExchangeRate values (pricing to
-- billing currency) of the lines counted into each rollup group, distinct, canonical decimals,
-- space-separated ("1" for Partner Center lines in their pricing currency, "" for FOCUS lines and
-- usage counted before this migration). Since 0021 lines are not stored one row each; this is
-- the finest grain the usage is kept at. A restatement with a new rate adds it beside the old.
ALTER TABLE usage_rollups ADD COLUMN exchange_rates TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_unknown_rollups ADD COLUMN exchange_rates TEXT NOT NULL DEFAULT '';
