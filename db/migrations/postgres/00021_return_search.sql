-- +goose Up
-- The console's search box (issue 18): one query matched as a prefix,
-- in any case, against a return's order number, tracking number, customer
-- name (from any of its words), e-mail and phone (its digits). Each return
-- keeps its terms here, normalised on write as db/search.go does (lower
-- case, whitespace collapsed, at most 100 characters; a phone as its digits),
-- so that a search is a range scan of one index within the merchant. The
-- "C" collation orders terms by code point, which makes a prefix a range
-- (term >= q AND term < q || U+10FFFF) whatever the database's collation.
-- Return ids are matched on returns' primary key, not here.
CREATE TABLE return_search_terms (
    return_id   uuid NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    field       text NOT NULL CHECK (field IN ('order_number', 'tracking_number', 'name', 'email', 'phone')),
    term        text COLLATE "C" NOT NULL CHECK (term <> ''),
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    PRIMARY KEY (return_id, field, term)
);
CREATE INDEX return_search_terms_merchant_term ON return_search_terms (merchant_id, term, return_id);

-- The returns filed before this migration.
INSERT INTO return_search_terms (return_id, field, term, merchant_id)
SELECT r.id, t.field, left(t.term, 100), r.merchant_id
FROM returns r JOIN orders o ON o.id = r.order_id
CROSS JOIN LATERAL (VALUES
    ('order_number', lower(regexp_replace(btrim(o.order_number), '\s+', ' ', 'g'))),
    ('tracking_number', lower(regexp_replace(btrim(r.tracking_number), '\s+', ' ', 'g'))),
    ('email', lower(btrim(o.customer_email))),
    ('email', CASE WHEN r.contact_kind = 'email' THEN lower(btrim(r.contact)) ELSE '' END),
    ('phone', regexp_replace(o.customer_phone, '[^0-9]', '', 'g')),
    ('phone', CASE WHEN r.contact_kind = 'phone' THEN regexp_replace(r.contact, '[^0-9]', '', 'g') ELSE '' END)
) AS t (field, term)
WHERE t.term <> ''
ON CONFLICT DO NOTHING;
-- A name from each of its words: "pat van dijk", "van dijk", "dijk".
INSERT INTO return_search_terms (return_id, field, term, merchant_id)
SELECT r.id, 'name', left(array_to_string(w.words[i:], ' '), 100), r.merchant_id
FROM returns r JOIN orders o ON o.id = r.order_id
CROSS JOIN LATERAL (SELECT regexp_split_to_array(lower(btrim(regexp_replace(o.customer_name, '\s+', ' ', 'g'))), ' ') AS words) w
CROSS JOIN LATERAL generate_subscripts(w.words, 1) AS i
WHERE btrim(o.customer_name) <> ''
ON CONFLICT DO NOTHING;

-- +goose Down
DROP TABLE return_search_terms;
