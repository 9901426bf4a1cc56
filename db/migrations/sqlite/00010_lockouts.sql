-- +goose Up
-- Security and bad input (issue 13).
--
-- The counter checks of a card sale (the voucher number from its slip and
-- the card's fingerprint) count their failures on the sale, like a
-- password's on its account: a try is claimed before the check, and the
-- limit locks the sale's counter refunds for a while.
ALTER TABLE payments ADD COLUMN counter_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN counter_locked_until DATETIME;

-- +goose Down
ALTER TABLE payments DROP COLUMN counter_locked_until;
ALTER TABLE payments DROP COLUMN counter_failures;
