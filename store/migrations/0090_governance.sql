-- Governance (governance/governance_store.h): the permitted-services catalog as versions, per-alias
-- overrides on top of the published version, and each customer subscription's convergence state.

-- Catalog versions: content (resource types, role actions, unrestricted) is immutable once
-- written; only the state and publication fields change. Version 1 is the shipped catalog
-- (written by the service the first time it reads the catalog).
CREATE TABLE governance_catalog_versions (
  version INTEGER PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'superseded')),
  based_on INTEGER,
  resource_types TEXT NOT NULL,       -- JSON array of strings, sorted
  actions TEXT NOT NULL,              -- JSON array of strings, sorted
  unrestricted INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  author TEXT NOT NULL,
  created_at TEXT NOT NULL,
  published_at TEXT,
  published_by TEXT
);

-- One alias's exception: extra resource types on top of the published version, or unrestricted.
CREATE TABLE governance_alias_overrides (
  alias TEXT PRIMARY KEY,
  unrestricted INTEGER NOT NULL DEFAULT 0,
  extra_resource_types TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings, sorted
  note TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);

-- What the platform knows of each customer subscription's governance objects in Azure.
-- generation grows with every request to converge or reconcile; the job compares it when done.
CREATE TABLE governance_subscriptions (
  subscription_id TEXT PRIMARY KEY,
  alias TEXT NOT NULL,
  generation INTEGER NOT NULL DEFAULT 0,
  applied_version INTEGER,
  applied_fingerprint TEXT,            -- the desired state last brought about
  state TEXT NOT NULL CHECK (state IN ('compliant', 'converging', 'drifted', 'failed')),
  reason TEXT,
  last_checked_at TEXT,
  not_permitted TEXT NOT NULL DEFAULT '[]',  -- JSON [{id,type}]: existing, no longer permitted
  updated_at TEXT NOT NULL
);
CREATE INDEX governance_subscriptions_alias ON governance_subscriptions (alias);

-- Each repair of a deleted or edited object (also audited and mailed to operators).
CREATE TABLE governance_repairs (
  id TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL,
  at TEXT NOT NULL,
  object TEXT NOT NULL,                -- role-definition | role-assignment | policy-assignment
  what TEXT NOT NULL
);
CREATE INDEX governance_repairs_subscription ON governance_repairs (subscription_id, at);
