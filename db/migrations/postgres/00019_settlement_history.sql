-- +goose Up
-- Finance's history of settlement files, newest first per merchant
-- (GET /v1/finance/settlements): one index walk per page.
CREATE INDEX settlement_files_history ON settlement_files (merchant_id, created_at DESC, id DESC);

-- +goose Down
DROP INDEX settlement_files_history;
