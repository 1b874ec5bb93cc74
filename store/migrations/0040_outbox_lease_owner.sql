-- The outbox sender's lease names its process ("<instance>:<run>", jobs/instance.h), so that a
-- restarted process takes over at once the emails its killed run had leased.
ALTER TABLE outbox_emails ADD COLUMN lease_owner TEXT;
