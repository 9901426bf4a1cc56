-- +goose Up
-- The merchant's catalog and the inventory holds of exchanges (issue 16),
-- as postgres/00015_catalog.sql describes them, in SQLite's types.
CREATE TABLE catalog_products (
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    product_id  TEXT NOT NULL,
    title       TEXT NOT NULL,
    category    TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    PRIMARY KEY (merchant_id, product_id)
);

CREATE TABLE catalog_variants (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    sku         TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    options     TEXT NOT NULL DEFAULT '{}',
    price       INTEGER NOT NULL CHECK (price >= 0),
    currency    TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    available   INTEGER NOT NULL CHECK (available >= 0),
    held        INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0 AND held <= available),
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    UNIQUE (merchant_id, sku),
    FOREIGN KEY (merchant_id, product_id) REFERENCES catalog_products (merchant_id, product_id)
);
CREATE INDEX catalog_variants_product ON catalog_variants (merchant_id, product_id, sku);

CREATE TABLE inventory_holds (
    id             TEXT PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    variant_id     TEXT NOT NULL REFERENCES catalog_variants (id),
    return_id      TEXT NOT NULL REFERENCES returns (id),
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    state          TEXT NOT NULL CHECK (state IN ('held', 'released', 'consumed')),
    release_reason TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    ended_at       DATETIME,
    UNIQUE (return_id, variant_id),
    CHECK ((state = 'held') = (ended_at IS NULL))
);
CREATE INDEX inventory_holds_variant ON inventory_holds (variant_id) WHERE state = 'held';

-- +goose Down
DROP TABLE inventory_holds;
DROP TABLE catalog_variants;
DROP TABLE catalog_products;
