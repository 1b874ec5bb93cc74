-- Structured support requests (support/request_actions.h).
-- The portal.azure.com users created for a request, with their temporary password sealed
-- (SecretBox) until the requester has seen it once; then it is wiped (password_sealed NULL).
CREATE TABLE support_portal_credentials (
  ticket_id TEXT NOT NULL,
  position INTEGER NOT NULL,               -- order in the request
  user_principal_name TEXT NOT NULL,
  display_name TEXT NOT NULL,
  email TEXT NOT NULL,                     -- the address the customer gave
  password_sealed TEXT,
  user_object_id TEXT,                     -- Graph object id once created
  created_at TEXT NOT NULL,
  shown_at TEXT,
  PRIMARY KEY (ticket_id, user_principal_name)
);

-- A provider whose Azure account was closed through a support request: its subscriptions are
-- cancelled; it is kept (and billed for its last month) like a deleted one.
ALTER TABLE providers ADD COLUMN closed_at TEXT;
