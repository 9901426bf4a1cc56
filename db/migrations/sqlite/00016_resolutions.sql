-- +goose Up
-- Resolutions per line (issue 16): what the shopper chose for each line of
-- a return (a refund to the original payment, store credit, or an exchange
-- for a variant of the merchant's catalog), and the part of a refund issued
-- as store credit with its bonus. Lines filed before are refunds.
ALTER TABLE return_lines ADD COLUMN resolution TEXT NOT NULL DEFAULT 'refund'
    CHECK (resolution IN ('refund', 'store_credit', 'exchange'));
ALTER TABLE return_lines ADD COLUMN variant_sku TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN credit_amount INTEGER NOT NULL DEFAULT 0 CHECK (credit_amount >= 0);
ALTER TABLE refunds ADD COLUMN credit_bonus INTEGER NOT NULL DEFAULT 0 CHECK (credit_bonus >= 0);

-- +goose Down
ALTER TABLE refunds DROP COLUMN credit_bonus;
ALTER TABLE refunds DROP COLUMN credit_amount;
ALTER TABLE return_lines DROP COLUMN variant_sku;
ALTER TABLE return_lines DROP COLUMN resolution;
