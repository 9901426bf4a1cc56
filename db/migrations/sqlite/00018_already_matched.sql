-- +goose Up
-- (SQLite types; see postgres/00018_already_matched.sql.)
ALTER TABLE settlement_files ADD COLUMN already_matched INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE settlement_files DROP COLUMN already_matched;
