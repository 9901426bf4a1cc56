-- +goose Up
-- A shopper proves an order is theirs before choosing what to return: a
-- one-time code sent to the order's contact opens the order for a short
-- while (the returns portal's "find your order"). Only the code's HMAC and
-- the access token's hash are kept.
CREATE TABLE order_lookups (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants (id),
    order_id         TEXT NOT NULL REFERENCES orders (id),
    contact          TEXT NOT NULL,
    contact_kind     TEXT NOT NULL,
    client_ip        TEXT NOT NULL DEFAULT '',
    code_hmac        TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    expires_at       DATETIME NOT NULL,
    verified_at      DATETIME,
    token_hash       TEXT UNIQUE,
    token_expires_at DATETIME,
    created_at       DATETIME NOT NULL
);
CREATE INDEX order_lookups_contact ON order_lookups (contact, created_at);
CREATE INDEX order_lookups_client ON order_lookups (client_ip, created_at);

-- +goose Down
DROP TABLE order_lookups;
