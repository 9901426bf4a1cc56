-- +goose Up
-- (SQLite types; see postgres/00007_onboarding.sql.)
ALTER TABLE merchants ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR';
ALTER TABLE merchants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE staff_users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD COLUMN created_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_keys DROP COLUMN created_by;
ALTER TABLE staff_users DROP COLUMN must_change_password;
ALTER TABLE merchants DROP COLUMN time_zone;
ALTER TABLE merchants DROP COLUMN currency;
