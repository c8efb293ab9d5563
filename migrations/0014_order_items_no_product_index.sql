-- order_items (product_id) was made for foreign keys that no longer exist: since 0008 the
-- reference checks run per statement and products are never deleted (products_kept). No query
-- looks items up by product alone, and every item of every order (a million for a
-- million-line import) paid for one more index entry.
DROP INDEX IF EXISTS order_items_product;
