-- +goose Up
-- The money movements of exchanges at the payment gateway (issue 16): a
-- hold (card authorisation) for an instant exchange's replacement, its
-- capture or its release (the gateway's void), and a charge of a price
-- difference. One row per return and kind, made before the gateway is
-- called: its id is the call's Idempotency-Key, so a retry after a crash
-- sends the same key and the gateway moves the money once. The state moves
-- prepared -> sent -> approved | declined, from the gateway's answer or its
-- webhook, whichever comes first.
CREATE TABLE exchange_payments (
    id             uuid PRIMARY KEY,
    merchant_id    uuid NOT NULL REFERENCES merchants (id),
    return_id      uuid NOT NULL REFERENCES returns (id),
    kind           text NOT NULL CHECK (kind IN ('authorize', 'capture', 'release', 'charge')),
    payment_id     text NOT NULL,
    -- the gateway's id of the hold (capture, release: the return's hold;
    -- authorize, charge: its own, once the gateway answered)
    gateway_id     text NOT NULL DEFAULT '',
    gateway_status text NOT NULL DEFAULT '',
    amount         bigint NOT NULL CHECK (amount > 0),
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    state          text NOT NULL CHECK (state IN ('prepared', 'sent', 'approved', 'declined')),
    failure_code   text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    UNIQUE (return_id, kind),
    CHECK ((state IN ('approved', 'declined')) = (finished_at IS NOT NULL))
);
CREATE INDEX exchange_payments_merchant ON exchange_payments (merchant_id, created_at);

-- +goose Down
DROP TABLE exchange_payments;
