-- Card refunds on the POS: STANs per terminal, attempts with their ISO 8583
-- data and reversals, who authorised a refund, finance work items and the
-- store-credit ledger.

-- +goose Up
ALTER TABLE terminals ADD COLUMN next_stan integer NOT NULL DEFAULT 1 CHECK (next_stan BETWEEN 1 AND 999999);

ALTER TABLE refunds ADD COLUMN authorised_by text NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN workflow_id text NOT NULL DEFAULT '';

ALTER TABLE refund_attempts ADD COLUMN n integer NOT NULL DEFAULT 1;
ALTER TABLE refund_attempts ADD COLUMN kind text NOT NULL DEFAULT 'online' CHECK (kind IN ('online', 'void', 'refund'));
ALTER TABLE refund_attempts ADD COLUMN amount bigint NOT NULL DEFAULT 0;
ALTER TABLE refund_attempts ADD COLUMN terminal_id text NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN stan text NOT NULL DEFAULT '';
-- the UTC day the STAN was allocated on: a STAN is unique per terminal per day
ALTER TABLE refund_attempts ADD COLUMN stan_day text NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN transmitted_at timestamptz;
ALTER TABLE refund_attempts ADD COLUMN response_code text NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN approval_code text NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN rrn text NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN unknown_reason text NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN reversal_tries integer NOT NULL DEFAULT 0;
ALTER TABLE refund_attempts ADD COLUMN reversal_code text NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN late_response_code text NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN late_at timestamptz;
CREATE UNIQUE INDEX refund_attempts_stan ON refund_attempts (terminal_id, stan_day, stan) WHERE stan <> '';
CREATE INDEX refund_attempts_in_flight ON refund_attempts (terminal_id, stan) WHERE state IN ('prepared', 'sent', 'unknown', 'reversal_pending');

CREATE TABLE work_items (
    id          uuid PRIMARY KEY,
    dedupe_key  text NOT NULL UNIQUE,
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    kind        text NOT NULL,
    return_id   uuid REFERENCES returns (id),
    refund_id   uuid REFERENCES refunds (id),
    attempt_id  uuid REFERENCES refund_attempts (id),
    summary     text NOT NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution  text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    resolved_by text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    resolved_at timestamptz
);
CREATE INDEX work_items_open ON work_items (merchant_id, status, created_at);

-- Store credit: one ledger per customer (contact) per merchant; a credit's
-- code is shown to the shopper once and kept only as a hash.
CREATE TABLE store_credits (
    id          uuid PRIMARY KEY,
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    customer    text NOT NULL,
    return_id   uuid REFERENCES returns (id),
    amount      bigint NOT NULL,
    currency    text NOT NULL,
    code_hash   text NOT NULL DEFAULT '',
    code_last4  text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
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
