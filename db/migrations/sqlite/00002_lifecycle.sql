-- What the lifecycle needs beyond the first schema: reservations and
-- attention flags on returns, refunds and their attempts, one-time codes,
-- sessions, API keys, the notification outbox and webhook endpoints,
-- idempotent requests and carrier events.

-- +goose Up
ALTER TABLE returns ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN reserved_at DATETIME;
ALTER TABLE returns ADD COLUMN attention TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN attention_at DATETIME;
CREATE INDEX returns_attention ON returns (merchant_id, attention) WHERE attention <> '';

CREATE TABLE refunds (
    id              TEXT PRIMARY KEY,
    return_id       TEXT NOT NULL REFERENCES returns (id),
    order_id        TEXT NOT NULL REFERENCES orders (id),
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    channel         TEXT NOT NULL CHECK (channel IN ('card_present', 'online')),
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    shipping_amount INTEGER NOT NULL DEFAULT 0 CHECK (shipping_amount >= 0),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    failure_code    TEXT NOT NULL DEFAULT '',
    quote           TEXT NOT NULL DEFAULT '{}',
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    finished_at     DATETIME
);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_return ON refunds (return_id);
CREATE INDEX refunds_merchant ON refunds (merchant_id, created_at);

CREATE TABLE refund_attempts (
    id                TEXT PRIMARY KEY,
    refund_id         TEXT NOT NULL REFERENCES refunds (id),
    state             TEXT NOT NULL,
    gateway_refund_id TEXT NOT NULL DEFAULT '',
    failure_code      TEXT NOT NULL DEFAULT '',
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL
);
CREATE INDEX refund_attempts_refund ON refund_attempts (refund_id);

CREATE TABLE otp_challenges (
    id          TEXT PRIMARY KEY,
    return_id   TEXT NOT NULL REFERENCES returns (id),
    contact     TEXT NOT NULL,
    client_ip   TEXT NOT NULL DEFAULT '',
    code_hmac   TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    expires_at  DATETIME NOT NULL,
    consumed_at DATETIME,
    created_at  DATETIME NOT NULL
);
CREATE INDEX otp_challenges_return ON otp_challenges (return_id, created_at);
CREATE INDEX otp_challenges_contact ON otp_challenges (contact, created_at);
CREATE INDEX otp_challenges_client ON otp_challenges (client_ip, created_at);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('staff', 'shopper')),
    staff_user_id TEXT REFERENCES staff_users (id),
    return_id     TEXT REFERENCES returns (id),
    merchant_id   TEXT REFERENCES merchants (id),
    role          TEXT NOT NULL DEFAULT '',
    expires_at    DATETIME NOT NULL,
    created_at    DATETIME NOT NULL,
    CHECK ((kind = 'staff') = (staff_user_id IS NOT NULL)),
    CHECK ((kind = 'shopper') = (return_id IS NOT NULL))
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    name        TEXT NOT NULL DEFAULT '',
    prefix      TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  DATETIME NOT NULL,
    revoked_at  DATETIME
);

CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    disabled    BOOLEAN NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL
);

CREATE TABLE outbox (
    id          TEXT PRIMARY KEY,
    dedupe_key  TEXT NOT NULL UNIQUE,
    merchant_id TEXT REFERENCES merchants (id),
    return_id   TEXT REFERENCES returns (id),
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
    recipient   TEXT NOT NULL,
    webhook_id  TEXT REFERENCES webhook_endpoints (id),
    subject     TEXT NOT NULL DEFAULT '',
    body_text   TEXT NOT NULL DEFAULT '',
    body_html   TEXT NOT NULL DEFAULT '',
    -- a sensitive body (a one-time code) is blanked once sent, outside dev
    sensitive   BOOLEAN NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    sent_at     DATETIME
);
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
CREATE INDEX outbox_pending ON outbox (status, created_at) WHERE status = 'pending';

CREATE TABLE idempotency_keys (
    scope           TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status INTEGER NOT NULL DEFAULT 0,
    response_body   TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE carrier_events (
    event_id        TEXT PRIMARY KEY,
    tracking_number TEXT NOT NULL,
    event           TEXT NOT NULL,
    occurred_at     DATETIME NOT NULL,
    return_id       TEXT REFERENCES returns (id),
    received_at     DATETIME NOT NULL
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
