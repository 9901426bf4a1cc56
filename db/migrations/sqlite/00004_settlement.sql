-- (SQLite types; see postgres/00004_settlement.sql.)
-- Reconciliation: settlement files as they are imported (the acquirer's
-- and the gateway's), their rows staged for set-wise matching, what each
-- matched, and findings that no row explains (refunds missing at the
-- acquirer).

-- +goose Up
CREATE TABLE settlement_files (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    source          TEXT NOT NULL CHECK (source IN ('acquirer', 'gateway')),
    filename        TEXT NOT NULL DEFAULT '',
    content_hash    TEXT NOT NULL DEFAULT '',
    size_bytes      INTEGER NOT NULL DEFAULT 0,
    rows_read       INTEGER NOT NULL DEFAULT 0,
    bad_rows        INTEGER NOT NULL DEFAULT 0,
    first_day       TEXT NOT NULL DEFAULT '',
    last_day        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('importing', 'imported', 'refused', 'reconciling', 'reconciled')),
    error           TEXT NOT NULL DEFAULT '',
    uploaded_by     TEXT NOT NULL DEFAULT '',
    matched         INTEGER NOT NULL DEFAULT 0,
    unexpected      INTEGER NOT NULL DEFAULT 0,
    amount_mismatch INTEGER NOT NULL DEFAULT 0,
    missing         INTEGER NOT NULL DEFAULT 0,
    ignored         INTEGER NOT NULL DEFAULT 0,
    created_at      DATETIME NOT NULL,
    imported_at     DATETIME,
    reconciled_at   DATETIME
);
-- A file is imported once: the same content again is recognised by its hash.
CREATE UNIQUE INDEX settlement_files_content ON settlement_files (merchant_id, content_hash) WHERE content_hash <> '' AND status <> 'refused';

-- Rows are staged without constraints or indexes beyond the file's, so
-- that a large file streams in at the speed of COPY.
CREATE TABLE settlement_items (
    file_id          TEXT NOT NULL,
    line             INTEGER NOT NULL,
    settlement_day   TEXT NOT NULL DEFAULT '',
    transaction_day  TEXT NOT NULL DEFAULT '',
    acquirer_mid     TEXT NOT NULL DEFAULT '',
    terminal_id      TEXT NOT NULL DEFAULT '',
    stan             TEXT NOT NULL DEFAULT '',
    rrn              TEXT NOT NULL DEFAULT '',
    approval_code    TEXT NOT NULL DEFAULT '',
    processing_code  TEXT NOT NULL DEFAULT '',
    gateway_refund   TEXT NOT NULL DEFAULT '',
    reference        TEXT NOT NULL DEFAULT '',
    item_status      TEXT NOT NULL DEFAULT '',
    amount           INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    masked_pan       TEXT NOT NULL DEFAULT '',
    batch            TEXT NOT NULL DEFAULT '',
    result           TEXT NOT NULL DEFAULT '',
    match_key        TEXT NOT NULL DEFAULT '',
    attempt_id       TEXT
);
CREATE INDEX settlement_items_file ON settlement_items (file_id, line);

CREATE TABLE settlement_errors (
    file_id TEXT NOT NULL REFERENCES settlement_files (id),
    line    INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (file_id, line)
);

-- An attempt matched by a file, and its UTC day of transmission (what the
-- acquirer's file calls the transaction date).
ALTER TABLE refund_attempts ADD COLUMN transmitted_day TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN settled_file_id TEXT;
CREATE INDEX refund_attempts_rrn ON refund_attempts (rrn) WHERE rrn <> '';
CREATE INDEX refund_attempts_gateway ON refund_attempts (gateway_refund_id) WHERE gateway_refund_id <> '';

-- Findings no row explains: a refund missing at the acquirer.
CREATE TABLE settlement_findings (
    id          TEXT PRIMARY KEY,
    file_id     TEXT NOT NULL REFERENCES settlement_files (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    kind        TEXT NOT NULL,
    attempt_id  TEXT NOT NULL REFERENCES refund_attempts (id),
    match_key   TEXT NOT NULL DEFAULT '',
    amount      INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    UNIQUE (kind, attempt_id)
);

ALTER TABLE work_items ADD COLUMN file_id TEXT REFERENCES settlement_files (id);
ALTER TABLE work_items ADD COLUMN item_line INTEGER;

-- +goose Down
ALTER TABLE work_items DROP COLUMN item_line;
ALTER TABLE work_items DROP COLUMN file_id;
DROP TABLE settlement_findings;
DROP INDEX refund_attempts_gateway;
DROP INDEX refund_attempts_rrn;
ALTER TABLE refund_attempts DROP COLUMN settled_file_id;
ALTER TABLE refund_attempts DROP COLUMN transmitted_day;
DROP TABLE settlement_errors;
DROP TABLE settlement_items;
DROP TABLE settlement_files;
