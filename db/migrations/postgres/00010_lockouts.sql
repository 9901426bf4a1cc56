-- +goose Up
-- Security and bad input (issue 13).
--
-- The counter checks of a card sale (the voucher number from its slip and
-- the card's fingerprint) count their failures on the sale, like a
-- password's on its account: a try is claimed before the check, and the
-- limit locks the sale's counter refunds for a while.
ALTER TABLE payments ADD COLUMN counter_failures integer NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN counter_locked_until timestamptz;

-- Staff user names are unique per merchant (log-in names the merchant), and
-- among platform operators, no longer across the platform: a merchant can
-- no longer learn another's user names by trying to create them.
ALTER TABLE staff_users DROP CONSTRAINT staff_users_username_key;
CREATE UNIQUE INDEX staff_users_merchant_username ON staff_users (merchant_id, username) WHERE merchant_id IS NOT NULL;
CREATE UNIQUE INDEX staff_users_operator_username ON staff_users (username) WHERE merchant_id IS NULL;

-- +goose Down
-- (Fails if two merchants have come to share a user name.)
DROP INDEX staff_users_operator_username;
DROP INDEX staff_users_merchant_username;
ALTER TABLE staff_users ADD CONSTRAINT staff_users_username_key UNIQUE (username);
ALTER TABLE payments DROP COLUMN counter_locked_until;
ALTER TABLE payments DROP COLUMN counter_failures;
