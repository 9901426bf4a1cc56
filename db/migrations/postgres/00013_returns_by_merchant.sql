-- +goose Up
-- The staff's task list with no filter reads a merchant's newest returns
-- (merchant_id = ? ORDER BY id DESC LIMIT n): with only (merchant_id,
-- status, id) it read and sorted every return of the merchant on each
-- request; this index answers it by walking the newest n entries.
CREATE INDEX returns_merchant_id ON returns (merchant_id, id);

-- +goose Down
DROP INDEX returns_merchant_id;
