-- Webhooks (issue 16): endpoints an organization subscribes to events, the events themselves
-- (one row per fact, unique per organization) and their deliveries (a durable outbox, one row
-- per endpoint and event, leased by the delivery worker like outbox_emails).

-- events is a JSON array of event types; secret is the whsec_ secret sealed with SecretBox.
-- A deleted endpoint keeps its row (deleted_at) so its delivery log stays readable to staff.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  disabled_reason TEXT,
  disabled_at TEXT,
  created_by TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE INDEX webhook_endpoints_organization ON webhook_endpoints (organization_id);

-- event_id names the fact (chosen by the producer); message_id is the webhook-id header
-- ("msg_<uuid>"), the same for every endpoint and every retry. payload is the body as sent.
CREATE TABLE webhook_events (
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  event_id TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (organization_id, event_id)
);

-- status: pending (never tried), retrying, delivered, failed (gave up after the retry window,
-- 24 h, or the endpoint was deleted). next_attempt_at is when the worker may try again;
-- lease_until and lease_owner ("<instance>:<run>") keep two workers from sending it at once.
-- The retry window starts at created_at, or at window_start when the endpoint was re-enabled.
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
  organization_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  window_start TEXT,
  lease_until TEXT,
  lease_owner TEXT,
  last_status_code INTEGER,
  last_latency_ms INTEGER,
  last_error TEXT,
  created_at TEXT NOT NULL,
  delivered_at TEXT,
  UNIQUE (endpoint_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
