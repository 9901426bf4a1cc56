-- +goose Up
-- How many rows of a settlement file another file of their batch had
-- matched already (issue 18: the day's file after a second cut-off holds
-- the first batch again): repeats, counted apart from the discrepancies.
ALTER TABLE settlement_files ADD COLUMN already_matched bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE settlement_files DROP COLUMN already_matched;
