-- The outbox sender leases an email before sending it, so two processes never send it twice
-- at once; attempts and the last error are kept for operators.
ALTER TABLE outbox_emails ADD COLUMN lease_until TEXT;
ALTER TABLE outbox_emails ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_emails ADD COLUMN last_error TEXT;
