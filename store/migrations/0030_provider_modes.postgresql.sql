-- Providers of an existing Azure customer account have no billing alias (they are not billed),
-- and deleted providers are kept (deleted_at) so their Azure subscriptions stay billed and
-- audited: deleting a provider stops nothing in Azure.
ALTER TABLE providers ALTER COLUMN billing_alias DROP NOT NULL;
ALTER TABLE providers ADD COLUMN deleted_at TEXT;
CREATE INDEX providers_job ON providers (job_id);
