-- Onboarding: providers, their five visible steps, terms acceptances and the one Azure customer
-- of each billing alias. See onboarding/onboarding.h.

-- One Azure customer (tenant) per CenturyLink Cloud billing alias, owned by one organization.
CREATE TABLE billing_aliases (
  alias TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  company_name TEXT NOT NULL,
  country TEXT NOT NULL,
  account_snapshot TEXT NOT NULL,          -- JSON: the CLC account details at Save
  tenant_domain TEXT,                      -- chosen <prefix>.onmicrosoft.com
  customer_id TEXT,                        -- Partner Center customer (tenant) id
  plan_subscription_id TEXT,               -- the Azure plan (Partner Center subscription)
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Terms accepted per alias: who, which versions, which contact, when, from where.
CREATE TABLE terms_acceptances (
  id TEXT PRIMARY KEY,
  billing_alias TEXT NOT NULL,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  clc_user_name TEXT NOT NULL,
  centurylink_terms_version TEXT NOT NULL,
  microsoft_template_id TEXT NOT NULL,
  contact TEXT NOT NULL,                   -- JSON {firstName, lastName, email, phoneNumber}
  accepted_at TEXT NOT NULL,
  client_addr TEXT NOT NULL
);
CREATE INDEX terms_acceptances_alias ON terms_acceptances (billing_alias, accepted_at);

CREATE TABLE providers (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  created_by TEXT NOT NULL REFERENCES users (id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  mode TEXT NOT NULL,
  billing_alias TEXT NOT NULL REFERENCES billing_aliases (alias),
  state TEXT NOT NULL CHECK (state IN ('processing', 'ready', 'unavailable')),
  state_reason TEXT,
  job_id TEXT NOT NULL,
  azure_subscription_id TEXT,
  admin_user_name TEXT,
  admin_password_sealed TEXT,              -- SecretBox; wiped once shown
  admin_credentials_shown_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX providers_org ON providers (organization_id, created_at);

-- The five steps the user sees, with their state.
CREATE TABLE provider_steps (
  provider_id TEXT NOT NULL REFERENCES providers (id),
  position INTEGER NOT NULL,
  step_key TEXT NOT NULL,
  label TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (provider_id, step_key)
);

-- Emails queued for the SMTP relay (sent by a job, so a crash does not lose or repeat them).
CREATE TABLE outbox_emails (
  id TEXT PRIMARY KEY,
  to_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  sent_at TEXT
);
