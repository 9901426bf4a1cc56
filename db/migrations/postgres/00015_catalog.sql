-- +goose Up
-- The merchant's catalog, as much as exchanges need, and the inventory
-- holds of exchanges (issue 16). Products and variants are the merchant's
-- own (their product id, their SKU), registered and updated by their
-- systems in bulk. A variant's `available` is the merchant's stock as they
-- last sent it; `held` is what the holds in state `held` reserve of it.
-- The CHECK keeps held within available, so no write, however it races,
-- can make a variant oversold or a hold negative.
CREATE TABLE catalog_products (
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    product_id  text NOT NULL,
    title       text NOT NULL,
    category    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (merchant_id, product_id)
);

CREATE TABLE catalog_variants (
    id          uuid PRIMARY KEY,
    merchant_id uuid NOT NULL,
    sku         text NOT NULL,
    product_id  text NOT NULL,
    -- option values (size, colour, …) as a JSON object with sorted keys,
    -- kept as text so the same options compare equal byte for byte
    options     text NOT NULL DEFAULT '{}',
    price       bigint NOT NULL CHECK (price >= 0),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    available   integer NOT NULL CHECK (available >= 0),
    held        integer NOT NULL DEFAULT 0 CHECK (held >= 0 AND held <= available),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (merchant_id, sku),
    FOREIGN KEY (merchant_id, product_id) REFERENCES catalog_products (merchant_id, product_id)
);
CREATE INDEX catalog_variants_product ON catalog_variants (merchant_id, product_id, sku);

CREATE TABLE inventory_holds (
    id             uuid PRIMARY KEY,
    merchant_id    uuid NOT NULL REFERENCES merchants (id),
    variant_id     uuid NOT NULL REFERENCES catalog_variants (id),
    return_id      uuid NOT NULL REFERENCES returns (id),
    quantity       integer NOT NULL CHECK (quantity > 0),
    state          text NOT NULL CHECK (state IN ('held', 'released', 'consumed')),
    -- why a released hold was released: the return's status (cancelled,
    -- declined, expired, rejected)
    release_reason text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    -- one hold per return and variant: a retried hold finds the first
    UNIQUE (return_id, variant_id),
    CHECK ((state = 'held') = (ended_at IS NULL))
);
CREATE INDEX inventory_holds_variant ON inventory_holds (variant_id) WHERE state = 'held';

-- +goose Down
DROP TABLE inventory_holds;
DROP TABLE catalog_variants;
DROP TABLE catalog_products;
