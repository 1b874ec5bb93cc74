-- Restated usage replaces (issue 17): what each source's latest snapshot said per (Azure
-- subscription, usage day) partition, so that a later snapshot of the same source can take it
-- back out of the rollups and put its own in (billing/usage_import.h, ImportMode::kSnapshot).
--
-- usage_snapshots: the line hashes the source's latest snapshot counted for the partition (a
-- subset of usage_partitions.line_hashes: lines other imports counted first are not counted
-- again). usage_snapshot_groups: the sums it added to usage_rollups (billing_alias <> '') or
-- to usage_unknown_rollups (billing_alias = '').
CREATE TABLE usage_snapshots (
  source TEXT NOT NULL,
  azure_subscription_id TEXT NOT NULL,
  usage_day TEXT NOT NULL,
  line_count BIGINT NOT NULL,
  line_hashes TEXT NOT NULL,
  import_id TEXT NOT NULL,
  PRIMARY KEY (source, azure_subscription_id, usage_day)
);

CREATE TABLE usage_snapshot_groups (
  source TEXT NOT NULL,
  azure_subscription_id TEXT NOT NULL,
  usage_day TEXT NOT NULL,
  billing_alias TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  meter_category TEXT NOT NULL,
  currency TEXT NOT NULL,
  quantity TEXT NOT NULL,
  charge TEXT NOT NULL,
  partner_cost TEXT NOT NULL,
  line_count BIGINT NOT NULL,
  PRIMARY KEY (source, azure_subscription_id, usage_day, billing_alias, customer_id,
               meter_category, currency)
);
CREATE INDEX usage_snapshot_groups_subscription ON usage_snapshot_groups (azure_subscription_id);

ALTER TABLE usage_imports ADD COLUMN mode TEXT NOT NULL DEFAULT 'additive';
ALTER TABLE usage_imports ADD COLUMN source TEXT NOT NULL DEFAULT '';
