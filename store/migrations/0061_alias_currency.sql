-- Each billing alias bills in its CenturyLink Cloud account's currency (issue 17 item 3),
-- recorded when the account is connected (onboarding Save; eligibility.h BillingCurrencyOf).
-- '' for an alias connected before it was recorded: its usage's currency is then not checked.
ALTER TABLE billing_aliases ADD COLUMN currency TEXT NOT NULL DEFAULT '';
