-- Providers of an existing Azure customer account have no billing alias (they are not billed),
-- and deleted providers are kept (deleted_at) so their Azure subscriptions stay billed and
-- audited: deleting a provider stops nothing in Azure.
--
-- SQLite cannot drop a NOT NULL constraint in place: the table is rebuilt. provider_steps
-- refers to providers, so its rows are set aside first (dropping a parent table with foreign
-- keys on deletes its rows, which would orphan them) and put back after.
CREATE TABLE provider_steps_0030 AS SELECT * FROM provider_steps;
DELETE FROM provider_steps;

CREATE TABLE providers_0030 (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  created_by TEXT NOT NULL REFERENCES users (id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  mode TEXT NOT NULL,
  billing_alias TEXT REFERENCES billing_aliases (alias),  -- NULL: existing-customer
  state TEXT NOT NULL CHECK (state IN ('processing', 'ready', 'unavailable')),
  state_reason TEXT,
  job_id TEXT NOT NULL,                                    -- '' when there is no workflow
  azure_subscription_id TEXT,
  admin_user_name TEXT,
  admin_password_sealed TEXT,
  admin_credentials_shown_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
INSERT INTO providers_0030 (id, organization_id, created_by, name, description, type, mode,
                            billing_alias, state, state_reason, job_id, azure_subscription_id,
                            admin_user_name, admin_password_sealed, admin_credentials_shown_at,
                            created_at, updated_at)
SELECT id, organization_id, created_by, name, description, type, mode, billing_alias, state,
       state_reason, job_id, azure_subscription_id, admin_user_name, admin_password_sealed,
       admin_credentials_shown_at, created_at, updated_at
FROM providers;
DROP TABLE providers;
ALTER TABLE providers_0030 RENAME TO providers;
CREATE INDEX providers_org ON providers (organization_id, created_at);
CREATE INDEX providers_job ON providers (job_id);

INSERT INTO provider_steps SELECT * FROM provider_steps_0030;
DROP TABLE provider_steps_0030;
