-- Status changes become HOT updates. `status` was in two indexes of orders ((tenant_id, status)
-- and the partial hold index), so every transition wrote a new entry into all seven indexes of
-- the table; an order moves two or three times on its way to final. With no index on a column a
-- transition sets (status, reserved_until, failure_reason, updated_at), PostgreSQL keeps the new
-- row version on the same page and writes no index entry, given room on the page. Fillfactor 50
-- leaves half of each page for the versions: most orders move once or twice while the import
-- that wrote their page still runs, too soon for the old versions to be pruned. Measured on a
-- 300,000-line pipeline: 79 % of order updates HOT at 50 (35 % at 80), wall time -7 %, ingest
-- within noise.
--
-- What the two indexes served, served otherwise:
--   * orders per status (the dashboard): order_status_tallies below, kept by a statement trigger
--     from every insert and update of orders, whoever writes them;
--   * the hold-expiry sweep: reserved orders are the ones with active stock reservations, which
--     stock_reservations_active already indexes;
--   * the order list's status filter walks (tenant_id, placed_at, id) newest first.
DROP INDEX IF EXISTS orders_tenant_status;
DROP INDEX IF EXISTS orders_reserved_until;
ALTER TABLE orders SET (fillfactor = 50);

-- Append-only: one row per (statement, tenant, status) whose count moved, folded into one row per
-- (tenant, status) by the maintenance worker. A per-status counter row would serialize every
-- concurrent transition on it; appended rows never conflict.
CREATE TABLE order_status_tallies (
  tenant_id  uuid NOT NULL,
  status     text NOT NULL,
  n          bigint NOT NULL
);
CREATE INDEX order_status_tallies_tenant ON order_status_tallies (tenant_id);

INSERT INTO order_status_tallies (tenant_id, status, n)
SELECT tenant_id, status, count(*) FROM orders GROUP BY tenant_id, status;

CREATE FUNCTION tally_order_statuses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO order_status_tallies (tenant_id, status, n)
    SELECT tenant_id, status, count(*) FROM new_rows GROUP BY tenant_id, status;
  ELSE
    INSERT INTO order_status_tallies (tenant_id, status, n)
    SELECT tenant_id, status, sum(d.n) FROM (
      SELECT tenant_id, status, 1 AS n FROM new_rows
      UNION ALL
      SELECT tenant_id, status, -1 FROM old_rows
    ) d GROUP BY tenant_id, status HAVING sum(d.n) <> 0;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER orders_status_tally_insert AFTER INSERT ON orders REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tally_order_statuses();
CREATE TRIGGER orders_status_tally_update AFTER UPDATE ON orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tally_order_statuses();
