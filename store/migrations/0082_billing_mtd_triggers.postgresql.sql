-- A change to usage_rollups made outside billing/aggregates.h, or a new pricing rule, marks the
-- months it touches stale (0081). Statement-level: one statement per written statement.
CREATE FUNCTION usage_rollups_mtd_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM billing_mtd_writers) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN
    INSERT INTO billing_mtd_months (billing_alias, month, stale)
    SELECT DISTINCT billing_alias, substr(usage_day, 1, 7), 1 FROM mtd_new_rows
    ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 1;
  END IF;
  IF TG_OP = 'DELETE' OR TG_OP = 'UPDATE' THEN
    INSERT INTO billing_mtd_months (billing_alias, month, stale)
    SELECT DISTINCT billing_alias, substr(usage_day, 1, 7), 1 FROM mtd_old_rows
    ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER usage_rollups_mtd_insert AFTER INSERT ON usage_rollups
  REFERENCING NEW TABLE AS mtd_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION usage_rollups_mtd_stale();
CREATE TRIGGER usage_rollups_mtd_update AFTER UPDATE ON usage_rollups
  REFERENCING OLD TABLE AS mtd_old_rows NEW TABLE AS mtd_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION usage_rollups_mtd_stale();
CREATE TRIGGER usage_rollups_mtd_delete AFTER DELETE ON usage_rollups
  REFERENCING OLD TABLE AS mtd_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION usage_rollups_mtd_stale();

CREATE FUNCTION pricing_rules_mtd_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO billing_mtd_months (billing_alias, month, stale)
  SELECT DISTINCT billing_alias, substr(usage_day, 1, 7), 1 FROM usage_rollups
  WHERE (NEW.billing_alias IS NULL OR billing_alias = NEW.billing_alias)
    AND (NEW.meter_category IS NULL OR meter_category = NEW.meter_category)
    AND usage_day >= NEW.effective_from
    AND (NEW.effective_to IS NULL OR usage_day <= NEW.effective_to)
  ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 1;
  RETURN NULL;
END;
$$;

CREATE TRIGGER pricing_rules_mtd_insert AFTER INSERT ON pricing_rules
  FOR EACH ROW EXECUTE FUNCTION pricing_rules_mtd_stale();
