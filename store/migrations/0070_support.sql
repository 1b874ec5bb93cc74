-- Support desk (support/): tickets, their conversation, attachments, the raw mail as received,
-- the classifier's rules, templates and agents' corrections, and automatic-answer accounting.
-- Timestamps are RFC 3339 UTC text with 6 fraction digits (they sort lexically).

-- Counters allocated with UPDATE ... RETURNING (ticket numbers).
CREATE TABLE support_counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO support_counters (name, value) VALUES ('ticket_number', 1000);

CREATE TABLE support_tickets (
  id TEXT PRIMARY KEY,                      -- "T-<number>"
  number BIGINT NOT NULL UNIQUE,
  subject TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('in', 'out', 'not-customer')),
  topic TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('new', 'open', 'waiting-on-customer', 'escalated',
                                         'resolved', 'closed')),
  requester_email TEXT NOT NULL,            -- lower-cased
  requester_name TEXT NOT NULL DEFAULT '',
  organization_id TEXT REFERENCES organizations (id),
  billing_alias TEXT,
  assignee TEXT,                            -- an agent's email
  class_by TEXT NOT NULL CHECK (class_by IN ('rule', 'model', 'agent')),
  class_reason TEXT NOT NULL,
  class_confidence TEXT,                    -- decimal string "0.93"
  needs_review INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  first_response_at TEXT,
  resolved_at TEXT,
  first_response_due_at TEXT,
  resolution_due_at TEXT,
  paused_since TEXT,                        -- service-level clock paused from then
  request_kind TEXT,                        -- structured request: portal-users | close-account | billing-report
  request_state TEXT,
  request_details TEXT,                     -- JSON object
  request_decided_by TEXT,
  request_result TEXT,                      -- JSON object
  escalation_id TEXT,                       -- Partner Center service request id
  escalation_status TEXT,
  escalation_updated_at TEXT
);
CREATE INDEX support_tickets_org ON support_tickets (organization_id, created_at);
CREATE INDEX support_tickets_status ON support_tickets (status, created_at);

-- The raw messages the mail intake received, stored before anything else is done with them.
-- dedup_key is the Message-ID, or the SHA-256 of the bytes for mail without one.
CREATE TABLE support_raw_messages (
  id TEXT PRIMARY KEY,
  dedup_key TEXT NOT NULL UNIQUE,
  received_at TEXT NOT NULL,
  size BIGINT NOT NULL,
  raw TEXT NOT NULL,                        -- base64 of the bytes
  state TEXT NOT NULL CHECK (state IN ('stored', 'quarantined', 'replayed')),
  reason TEXT,                              -- why it was quarantined
  ticket_id TEXT REFERENCES support_tickets (id),
  thread_match TEXT                         -- how it joined its ticket (message-id, token, ...)
);
CREATE INDEX support_raw_state ON support_raw_messages (state, received_at);

CREATE TABLE support_messages (
  id TEXT PRIMARY KEY,                      -- UUIDv7: ordered by time
  ticket_id TEXT NOT NULL REFERENCES support_tickets (id),
  kind TEXT NOT NULL CHECK (kind IN ('in', 'out', 'note', 'event')),
  from_address TEXT NOT NULL,
  at TEXT NOT NULL,
  text TEXT NOT NULL,
  html TEXT,                                -- sanitized
  message_id TEXT,                          -- RFC 5322 Message-ID without brackets
  raw_id TEXT REFERENCES support_raw_messages (id),
  auto_reply INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX support_messages_ticket ON support_messages (ticket_id, id);
CREATE INDEX support_messages_message_id ON support_messages (message_id);

CREATE TABLE support_attachments (
  id TEXT PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES support_messages (id),
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  content TEXT NOT NULL                     -- base64
);
CREATE INDEX support_attachments_message ON support_attachments (message_id);

-- Operators' rules and templates (JSON documents; absent: the shipped ones) and other settings.
CREATE TABLE support_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT
);

-- Agents' corrections: the text and the scope/topic they set, for retraining the model.
CREATE TABLE support_training (
  id TEXT PRIMARY KEY,
  ticket_id TEXT NOT NULL REFERENCES support_tickets (id),
  text TEXT NOT NULL,
  scope TEXT NOT NULL,
  topic TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);

-- Automatic answers sent, per sender, for the hourly bound.
CREATE TABLE support_auto_replies (
  id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX support_auto_replies_sender ON support_auto_replies (sender, at);

-- Outbound mail carries threading headers (Message-ID, In-Reply-To, References, Reply-To,
-- Auto-Submitted) as a JSON object of name -> value.
ALTER TABLE outbox_emails ADD COLUMN headers TEXT;
