-- +goose Up
-- Onboarding: a merchant's currency and time zone, and a first password
-- that must be changed at the first log-in.
ALTER TABLE merchants ADD COLUMN currency text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$');
ALTER TABLE merchants ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
ALTER TABLE staff_users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD COLUMN created_by text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_keys DROP COLUMN created_by;
ALTER TABLE staff_users DROP COLUMN must_change_password;
ALTER TABLE merchants DROP COLUMN time_zone;
ALTER TABLE merchants DROP COLUMN currency;
