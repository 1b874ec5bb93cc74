-- "Use an existing Azure customer account": the account a customer runs and pays for itself,
-- checked against Entra and ARM when the provider is created. The client secret is sealed
-- (core/secret_box.h) and wiped when the provider is deleted. Not billed, not supported.
CREATE TABLE provider_existing_accounts (
  provider_id TEXT PRIMARY KEY REFERENCES providers (id),
  subscription_id TEXT NOT NULL,   -- lower-case GUID
  tenant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  client_secret_sealed TEXT,       -- SecretBox; NULL once the provider is deleted
  subscription_name TEXT,
  checked_at TEXT NOT NULL
);

-- The first rejected rows of each usage import (JSON array of {line, column, reason, message}),
-- so operators can read them after the upload's answer is gone.
ALTER TABLE usage_imports ADD COLUMN rejections TEXT NOT NULL DEFAULT '[]';
