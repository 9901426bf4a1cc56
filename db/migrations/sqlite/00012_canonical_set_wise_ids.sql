-- +goose Up
-- Reconciliation's set-wise inserts made ids of 32 hex digits without
-- hyphens on SQLite, which the API's routes refuse (ids.Valid): the work
-- items and findings they opened could not be opened or resolved. New ones
-- are canonical UUIDs; these take the hyphens where a UUID has them.
UPDATE work_items SET id = substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' || substr(id, 13, 4) || '-' ||
    substr(id, 17, 4) || '-' || substr(id, 21, 12)
WHERE length(id) = 32 AND id NOT LIKE '%-%';
UPDATE settlement_findings SET id = substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' || substr(id, 13, 4) || '-' ||
    substr(id, 17, 4) || '-' || substr(id, 21, 12)
WHERE length(id) = 32 AND id NOT LIKE '%-%';

-- +goose Down
-- The canonical form is what every route takes; nothing to undo.
SELECT 1;
