-- +goose Up
-- The money movements of exchanges at the payment gateway (issue 16), as
-- postgres/00017_exchange_payments.sql describes them, in SQLite's types.
CREATE TABLE exchange_payments (
    id             TEXT PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    return_id      TEXT NOT NULL REFERENCES returns (id),
    kind           TEXT NOT NULL CHECK (kind IN ('authorize', 'capture', 'release', 'charge')),
    payment_id     TEXT NOT NULL,
    gateway_id     TEXT NOT NULL DEFAULT '',
    gateway_status TEXT NOT NULL DEFAULT '',
    amount         INTEGER NOT NULL CHECK (amount > 0),
    currency       TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    state          TEXT NOT NULL CHECK (state IN ('prepared', 'sent', 'approved', 'declined')),
    failure_code   TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    finished_at    DATETIME,
    UNIQUE (return_id, kind),
    CHECK ((state IN ('approved', 'declined')) = (finished_at IS NOT NULL))
);
CREATE INDEX exchange_payments_merchant ON exchange_payments (merchant_id, created_at);

-- +goose Down
DROP TABLE exchange_payments;
