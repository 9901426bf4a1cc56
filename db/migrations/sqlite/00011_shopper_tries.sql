-- +goose Up
-- What a shopper may try before a code is verified (issue 13): every filing
-- and order lookup made without a verified code, and every request for a
-- new code, is a try, whatever its outcome. Tries are counted per client
-- address and per order named (a hash of the merchant and order number, so
-- an unknown order counts too), in the hourly window of the code caps.
CREATE TABLE shopper_tries (
    id         TEXT PRIMARY KEY,
    action     TEXT NOT NULL,
    client_ip  TEXT NOT NULL,
    order_key  TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX shopper_tries_client ON shopper_tries (client_ip, created_at);
CREATE INDEX shopper_tries_order ON shopper_tries (order_key, created_at);

-- A lookup's access token files a bounded number of returns.
ALTER TABLE order_lookups ADD COLUMN filings INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE order_lookups DROP COLUMN filings;
DROP TABLE shopper_tries;
