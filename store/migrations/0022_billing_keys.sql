-- Keys of the billing service, one row per purpose, created by the service on first use.
--
-- usage_line_identity keys the usage line hash (billing/line_identity.h): a random token, so
-- that customers cannot craft usage lines (through resource tags) whose hashes collide. An
-- installation that has counted usage lines already keeps the public constants it counted them
-- with ('legacy'). (The same release reads values in canonical form for the hash: dates as
-- days, numbers as exact decimals, ids in lower case. Lines counted by an earlier build from a
-- file whose values were written otherwise would count again if that file were imported again:
-- a pre-release change, no deployment has billing data.)
CREATE TABLE billing_keys (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at TEXT NOT NULL
);

INSERT INTO billing_keys (name, value, created_at)
SELECT 'usage_line_identity', 'legacy', '1970-01-01T00:00:00Z'
WHERE EXISTS (SELECT 1 FROM usage_partitions);

-- The usage import reads Azure subscription and customer ids in lower case; onboarding now
-- records them so, and rows recorded before are brought in line.
UPDATE azure_subscriptions_map
SET azure_subscription_id = lower(azure_subscription_id), customer_id = lower(customer_id);
