-- The client's pace toward each rate-limited upstream, shared by every instance on this
-- database (jobs/shared_bucket.h): a token bucket per upstream. tokens is in millionths of a
-- request (exact integers); updated_us is the Unix time in microseconds of the last change.
CREATE TABLE upstream_rate_buckets (
  name TEXT PRIMARY KEY,
  tokens BIGINT NOT NULL,
  updated_us BIGINT NOT NULL
);
