-- Tenant-scoped references on the hot tables, checked once per statement instead of once per row.
--
-- A foreign key runs one lookup per inserted row, through SPI, and locks the referenced row
-- FOR KEY SHARE: importing 5,000 orders ran ~70,000 such checks per chunk (half the chunk's time),
-- and every check on the one tenant row or a popular product dirtied that row with a lock
-- (multixacts under concurrency). Here each INSERT statement checks all its new rows at once with
-- one anti-join against the parent's (tenant_id, id) index: the same guarantee, "a row never
-- points at a missing row or into another tenant", set-based.
--
-- What a foreign key also gave, kept by other means:
--   * parents never lose a referenced row: DELETE and TRUNCATE of parent tables are refused
--     (nothing in ordersys deletes them), and their (tenant_id, id) never change;
--   * children never re-point: UPDATE of a checked column is refused.
-- Low-volume tables (refunds, inventory adjustments, import errors, api keys, webhooks) keep
-- their foreign keys.

-- TG_ARGV: column:parent pairs. The parent is matched on (tenant_id, id); tenants has a
-- generated tenant_id = id, so 'tenant_id:tenants' checks the tenant itself.
CREATE FUNCTION check_tenant_refs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  arg text;
  col text;
  parent text;
  bad text;
BEGIN
  FOREACH arg IN ARRAY TG_ARGV LOOP
    col := split_part(arg, ':', 1);
    parent := split_part(arg, ':', 2);
    EXECUTE format(
      'SELECT n.%1$I::text FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
      '(SELECT 1 FROM %2$I p WHERE p.tenant_id = n.tenant_id AND p.id = n.%1$I) LIMIT 1', col, parent) INTO bad;
    IF bad IS NOT NULL THEN
      RAISE EXCEPTION '% on % refused: %.% = % is not a row of % in the same tenant', TG_OP, TG_TABLE_NAME, TG_TABLE_NAME, col, bad, parent
        USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = col;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

CREATE FUNCTION refuse_reference_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % refused: % are fixed once written (%)', TG_OP, TG_TABLE_NAME,
    CASE WHEN TG_OP = 'UPDATE' THEN 'ids, tenants and references' ELSE 'rows others refer to' END, TG_ARGV[0]
    USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
END $$;

-- Children: drop the row-level keys, check per statement, refuse re-pointing.
ALTER TABLE customers DROP CONSTRAINT IF EXISTS customers_tenant_id_fkey;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_tenant_id_fkey,
  DROP CONSTRAINT IF EXISTS orders_tenant_id_customer_id_fkey,
  DROP CONSTRAINT IF EXISTS orders_tenant_id_import_id_fkey;
ALTER TABLE order_items DROP CONSTRAINT IF EXISTS order_items_tenant_id_order_id_fkey,
  DROP CONSTRAINT IF EXISTS order_items_tenant_id_product_id_fkey;
ALTER TABLE order_events DROP CONSTRAINT IF EXISTS order_events_tenant_id_fkey;
ALTER TABLE stock_reservations DROP CONSTRAINT IF EXISTS stock_reservations_tenant_id_order_id_fkey,
  DROP CONSTRAINT IF EXISTS stock_reservations_tenant_id_product_id_fkey;
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_tenant_id_order_id_fkey;
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_tenant_id_fkey;
ALTER TABLE gateway_events DROP CONSTRAINT IF EXISTS gateway_events_tenant_id_fkey;

CREATE TRIGGER customers_refs AFTER INSERT ON customers REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION check_tenant_refs('tenant_id:tenants');
CREATE TRIGGER orders_refs AFTER INSERT ON orders REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION check_tenant_refs('tenant_id:tenants', 'customer_id:customers', 'import_id:imports');
CREATE TRIGGER order_items_refs AFTER INSERT ON order_items REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION check_tenant_refs('order_id:orders', 'product_id:products');
-- order_id was never checked before: an event of an order now names an order of its tenant.
CREATE TRIGGER order_events_refs AFTER INSERT ON order_events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION check_tenant_refs('tenant_id:tenants', 'order_id:orders');
CREATE TRIGGER stock_reservations_refs AFTER INSERT ON stock_reservations REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION check_tenant_refs('order_id:orders', 'product_id:products');
CREATE TRIGGER payments_refs AFTER INSERT ON payments REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION check_tenant_refs('order_id:orders');
CREATE TRIGGER notifications_refs AFTER INSERT ON notifications REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION check_tenant_refs('tenant_id:tenants', 'order_id:orders');
CREATE TRIGGER gateway_events_refs AFTER INSERT ON gateway_events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION check_tenant_refs('tenant_id:tenants');

CREATE TRIGGER customers_fixed BEFORE UPDATE OF id, tenant_id ON customers
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('customers.id, tenant_id');
CREATE TRIGGER orders_fixed BEFORE UPDATE OF id, tenant_id, customer_id, import_id ON orders
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('orders.id, tenant_id, customer_id, import_id');
CREATE TRIGGER order_items_fixed BEFORE UPDATE OF tenant_id, order_id, product_id ON order_items
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('order_items.tenant_id, order_id, product_id');
CREATE TRIGGER stock_reservations_fixed BEFORE UPDATE OF tenant_id, order_id, product_id ON stock_reservations
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('stock_reservations.tenant_id, order_id, product_id');
CREATE TRIGGER payments_fixed BEFORE UPDATE OF id, tenant_id, order_id ON payments
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('payments.id, tenant_id, order_id');
CREATE TRIGGER notifications_fixed BEFORE UPDATE OF id, tenant_id, order_id ON notifications
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('notifications.id, tenant_id, order_id');
CREATE TRIGGER gateway_events_fixed BEFORE UPDATE OF tenant_id ON gateway_events
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('gateway_events.tenant_id');
-- order_events is append-only already (0001).

-- Parents: the rows checked against are never deleted.
CREATE TRIGGER tenants_kept BEFORE DELETE OR TRUNCATE ON tenants
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_reference_change('tenants');
CREATE TRIGGER tenants_fixed BEFORE UPDATE OF id ON tenants
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('tenants.id');
CREATE TRIGGER customers_kept BEFORE DELETE OR TRUNCATE ON customers
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_reference_change('customers');
CREATE TRIGGER products_kept BEFORE DELETE OR TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_reference_change('products');
CREATE TRIGGER products_fixed BEFORE UPDATE OF id, tenant_id ON products
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('products.id, tenant_id');
CREATE TRIGGER imports_kept BEFORE DELETE OR TRUNCATE ON imports
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_reference_change('imports');
CREATE TRIGGER imports_fixed BEFORE UPDATE OF id, tenant_id ON imports
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('imports.id, tenant_id');
CREATE TRIGGER orders_kept BEFORE DELETE OR TRUNCATE ON orders
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_reference_change('orders');
