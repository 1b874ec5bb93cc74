-- The support desk's reply token key (support/outbound.cpp) is kept sealed with the
-- installation's SecretBox key like every other secret. SQL cannot seal, so a key an older
-- version stored in clear is set aside under another name here and sealed, under the old name,
-- by the first use after the upgrade (which then deletes the clear copy); until then no row
-- named reply_token_key holds a key in clear.
UPDATE support_settings SET key = 'reply_token_key_clear' WHERE key = 'reply_token_key';
