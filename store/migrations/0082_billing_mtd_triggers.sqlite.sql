-- A change to usage_rollups made outside billing/aggregates.h, or a new pricing rule, marks the
-- months it touches stale (0081).
CREATE TRIGGER usage_rollups_mtd_insert AFTER INSERT ON usage_rollups
WHEN NOT EXISTS (SELECT 1 FROM billing_mtd_writers)
BEGIN
  INSERT INTO billing_mtd_months (billing_alias, month, stale)
  VALUES (NEW.billing_alias, substr(NEW.usage_day, 1, 7), 1)
  ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 1;
END;

CREATE TRIGGER usage_rollups_mtd_update AFTER UPDATE ON usage_rollups
WHEN NOT EXISTS (SELECT 1 FROM billing_mtd_writers)
BEGIN
  INSERT INTO billing_mtd_months (billing_alias, month, stale)
  VALUES (OLD.billing_alias, substr(OLD.usage_day, 1, 7), 1)
  ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 1;
  INSERT INTO billing_mtd_months (billing_alias, month, stale)
  VALUES (NEW.billing_alias, substr(NEW.usage_day, 1, 7), 1)
  ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 1;
END;

CREATE TRIGGER usage_rollups_mtd_delete AFTER DELETE ON usage_rollups
WHEN NOT EXISTS (SELECT 1 FROM billing_mtd_writers)
BEGIN
  INSERT INTO billing_mtd_months (billing_alias, month, stale)
  VALUES (OLD.billing_alias, substr(OLD.usage_day, 1, 7), 1)
  ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 1;
END;

CREATE TRIGGER pricing_rules_mtd_insert AFTER INSERT ON pricing_rules
BEGIN
  INSERT INTO billing_mtd_months (billing_alias, month, stale)
  SELECT DISTINCT billing_alias, substr(usage_day, 1, 7), 1 FROM usage_rollups
  WHERE (NEW.billing_alias IS NULL OR billing_alias = NEW.billing_alias)
    AND (NEW.meter_category IS NULL OR meter_category = NEW.meter_category)
    AND usage_day >= NEW.effective_from
    AND (NEW.effective_to IS NULL OR usage_day <= NEW.effective_to)
  ON CONFLICT (billing_alias, month) DO UPDATE SET stale = 1;
END;
