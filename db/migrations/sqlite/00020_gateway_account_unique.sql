-- +goose Up
-- A gateway account refunds for one merchant only: its own account, or its
-- slug when it names none (Merchant.GatewayAccountName). Onboarding checks
-- first and answers which field; this index holds the rule when two
-- onboardings race.
CREATE UNIQUE INDEX merchants_gateway_account ON merchants ((CASE WHEN gateway_account = '' THEN slug ELSE gateway_account END));

-- +goose Down
DROP INDEX merchants_gateway_account;
