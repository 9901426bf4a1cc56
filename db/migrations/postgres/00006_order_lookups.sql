-- +goose Up
-- A shopper proves an order is theirs before choosing what to return: a
-- one-time code sent to the order's contact opens the order for a short
-- while (the returns portal's "find your order"). Only the code's HMAC and
-- the access token's hash are kept.
CREATE TABLE order_lookups (
    id               uuid PRIMARY KEY,
    merchant_id      uuid NOT NULL REFERENCES merchants (id),
    order_id         uuid NOT NULL REFERENCES orders (id),
    contact          text NOT NULL,
    contact_kind     text NOT NULL,
    client_ip        text NOT NULL DEFAULT '',
    code_hmac        text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    expires_at       timestamptz NOT NULL,
    verified_at      timestamptz,
    token_hash       text UNIQUE,
    token_expires_at timestamptz,
    created_at       timestamptz NOT NULL
);
CREATE INDEX order_lookups_contact ON order_lookups (contact, created_at);
CREATE INDEX order_lookups_client ON order_lookups (client_ip, created_at);

-- +goose Down
DROP TABLE order_lookups;
