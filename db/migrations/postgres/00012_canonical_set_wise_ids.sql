-- +goose Up
-- On SQLite this version gives reconciliation's set-wise ids their hyphens;
-- Postgres always made canonical UUIDs (gen_random_uuid()), so it keeps the
-- two dialects' versions in step and changes nothing.
SELECT 1;

-- +goose Down
SELECT 1;
