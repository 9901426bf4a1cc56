-- Reconciliation: settlement files as they are imported (the acquirer's
-- and the gateway's), their rows staged for set-wise matching, what each
-- matched, and findings that no row explains (refunds missing at the
-- acquirer).

-- +goose Up
CREATE TABLE settlement_files (
    id              uuid PRIMARY KEY,
    merchant_id     uuid NOT NULL REFERENCES merchants (id),
    source          text NOT NULL CHECK (source IN ('acquirer', 'gateway')),
    filename        text NOT NULL DEFAULT '',
    content_hash    text NOT NULL DEFAULT '',
    size_bytes      bigint NOT NULL DEFAULT 0,
    rows_read       bigint NOT NULL DEFAULT 0,
    bad_rows        bigint NOT NULL DEFAULT 0,
    first_day       text NOT NULL DEFAULT '',
    last_day        text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('importing', 'imported', 'refused', 'reconciling', 'reconciled')),
    error           text NOT NULL DEFAULT '',
    uploaded_by     text NOT NULL DEFAULT '',
    matched         bigint NOT NULL DEFAULT 0,
    unexpected      bigint NOT NULL DEFAULT 0,
    amount_mismatch bigint NOT NULL DEFAULT 0,
    missing         bigint NOT NULL DEFAULT 0,
    ignored         bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    imported_at     timestamptz,
    reconciled_at   timestamptz
);
-- A file is imported once: the same content again is recognised by its hash.
CREATE UNIQUE INDEX settlement_files_content ON settlement_files (merchant_id, content_hash) WHERE content_hash <> '' AND status <> 'refused';

-- Rows are staged without constraints or indexes beyond the file's, so
-- that a large file streams in at the speed of COPY.
CREATE TABLE settlement_items (
    file_id          uuid NOT NULL,
    line             bigint NOT NULL,
    settlement_day   text NOT NULL DEFAULT '',
    transaction_day  text NOT NULL DEFAULT '',
    acquirer_mid     text NOT NULL DEFAULT '',
    terminal_id      text NOT NULL DEFAULT '',
    stan             text NOT NULL DEFAULT '',
    rrn              text NOT NULL DEFAULT '',
    approval_code    text NOT NULL DEFAULT '',
    processing_code  text NOT NULL DEFAULT '',
    gateway_refund   text NOT NULL DEFAULT '',
    reference        text NOT NULL DEFAULT '',
    item_status      text NOT NULL DEFAULT '',
    amount           bigint NOT NULL,
    currency         text NOT NULL,
    masked_pan       text NOT NULL DEFAULT '',
    batch            text NOT NULL DEFAULT '',
    result           text NOT NULL DEFAULT '',
    match_key        text NOT NULL DEFAULT '',
    attempt_id       uuid
);
CREATE INDEX settlement_items_file ON settlement_items (file_id, line);

CREATE TABLE settlement_errors (
    file_id uuid NOT NULL REFERENCES settlement_files (id),
    line    bigint NOT NULL,
    message text NOT NULL,
    PRIMARY KEY (file_id, line)
);

-- An attempt matched by a file, and its UTC day of transmission (what the
-- acquirer's file calls the transaction date).
ALTER TABLE refund_attempts ADD COLUMN transmitted_day text NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN settled_file_id uuid;
CREATE INDEX refund_attempts_rrn ON refund_attempts (rrn) WHERE rrn <> '';
CREATE INDEX refund_attempts_gateway ON refund_attempts (gateway_refund_id) WHERE gateway_refund_id <> '';

-- Findings no row explains: a refund missing at the acquirer.
CREATE TABLE settlement_findings (
    id          uuid PRIMARY KEY,
    file_id     uuid NOT NULL REFERENCES settlement_files (id),
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    kind        text NOT NULL,
    attempt_id  uuid NOT NULL REFERENCES refund_attempts (id),
    match_key   text NOT NULL DEFAULT '',
    amount      bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    UNIQUE (kind, attempt_id)
);

ALTER TABLE work_items ADD COLUMN file_id uuid REFERENCES settlement_files (id);
ALTER TABLE work_items ADD COLUMN item_line bigint;

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
