-- What the lifecycle needs beyond the first schema: reservations and
-- attention flags on returns, refunds and their attempts, one-time codes,
-- sessions, API keys, the notification outbox and webhook endpoints,
-- idempotent requests and carrier events.

-- +goose Up
ALTER TABLE returns ADD COLUMN channel text NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN reserved_at timestamptz;
ALTER TABLE returns ADD COLUMN attention text NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN attention_at timestamptz;
CREATE INDEX returns_attention ON returns (merchant_id, attention) WHERE attention <> '';

CREATE TABLE refunds (
    id              uuid PRIMARY KEY,
    return_id       uuid NOT NULL REFERENCES returns (id),
    order_id        uuid NOT NULL REFERENCES orders (id),
    merchant_id     uuid NOT NULL REFERENCES merchants (id),
    channel         text NOT NULL CHECK (channel IN ('card_present', 'online')),
    amount          bigint NOT NULL CHECK (amount >= 0),
    shipping_amount bigint NOT NULL DEFAULT 0 CHECK (shipping_amount >= 0),
    currency        text NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    failure_code    text NOT NULL DEFAULT '',
    quote           jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    finished_at     timestamptz
);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_return ON refunds (return_id);
CREATE INDEX refunds_merchant ON refunds (merchant_id, created_at);

CREATE TABLE refund_attempts (
    id                uuid PRIMARY KEY,
    refund_id         uuid NOT NULL REFERENCES refunds (id),
    state             text NOT NULL,
    gateway_refund_id text NOT NULL DEFAULT '',
    failure_code      text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX refund_attempts_refund ON refund_attempts (refund_id);

CREATE TABLE otp_challenges (
    id          uuid PRIMARY KEY,
    return_id   uuid NOT NULL REFERENCES returns (id),
    contact     text NOT NULL,
    client_ip   text NOT NULL DEFAULT '',
    code_hmac   text NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL,
    consumed_at timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX otp_challenges_return ON otp_challenges (return_id, created_at);
CREATE INDEX otp_challenges_contact ON otp_challenges (contact, created_at);
CREATE INDEX otp_challenges_client ON otp_challenges (client_ip, created_at);

CREATE TABLE sessions (
    token_hash    text PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('staff', 'shopper')),
    staff_user_id uuid REFERENCES staff_users (id),
    return_id     uuid REFERENCES returns (id),
    merchant_id   uuid REFERENCES merchants (id),
    role          text NOT NULL DEFAULT '',
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    CHECK ((kind = 'staff') = (staff_user_id IS NOT NULL)),
    CHECK ((kind = 'shopper') = (return_id IS NOT NULL))
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    name        text NOT NULL DEFAULT '',
    prefix      text NOT NULL,
    key_hash    text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE TABLE webhook_endpoints (
    id          uuid PRIMARY KEY,
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    url         text NOT NULL,
    secret      text NOT NULL,
    disabled    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL
);

CREATE TABLE outbox (
    id          uuid PRIMARY KEY,
    dedupe_key  text NOT NULL UNIQUE,
    merchant_id uuid REFERENCES merchants (id),
    return_id   uuid REFERENCES returns (id),
    channel     text NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
    recipient   text NOT NULL,
    webhook_id  uuid REFERENCES webhook_endpoints (id),
    subject     text NOT NULL DEFAULT '',
    body_text   text NOT NULL DEFAULT '',
    body_html   text NOT NULL DEFAULT '',
    -- a sensitive body (a one-time code) is blanked once sent, outside dev
    sensitive   boolean NOT NULL DEFAULT false,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz
);
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
CREATE INDEX outbox_pending ON outbox (status, created_at) WHERE status = 'pending';

CREATE TABLE idempotency_keys (
    scope           text NOT NULL,
    key             text NOT NULL,
    request_hash    text NOT NULL,
    state           text NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status integer NOT NULL DEFAULT 0,
    response_body   text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE carrier_events (
    event_id        text PRIMARY KEY,
    tracking_number text NOT NULL,
    event           text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    return_id       uuid REFERENCES returns (id),
    received_at     timestamptz NOT NULL
);

-- +goose Down
DROP TABLE carrier_events;
DROP TABLE idempotency_keys;
DROP TABLE outbox;
DROP TABLE webhook_endpoints;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE otp_challenges;
DROP TABLE refund_attempts;
DROP TABLE refunds;
DROP INDEX returns_attention;
ALTER TABLE returns DROP COLUMN attention_at;
ALTER TABLE returns DROP COLUMN attention;
ALTER TABLE returns DROP COLUMN reserved_at;
ALTER TABLE returns DROP COLUMN channel;
