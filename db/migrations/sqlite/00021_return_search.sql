-- +goose Up
-- The console's search box (issue 18), as postgres/00021_return_search.sql
-- describes it, in SQLite's types. SQLite compares text by its bytes
-- (BINARY), which for UTF-8 is code point order: a prefix is a range.
CREATE TABLE return_search_terms (
    return_id   TEXT NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    field       TEXT NOT NULL CHECK (field IN ('order_number', 'tracking_number', 'name', 'email', 'phone')),
    term        TEXT NOT NULL CHECK (term <> ''),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    PRIMARY KEY (return_id, field, term)
);
CREATE INDEX return_search_terms_merchant_term ON return_search_terms (merchant_id, term, return_id);

-- The returns filed before this migration. SQLite's lower() folds ASCII
-- only, and it has no regular expressions: a phone loses the separators
-- phones are written with (orders hold +digits already).
INSERT OR IGNORE INTO return_search_terms (return_id, field, term, merchant_id)
SELECT id, field, substr(term, 1, 100), merchant_id FROM (
    SELECT r.id, r.merchant_id, 'order_number' AS field, lower(trim(o.order_number)) AS term FROM returns r JOIN orders o ON o.id = r.order_id
    UNION ALL SELECT r.id, r.merchant_id, 'tracking_number', lower(trim(r.tracking_number)) FROM returns r
    UNION ALL SELECT r.id, r.merchant_id, 'email', lower(trim(o.customer_email)) FROM returns r JOIN orders o ON o.id = r.order_id
    UNION ALL SELECT r.id, r.merchant_id, 'email', lower(trim(r.contact)) FROM returns r WHERE r.contact_kind = 'email'
    UNION ALL SELECT r.id, r.merchant_id, 'phone', replace(replace(replace(replace(replace(replace(o.customer_phone,
        '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', '') FROM returns r JOIN orders o ON o.id = r.order_id
    UNION ALL SELECT r.id, r.merchant_id, 'phone', replace(replace(replace(replace(replace(replace(r.contact,
        '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', '') FROM returns r WHERE r.contact_kind = 'phone'
) WHERE term <> '';
-- A name from each of its words: "pat van dijk", "van dijk", "dijk".
WITH RECURSIVE names (id, merchant_id, rest) AS (
    SELECT r.id, r.merchant_id, lower(trim(o.customer_name)) FROM returns r JOIN orders o ON o.id = r.order_id
    WHERE trim(o.customer_name) <> ''
    UNION ALL
    SELECT id, merchant_id, ltrim(substr(rest, instr(rest, ' ') + 1)) FROM names WHERE instr(rest, ' ') > 0
)
INSERT OR IGNORE INTO return_search_terms (return_id, field, term, merchant_id)
SELECT id, 'name', substr(rest, 1, 100), merchant_id FROM names WHERE rest <> '';

-- +goose Down
DROP TABLE return_search_terms;
