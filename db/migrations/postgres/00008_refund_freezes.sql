-- +goose Up
-- An emergency stop on refunds: an operator or a merchant's admin freezes
-- refunds for a merchant, a store or a terminal, with a reason. New refund
-- attempts wait while a freeze covers them (a refund waiting says which
-- freeze holds it); lifting it lets them go on.
CREATE TABLE refund_freezes (
    id           uuid PRIMARY KEY,
    merchant_id  uuid NOT NULL REFERENCES merchants (id),
    store_id     uuid REFERENCES stores (id),
    terminal_id  text,
    reason       text NOT NULL,
    created_by   text NOT NULL,
    created_role text NOT NULL,
    created_at   timestamptz NOT NULL,
    lifted_at    timestamptz,
    lifted_by    text NOT NULL DEFAULT ''
);
CREATE INDEX refund_freezes_active ON refund_freezes (merchant_id) WHERE lifted_at IS NULL;
ALTER TABLE refunds ADD COLUMN frozen_by uuid REFERENCES refund_freezes (id);

-- +goose Down
ALTER TABLE refunds DROP COLUMN frozen_by;
DROP TABLE refund_freezes;
