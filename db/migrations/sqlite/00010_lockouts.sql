-- +goose Up
-- Security and bad input (issue 13).
--
-- The counter checks of a card sale (the voucher number from its slip and
-- the card's fingerprint) count their failures on the sale, like a
-- password's on its account: a try is claimed before the check, and the
-- limit locks the sale's counter refunds for a while.
ALTER TABLE payments ADD COLUMN counter_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN counter_locked_until DATETIME;

-- Staff user names are unique per merchant (log-in names the merchant), and
-- among platform operators, no longer across the platform. SQLite cannot
-- drop a column's UNIQUE: the table is rebuilt. The sessions' references
-- are checked at commit (defer_foreign_keys), once every member is back.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE staff_users_copy AS SELECT * FROM staff_users;
DROP TABLE staff_users;
CREATE TABLE staff_users (
    id                   TEXT PRIMARY KEY,
    merchant_id          TEXT REFERENCES merchants (id),
    username             TEXT NOT NULL,
    display_name         TEXT NOT NULL DEFAULT '',
    email                TEXT NOT NULL DEFAULT '',
    role                 TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor', 'finance', 'admin', 'operator')),
    password_hash        TEXT NOT NULL,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         DATETIME,
    disabled             BOOLEAN NOT NULL DEFAULT 0,
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT false,
    CHECK ((role = 'operator') = (merchant_id IS NULL))
);
INSERT INTO staff_users (id, merchant_id, username, display_name, email, role, password_hash, failed_logins, locked_until,
        disabled, created_at, updated_at, must_change_password)
    SELECT id, merchant_id, username, display_name, email, role, password_hash, failed_logins, locked_until,
        disabled, created_at, updated_at, must_change_password FROM staff_users_copy;
DROP TABLE staff_users_copy;
CREATE INDEX staff_users_merchant ON staff_users (merchant_id, role);
CREATE UNIQUE INDEX staff_users_merchant_username ON staff_users (merchant_id, username) WHERE merchant_id IS NOT NULL;
CREATE UNIQUE INDEX staff_users_operator_username ON staff_users (username) WHERE merchant_id IS NULL;

-- +goose Down
-- (Fails if two merchants have come to share a user name.)
PRAGMA defer_foreign_keys = ON;
CREATE TABLE staff_users_copy AS SELECT * FROM staff_users;
DROP TABLE staff_users;
CREATE TABLE staff_users (
    id                   TEXT PRIMARY KEY,
    merchant_id          TEXT REFERENCES merchants (id),
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL DEFAULT '',
    email                TEXT NOT NULL DEFAULT '',
    role                 TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor', 'finance', 'admin', 'operator')),
    password_hash        TEXT NOT NULL,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         DATETIME,
    disabled             BOOLEAN NOT NULL DEFAULT 0,
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT false,
    CHECK ((role = 'operator') = (merchant_id IS NULL))
);
INSERT INTO staff_users (id, merchant_id, username, display_name, email, role, password_hash, failed_logins, locked_until,
        disabled, created_at, updated_at, must_change_password)
    SELECT id, merchant_id, username, display_name, email, role, password_hash, failed_logins, locked_until,
        disabled, created_at, updated_at, must_change_password FROM staff_users_copy;
DROP TABLE staff_users_copy;
CREATE INDEX staff_users_merchant ON staff_users (merchant_id, role);
ALTER TABLE payments DROP COLUMN counter_locked_until;
ALTER TABLE payments DROP COLUMN counter_failures;
