-- +goose Up
-- Exactly-once refunds against real hosts and operators (issue 12).
--
-- A payment belongs to one merchant: a gateway payment id, a card sale's
-- RRN and its (terminal, STAN, day) can be registered with one order only.
-- The sale's own transmission time (its DE7) and batch are registered with
-- it, so a void or refund is decided from them, not from placed_at.
ALTER TABLE payments ADD COLUMN sale_at DATETIME;
ALTER TABLE payments ADD COLUMN batch TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN sale_day TEXT NOT NULL DEFAULT '';
UPDATE payments SET sale_day = (SELECT substr(o.placed_at, 1, 10) FROM orders AS o WHERE o.id = payments.order_id)
    WHERE payments.channel = 'card_present';
CREATE UNIQUE INDEX payments_gateway_payment ON payments (gateway_payment_id) WHERE gateway_payment_id <> '';
CREATE UNIQUE INDEX payments_card_rrn ON payments (rrn) WHERE rrn <> '';
CREATE UNIQUE INDEX payments_card_sale ON payments (terminal_id, stan, sale_day) WHERE channel = 'card_present';

-- Each merchant's own account at the payment gateway ('' = its slug).
ALTER TABLE merchants ADD COLUMN gateway_account TEXT NOT NULL DEFAULT '';

-- Rebound's STANs on a physical terminal (voids sent from the sale's own
-- terminal) come from 900000-999999, apart from the device's own.
UPDATE terminals SET next_stan = 900000 WHERE kind = 'physical' AND next_stan < 900000;

-- Attempts: a reversal's own STAN and reason, the answer's other fields,
-- since when the acquirer could not be reached, the original's fate after
-- a 25, and finance's resolution with its evidence.
ALTER TABLE refund_attempts ADD COLUMN reversal_stan TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN reversal_stan_day TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN reversal_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN reversal_at DATETIME;
ALTER TABLE refund_attempts ADD COLUMN answer_fields TEXT;
ALTER TABLE refund_attempts ADD COLUMN unreachable_since DATETIME;
ALTER TABLE refund_attempts ADD COLUMN late_mti TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN resolution_note TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_attempts ADD COLUMN resolved_at DATETIME;
-- At most one attempt of a refund pays.
CREATE UNIQUE INDEX refund_attempts_one_paid ON refund_attempts (refund_id) WHERE state IN ('approved', 'confirmed_approved');
-- A reversal's STAN is the terminal's like any other.
CREATE UNIQUE INDEX refund_attempts_reversal_stan ON refund_attempts (terminal_id, reversal_stan_day, reversal_stan) WHERE reversal_stan <> '';
DROP INDEX refund_attempts_in_flight;
CREATE INDEX refund_attempts_in_flight ON refund_attempts (terminal_id, stan) WHERE state IN ('prepared', 'sent', 'unknown', 'reversal_pending', 'escalated');
CREATE INDEX refund_attempts_late ON refund_attempts (terminal_id, reversal_stan) WHERE reversal_stan <> '';

-- +goose Down
DROP INDEX refund_attempts_late;
DROP INDEX refund_attempts_in_flight;
CREATE INDEX refund_attempts_in_flight ON refund_attempts (terminal_id, stan) WHERE state IN ('prepared', 'sent', 'unknown', 'reversal_pending');
DROP INDEX refund_attempts_reversal_stan;
DROP INDEX refund_attempts_one_paid;
ALTER TABLE refund_attempts DROP COLUMN resolved_at;
ALTER TABLE refund_attempts DROP COLUMN resolved_by;
ALTER TABLE refund_attempts DROP COLUMN resolution_note;
ALTER TABLE refund_attempts DROP COLUMN resolution;
ALTER TABLE refund_attempts DROP COLUMN late_mti;
ALTER TABLE refund_attempts DROP COLUMN unreachable_since;
ALTER TABLE refund_attempts DROP COLUMN answer_fields;
ALTER TABLE refund_attempts DROP COLUMN reversal_at;
ALTER TABLE refund_attempts DROP COLUMN reversal_reason;
ALTER TABLE refund_attempts DROP COLUMN reversal_stan_day;
ALTER TABLE refund_attempts DROP COLUMN reversal_stan;
ALTER TABLE merchants DROP COLUMN gateway_account;
DROP INDEX payments_card_sale;
DROP INDEX payments_card_rrn;
DROP INDEX payments_gateway_payment;
ALTER TABLE payments DROP COLUMN sale_day;
ALTER TABLE payments DROP COLUMN batch;
ALTER TABLE payments DROP COLUMN sale_at;
