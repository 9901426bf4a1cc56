-- The schema of the return lifecycle, as postgres/00001_init.sql describes
-- it, in SQLite's types: ids and JSON are TEXT, times are DATETIME text in UTC.

-- +goose Up
CREATE TABLE merchants (
    id                   TEXT PRIMARY KEY,
    slug                 TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    acquirer_merchant_id TEXT NOT NULL DEFAULT '',
    policy               TEXT NOT NULL DEFAULT '{}',
    status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL
);

CREATE TABLE stores (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    UNIQUE (merchant_id, code)
);

CREATE TABLE terminals (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    store_id    TEXT NOT NULL REFERENCES stores (id),
    terminal_id TEXT NOT NULL UNIQUE CHECK (length(terminal_id) = 8),
    kind        TEXT NOT NULL CHECK (kind IN ('physical', 'virtual')),
    created_at  DATETIME NOT NULL
);
CREATE INDEX terminals_merchant ON terminals (merchant_id);

CREATE TABLE staff_users (
    id            TEXT PRIMARY KEY,
    merchant_id   TEXT REFERENCES merchants (id),
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor', 'finance', 'admin', 'operator')),
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  DATETIME,
    disabled      BOOLEAN NOT NULL DEFAULT 0,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    CHECK ((role = 'operator') = (merchant_id IS NULL))
);
CREATE INDEX staff_users_merchant ON staff_users (merchant_id, role);

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    order_number    TEXT NOT NULL,
    currency        TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    placed_at       DATETIME NOT NULL,
    delivered_at    DATETIME,
    shipping_amount INTEGER NOT NULL DEFAULT 0 CHECK (shipping_amount >= 0),
    customer_name   TEXT NOT NULL DEFAULT '',
    customer_email  TEXT NOT NULL DEFAULT '',
    customer_phone  TEXT NOT NULL DEFAULT '',
    request_hash    TEXT NOT NULL,
    created_at      DATETIME NOT NULL,
    UNIQUE (merchant_id, order_number)
);

CREATE TABLE order_lines (
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_id    TEXT NOT NULL,
    position   INTEGER NOT NULL,
    sku        TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    category   TEXT NOT NULL DEFAULT '',
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
    discount   INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= unit_price * quantity),
    PRIMARY KEY (order_id, line_id)
);

CREATE TABLE payments (
    id                 TEXT PRIMARY KEY,
    order_id           TEXT NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
    channel            TEXT NOT NULL CHECK (channel IN ('card_present', 'online')),
    amount             INTEGER NOT NULL CHECK (amount >= 0),
    currency           TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    terminal_id        TEXT NOT NULL DEFAULT '',
    stan               TEXT NOT NULL DEFAULT '',
    rrn                TEXT NOT NULL DEFAULT '',
    approval_code      TEXT NOT NULL DEFAULT '',
    masked_pan         TEXT NOT NULL DEFAULT '',
    card_fingerprint   TEXT NOT NULL DEFAULT '',
    gateway_payment_id TEXT NOT NULL DEFAULT '',
    created_at         DATETIME NOT NULL
);

CREATE TABLE returns (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    order_id        TEXT NOT NULL REFERENCES orders (id),
    status          TEXT NOT NULL,
    method          TEXT NOT NULL CHECK (method IN ('ship', 'in_store')),
    contact         TEXT NOT NULL,
    contact_kind    TEXT NOT NULL CHECK (contact_kind IN ('email', 'phone')),
    seq             INTEGER NOT NULL DEFAULT 0,
    currency        TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    policy          TEXT NOT NULL DEFAULT '{}',
    status_reason   TEXT NOT NULL DEFAULT '',
    reason_codes    TEXT NOT NULL DEFAULT '[]',
    tracking_number TEXT NOT NULL DEFAULT '',
    label_url       TEXT NOT NULL DEFAULT '',
    refund_amount   INTEGER CHECK (refund_amount >= 0),
    verified_at     DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
CREATE INDEX returns_merchant_status ON returns (merchant_id, status, id);
CREATE INDEX returns_order ON returns (order_id);
CREATE INDEX returns_tracking ON returns (tracking_number) WHERE tracking_number <> '';

CREATE TABLE return_lines (
    return_id         TEXT NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    line_id           TEXT NOT NULL,
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    reason            TEXT NOT NULL,
    note              TEXT NOT NULL DEFAULT '',
    accepted_quantity INTEGER CHECK (accepted_quantity >= 0),
    rejected_quantity INTEGER CHECK (rejected_quantity >= 0),
    condition         TEXT CHECK (condition IN ('new', 'opened', 'damaged')),
    reject_reason     TEXT NOT NULL DEFAULT '',
    inspection_note   TEXT NOT NULL DEFAULT '',
    refund_amount     INTEGER CHECK (refund_amount >= 0),
    PRIMARY KEY (return_id, line_id),
    CHECK (coalesce(accepted_quantity, 0) + coalesce(rejected_quantity, 0) <= quantity)
);

CREATE TABLE timeline_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    return_id  TEXT NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    status     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    actor_role TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    at         DATETIME NOT NULL,
    UNIQUE (return_id, seq)
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            DATETIME NOT NULL,
    merchant_id   TEXT REFERENCES merchants (id),
    actor         TEXT NOT NULL,
    actor_role    TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL DEFAULT '',
    resource_id   TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
    origin        TEXT NOT NULL DEFAULT '',
    request_id    TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_merchant ON audit_log (merchant_id, at);

-- The audit log is append-only: the database refuses to change history.
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_log;
DROP TABLE timeline_events;
DROP TABLE return_lines;
DROP TABLE returns;
DROP TABLE payments;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE staff_users;
DROP TABLE terminals;
DROP TABLE stores;
DROP TABLE merchants;
