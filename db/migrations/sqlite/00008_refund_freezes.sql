-- +goose Up
-- An emergency stop on refunds: an operator or a merchant's admin freezes
-- refunds for a merchant, a store or a terminal, with a reason. New refund
-- attempts wait while a freeze covers them (a refund waiting says which
-- freeze holds it); lifting it lets them go on.
CREATE TABLE refund_freezes (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    store_id     TEXT REFERENCES stores (id),
    terminal_id  TEXT,
    reason       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_role TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    lifted_at    DATETIME,
    lifted_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX refund_freezes_active ON refund_freezes (merchant_id) WHERE lifted_at IS NULL;
ALTER TABLE refunds ADD COLUMN frozen_by TEXT REFERENCES refund_freezes (id);

-- +goose Down
ALTER TABLE refunds DROP COLUMN frozen_by;
DROP TABLE refund_freezes;
