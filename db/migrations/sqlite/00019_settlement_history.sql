-- +goose Up
-- (See postgres/00019_settlement_history.sql.)
CREATE INDEX settlement_files_history ON settlement_files (merchant_id, created_at DESC, id DESC);

-- +goose Down
DROP INDEX settlement_files_history;
