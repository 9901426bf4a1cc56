-- (SQLite types; see postgres/00003_card_refunds.sql.)
-- Card refunds on the POS: STANs per terminal, attempts with their ISO 8583
-- data and reversals, who authorised a refund, finance work items and the
-- store-credit ledger.

-- +goose Up
ALTER TABLE terminals ADD COLUMN next_stan INTEGER NOT NULL DEFAULT 1 CHECK (next_stan BETWEEN 1 AND 999999);

ALTER TABLE refunds ADD COLUMN authorised_by TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN workflow_id TEXT NOT NULL DEFAULT '';

ALTER TABLE refund_attempts ADD COLUMN n INTEGER NOT NULL DEFAULT 1;
ALTER TABLE refund_attempts ADD COLUMN kind TEXT NOT NULL DEFAULT 'online' CHECK (kind IN ('online', 'void', 'refund'));
ALTER TABLE refund_attempts ADD COLUMN amount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refund_attempts ADD COLUMN terminal_id TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN stan TEXT NOT NULL DEFAULT '';
-- the UTC day the STAN was allocated on: a STAN is unique per terminal per day
ALTER TABLE refund_attempts ADD COLUMN stan_day TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN transmitted_at DATETIME;
ALTER TABLE refund_attempts ADD COLUMN response_code TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN approval_code TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN rrn TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN unknown_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN reversal_tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refund_attempts ADD COLUMN reversal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN late_response_code TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN late_at DATETIME;
CREATE UNIQUE INDEX refund_attempts_stan ON refund_attempts (terminal_id, stan_day, stan) WHERE stan <> '';
CREATE INDEX refund_attempts_in_flight ON refund_attempts (terminal_id, stan) WHERE state IN ('prepared', 'sent', 'unknown', 'reversal_pending');

CREATE TABLE work_items (
    id          TEXT PRIMARY KEY,
    dedupe_key  TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    kind        TEXT NOT NULL,
    return_id   TEXT REFERENCES returns (id),
    refund_id   TEXT REFERENCES refunds (id),
    attempt_id  TEXT REFERENCES refund_attempts (id),
    summary     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution  TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    resolved_at DATETIME
);
CREATE INDEX work_items_open ON work_items (merchant_id, status, created_at);

-- Store credit: one ledger per customer (contact) per merchant; a credit's
-- code is shown to the shopper once and kept only as a hash.
CREATE TABLE store_credits (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    customer    TEXT NOT NULL,
    return_id   TEXT REFERENCES returns (id),
    amount      INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    code_hash   TEXT NOT NULL DEFAULT '',
    code_last4  TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    UNIQUE (return_id)
);
CREATE INDEX store_credits_customer ON store_credits (merchant_id, customer, created_at);

-- +goose Down
DROP TABLE store_credits;
DROP TABLE work_items;
DROP INDEX refund_attempts_in_flight;
DROP INDEX refund_attempts_stan;
ALTER TABLE refund_attempts DROP COLUMN late_at;
ALTER TABLE refund_attempts DROP COLUMN late_response_code;
ALTER TABLE refund_attempts DROP COLUMN reversal_code;
ALTER TABLE refund_attempts DROP COLUMN reversal_tries;
ALTER TABLE refund_attempts DROP COLUMN unknown_reason;
ALTER TABLE refund_attempts DROP COLUMN rrn;
ALTER TABLE refund_attempts DROP COLUMN approval_code;
ALTER TABLE refund_attempts DROP COLUMN response_code;
ALTER TABLE refund_attempts DROP COLUMN transmitted_at;
ALTER TABLE refund_attempts DROP COLUMN stan_day;
ALTER TABLE refund_attempts DROP COLUMN stan;
ALTER TABLE refund_attempts DROP COLUMN terminal_id;
ALTER TABLE refund_attempts DROP COLUMN amount;
ALTER TABLE refund_attempts DROP COLUMN kind;
ALTER TABLE refund_attempts DROP COLUMN n;
ALTER TABLE refunds DROP COLUMN workflow_id;
ALTER TABLE refunds DROP COLUMN authorised_by;
ALTER TABLE terminals DROP COLUMN next_stan;
