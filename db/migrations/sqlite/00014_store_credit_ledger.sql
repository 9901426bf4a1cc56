-- +goose Up
-- Store credit as a ledger (issue 16). A row of store_credits is one credit
-- (its code, kept only as a hash, its customer and currency, what it was
-- issued for, when it expires) and now keeps its balance, which a CHECK
-- holds at zero or above: redemptions take from it with one conditional
-- update inside the transaction that appends their entry. The ledger itself
-- is store_credit_entries, append-only: issued, redeemed, reversed (a
-- redemption put back) and expired, signed (what adds to the balance is
-- positive), so that a credit's balance is the sum of its entries.
ALTER TABLE store_credits ADD COLUMN balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0);
ALTER TABLE store_credits ADD COLUMN expires_at DATETIME;
UPDATE store_credits SET balance = CASE WHEN amount > 0 THEN amount ELSE 0 END;
-- A code names one credit, whichever merchant's.
CREATE UNIQUE INDEX store_credits_code ON store_credits (code_hash) WHERE code_hash <> '';
-- Staff's list: a merchant's credits, or a customer's, newest first.
CREATE INDEX store_credits_merchant_list ON store_credits (merchant_id, id);
CREATE INDEX store_credits_customer_list ON store_credits (merchant_id, customer, id);
CREATE INDEX store_credits_expiring ON store_credits (expires_at) WHERE expires_at IS NOT NULL AND balance > 0;

CREATE TABLE store_credit_entries (
    id              TEXT PRIMARY KEY,
    credit_id       TEXT NOT NULL REFERENCES store_credits (id),
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    customer        TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('issued', 'redeemed', 'reversed', 'expired')),
    amount          INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    return_id       TEXT REFERENCES returns (id),
    order_reference TEXT NOT NULL DEFAULT '',
    reverses        TEXT REFERENCES store_credit_entries (id),
    actor           TEXT NOT NULL DEFAULT '',
    reference       TEXT NOT NULL,
    created_at      DATETIME NOT NULL,
    UNIQUE (merchant_id, reference),
    CHECK ((kind IN ('issued', 'reversed') AND amount > 0) OR (kind IN ('redeemed', 'expired') AND amount < 0))
);
-- A redemption is put back once.
CREATE UNIQUE INDEX store_credit_entries_reverses ON store_credit_entries (reverses) WHERE reverses IS NOT NULL;
CREATE INDEX store_credit_entries_customer ON store_credit_entries (merchant_id, customer, created_at, id);
CREATE INDEX store_credit_entries_credit ON store_credit_entries (credit_id, created_at, id);
CREATE INDEX store_credit_entries_day ON store_credit_entries (merchant_id, created_at);

-- What the fallback of failed refunds wrote before is each an issued entry.
INSERT INTO store_credit_entries (id, credit_id, merchant_id, customer, kind, amount, currency, return_id, actor, reference, created_at)
SELECT id, id, merchant_id, customer, 'issued', amount, currency, return_id, created_by, 'issue/' || id, created_at
FROM store_credits WHERE amount > 0;

-- +goose Down
DROP TABLE store_credit_entries;
DROP INDEX store_credits_expiring;
DROP INDEX store_credits_customer_list;
DROP INDEX store_credits_merchant_list;
DROP INDEX store_credits_code;
ALTER TABLE store_credits DROP COLUMN expires_at;
ALTER TABLE store_credits DROP COLUMN balance;
