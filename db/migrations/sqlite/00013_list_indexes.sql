-- +goose Up
-- Every list the API pages through reads one page's worth of index entries,
-- however many rows the table holds (issue 15; db/plans_test.go EXPLAINs, on Postgres,
-- each list on a seeded table). Each index below matches a list's filter
-- and its ORDER BY, ties broken by id as the lists' cursors are.

-- A merchant's returns, newest first, with no status filter.
CREATE INDEX returns_merchant_id ON returns (merchant_id, id);
-- The console's queues (db.Queues), newest first: the statuses a return
-- waits in for staff or a parcel, a few percent of all returns, so that a
-- queue of several statuses needs no sort of the merchant's matches. A
-- queue over a status not listed here would go back to sorting (the plans
-- test tells).
CREATE INDEX returns_in_queue ON returns (merchant_id, id) WHERE status IN ('awaiting_review', 'awaiting_shipment',
    'in_transit', 'awaiting_dropoff', 'received', 'awaiting_inspection', 'refund_pending');

-- Finance's refunds: a merchant's or every merchant's (operators), by date
-- or by amount, either way. The merchant's by date replaces refunds_merchant
-- (merchant_id, created_at), which it extends.
CREATE INDEX refunds_merchant_created ON refunds (merchant_id, created_at, id);
DROP INDEX refunds_merchant;
CREATE INDEX refunds_created ON refunds (created_at, id);
CREATE INDEX refunds_merchant_amount ON refunds (merchant_id, amount, id);
CREATE INDEX refunds_amount ON refunds (amount, id);
-- Operators' refunds of one status (the failed ones to resolve) or one
-- channel across merchants, newest first.
CREATE INDEX refunds_status_created ON refunds (status, created_at, id);
CREATE INDEX refunds_channel_created ON refunds (channel, created_at, id);

-- A merchant's work items, open or not, newest first; those of one
-- settlement file.
CREATE INDEX work_items_merchant_created ON work_items (merchant_id, created_at, id);
CREATE INDEX work_items_file ON work_items (file_id) WHERE file_id IS NOT NULL;

-- A merchant's audit log, newest first.
CREATE INDEX audit_log_merchant_id ON audit_log (merchant_id, id);

-- +goose Down
DROP INDEX audit_log_merchant_id;
DROP INDEX work_items_file;
DROP INDEX work_items_merchant_created;
DROP INDEX refunds_channel_created;
DROP INDEX refunds_status_created;
DROP INDEX refunds_amount;
DROP INDEX refunds_merchant_amount;
DROP INDEX refunds_created;
CREATE INDEX refunds_merchant ON refunds (merchant_id, created_at);
DROP INDEX refunds_merchant_created;
DROP INDEX returns_in_queue;
DROP INDEX returns_merchant_id;
