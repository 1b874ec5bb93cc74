-- Usage line identity per (Azure subscription, usage day) partition instead of one row per line.
--
-- usage_partitions holds, for every (subscription, day) any import has counted, the set of line
-- hashes counted for it (billing/usage_reader.h UsageRow::line_key: 64-bit, 16 hex digits each,
-- sorted, concatenated). An import claims the partitions of its file; a partition already held
-- is only touched when the file brings lines outside its set (billing/usage_import.h).
-- usage_lines (one row per line, 0003) is dropped: lines counted before this migration have no
-- identity any more, so a file imported before it must not be imported again (a pre-release
-- schema change; no deployment had billing data).
DROP TABLE usage_lines;

CREATE TABLE usage_partitions (
  azure_subscription_id TEXT NOT NULL,
  usage_day TEXT NOT NULL,
  line_count BIGINT NOT NULL,
  line_hashes TEXT NOT NULL,
  import_id TEXT NOT NULL,
  PRIMARY KEY (azure_subscription_id, usage_day)
);
