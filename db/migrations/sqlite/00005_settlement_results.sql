-- (SQLite types; see postgres/00005_settlement_results.sql.)
-- +goose Up
-- What reconciliation made of each staged row lives in its own narrow
-- table, written once: staged rows stay as the file had them (no row is
-- rewritten, no dead rows), and a row that matched an attempt settles it,
-- which at most one row of any file may do. (Rewriting the staged row and
-- marking each attempt were the costliest steps of a large file.)
CREATE TABLE settlement_results (
    file_id    TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    line       INTEGER NOT NULL,
    result     TEXT NOT NULL,
    match_key  TEXT NOT NULL DEFAULT '',
    attempt_id TEXT,
    PRIMARY KEY (file_id, line)
);
-- By merchant: matching a merchant's file reads only what settled its own
-- attempts (an attempt is one merchant's, so it stays unique).
CREATE UNIQUE INDEX settlement_results_settled ON settlement_results (merchant_id, attempt_id) WHERE result = 'matched';
INSERT INTO settlement_results (file_id, merchant_id, line, result, match_key, attempt_id)
    SELECT i.file_id, f.merchant_id, i.line, i.result, i.match_key, i.attempt_id
    FROM settlement_items AS i JOIN settlement_files AS f ON f.id = i.file_id WHERE i.result NOT IN ('', 'ignored');
ALTER TABLE settlement_items DROP COLUMN result;
ALTER TABLE settlement_items DROP COLUMN match_key;
ALTER TABLE settlement_items DROP COLUMN attempt_id;
ALTER TABLE refund_attempts DROP COLUMN settled_file_id;

-- +goose Down
ALTER TABLE refund_attempts ADD COLUMN settled_file_id TEXT;
ALTER TABLE settlement_items ADD COLUMN result TEXT NOT NULL DEFAULT '';
ALTER TABLE settlement_items ADD COLUMN match_key TEXT NOT NULL DEFAULT '';
ALTER TABLE settlement_items ADD COLUMN attempt_id TEXT;
UPDATE settlement_items AS i SET result = r.result, match_key = r.match_key, attempt_id = r.attempt_id
    FROM settlement_results AS r WHERE r.file_id = i.file_id AND r.line = i.line;
UPDATE refund_attempts SET settled_file_id =
    (SELECT r.file_id FROM settlement_results AS r WHERE r.attempt_id = refund_attempts.id AND r.result = 'matched');
DROP TABLE settlement_results;
