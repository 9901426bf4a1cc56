-- The schema of the return lifecycle: who sells (merchants, stores,
-- terminals, staff), what was sold (orders, lines, payments), what comes back
-- (returns, return lines, their timeline) and who did what (audit log).
-- Money is integer minor units beside an ISO 4217 currency.

-- +goose Up
CREATE TABLE merchants (
    id                   uuid PRIMARY KEY,
    slug                 text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name                 text NOT NULL,
    acquirer_merchant_id text NOT NULL DEFAULT '',
    policy               jsonb NOT NULL DEFAULT '{}'::jsonb,
    status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

CREATE TABLE stores (
    id          uuid PRIMARY KEY,
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    code        text NOT NULL,
    name        text NOT NULL,
    address     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    UNIQUE (merchant_id, code)
);

CREATE TABLE terminals (
    id          uuid PRIMARY KEY,
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    store_id    uuid NOT NULL REFERENCES stores (id),
    terminal_id text NOT NULL UNIQUE CHECK (length(terminal_id) = 8),
    kind        text NOT NULL CHECK (kind IN ('physical', 'virtual')),
    created_at  timestamptz NOT NULL
);
CREATE INDEX terminals_merchant ON terminals (merchant_id);

CREATE TABLE staff_users (
    id            uuid PRIMARY KEY,
    merchant_id   uuid REFERENCES merchants (id),
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('clerk', 'supervisor', 'finance', 'admin', 'operator')),
    password_hash text NOT NULL,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    -- platform operators belong to no merchant; everybody else to exactly one
    CHECK ((role = 'operator') = (merchant_id IS NULL))
);
CREATE INDEX staff_users_merchant ON staff_users (merchant_id, role);

CREATE TABLE orders (
    id              uuid PRIMARY KEY,
    merchant_id     uuid NOT NULL REFERENCES merchants (id),
    order_number    text NOT NULL,
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    placed_at       timestamptz NOT NULL,
    delivered_at    timestamptz,
    shipping_amount bigint NOT NULL DEFAULT 0 CHECK (shipping_amount >= 0),
    customer_name   text NOT NULL DEFAULT '',
    customer_email  text NOT NULL DEFAULT '',
    customer_phone  text NOT NULL DEFAULT '',
    request_hash    text NOT NULL,
    created_at      timestamptz NOT NULL,
    UNIQUE (merchant_id, order_number)
);

CREATE TABLE order_lines (
    order_id   uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_id    text NOT NULL,
    position   integer NOT NULL,
    sku        text NOT NULL DEFAULT '',
    name       text NOT NULL,
    category   text NOT NULL DEFAULT '',
    quantity   integer NOT NULL CHECK (quantity > 0),
    unit_price bigint NOT NULL CHECK (unit_price >= 0),
    discount   bigint NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= unit_price * quantity),
    PRIMARY KEY (order_id, line_id)
);

CREATE TABLE payments (
    id                 uuid PRIMARY KEY,
    order_id           uuid NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
    channel            text NOT NULL CHECK (channel IN ('card_present', 'online')),
    amount             bigint NOT NULL CHECK (amount >= 0),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    terminal_id        text NOT NULL DEFAULT '',
    stan               text NOT NULL DEFAULT '',
    rrn                text NOT NULL DEFAULT '',
    approval_code      text NOT NULL DEFAULT '',
    masked_pan         text NOT NULL DEFAULT '',
    card_fingerprint   text NOT NULL DEFAULT '',
    gateway_payment_id text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL
);

CREATE TABLE returns (
    id              uuid PRIMARY KEY,
    merchant_id     uuid NOT NULL REFERENCES merchants (id),
    order_id        uuid NOT NULL REFERENCES orders (id),
    status          text NOT NULL,
    method          text NOT NULL CHECK (method IN ('ship', 'in_store')),
    contact         text NOT NULL,
    contact_kind    text NOT NULL CHECK (contact_kind IN ('email', 'phone')),
    -- the projection's sequence number: a write carrying an older one is ignored
    seq             bigint NOT NULL DEFAULT 0,
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    policy          jsonb NOT NULL DEFAULT '{}'::jsonb,
    status_reason   text NOT NULL DEFAULT '',
    reason_codes    jsonb NOT NULL DEFAULT '[]'::jsonb,
    tracking_number text NOT NULL DEFAULT '',
    label_url       text NOT NULL DEFAULT '',
    refund_amount   bigint CHECK (refund_amount >= 0),
    verified_at     timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX returns_merchant_status ON returns (merchant_id, status, id);
CREATE INDEX returns_order ON returns (order_id);
CREATE INDEX returns_tracking ON returns (tracking_number) WHERE tracking_number <> '';

CREATE TABLE return_lines (
    return_id         uuid NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    line_id           text NOT NULL,
    quantity          integer NOT NULL CHECK (quantity > 0),
    reason            text NOT NULL,
    note              text NOT NULL DEFAULT '',
    accepted_quantity integer CHECK (accepted_quantity >= 0),
    rejected_quantity integer CHECK (rejected_quantity >= 0),
    condition         text CHECK (condition IN ('new', 'opened', 'damaged')),
    reject_reason     text NOT NULL DEFAULT '',
    inspection_note   text NOT NULL DEFAULT '',
    refund_amount     bigint CHECK (refund_amount >= 0),
    PRIMARY KEY (return_id, line_id),
    CHECK (coalesce(accepted_quantity, 0) + coalesce(rejected_quantity, 0) <= quantity)
);

CREATE TABLE timeline_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    return_id  uuid NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    status     text NOT NULL,
    actor      text NOT NULL,
    actor_role text NOT NULL DEFAULT '',
    note       text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,
    UNIQUE (return_id, seq)
);

CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL,
    merchant_id   uuid REFERENCES merchants (id),
    actor         text NOT NULL,
    actor_role    text NOT NULL DEFAULT '',
    action        text NOT NULL,
    resource_type text NOT NULL DEFAULT '',
    resource_id   text NOT NULL DEFAULT '',
    outcome       text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
    origin        text NOT NULL DEFAULT '',
    request_id    text NOT NULL DEFAULT '',
    detail        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_merchant ON audit_log (merchant_id, at);

-- The audit log is append-only: the database refuses to change history.
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
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
